"""rclone lists and copies a shared folder from its URL alone, as a guest's file manager would."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from mediavault_dav.db.database import Database
from mediavault_dav.server import Gateway
from mediavault_dav.vault.users import Account
from tests.dav.shares.share_support import make_share, mkcol, put
from tests.support import Client, require_tool

pytestmark = pytest.mark.slow

TREE = {
    "photo one.jpg": os.urandom(300_000),
    "Notes/day 1.txt": b"we arrived\n",
    "Notes/Ünïcode names/é.txt": b"accents\n",
    "big.bin": os.urandom(12 * 1024 * 1024),
}
HOUSEKEEPING = ("._photo one.jpg", ".DS_Store", "Notes/Thumbs.db")


def _rclone(url: str, home: Path, *args: str, user: str | None = None, password: str | None = None,
            ) -> subprocess.CompletedProcess[str]:
    binary = require_tool("rclone")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
           "RCLONE_CONFIG": str(home / "rclone.conf"),
           "RCLONE_CONFIG_GUEST_TYPE": "webdav", "RCLONE_CONFIG_GUEST_URL": url,
           "RCLONE_CONFIG_GUEST_VENDOR": "other"}
    if user is not None and password is not None:
        obscured = subprocess.run([binary, "obscure", password], capture_output=True, text=True, check=True)
        env |= {"RCLONE_CONFIG_GUEST_USER": user, "RCLONE_CONFIG_GUEST_PASS": obscured.stdout.strip()}
    return subprocess.run([binary, *args, "--retries", "1", "--low-level-retries", "1"], env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def _digests(root: Path) -> dict[str, str]:
    return {str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in root.rglob("*") if path.is_file()}


@pytest.fixture
def shared_tree(alice_client: Client) -> None:
    from urllib.parse import quote

    mkcol(alice_client, "/Files/Shared")
    mkcol(alice_client, "/Files/Shared/Notes")
    mkcol(alice_client, "/Files/Shared/" + quote("Notes/Ünïcode names"))
    for name, body in TREE.items():
        put(alice_client, "/Files/Shared/" + quote(name), body)
    for name in HOUSEKEEPING:
        put(alice_client, "/Files/Shared/" + quote(name), b"bookkeeping")
    mkcol(alice_client, "/Files/Private")
    put(alice_client, "/Files/Private/secret.txt", b"secret")


def test_rclone_lists_and_copies_a_share_without_credentials(
        gateway: Gateway, alice: Account, shared_tree: None, database: Database, tmp_path: Path) -> None:
    share = make_share(database, gateway.url, alice, "/Files/Shared")
    url = gateway.url.rstrip("/") + share.path
    home = tmp_path / "home"
    home.mkdir()
    listed = _rclone(url, home, "lsf", "-R", "guest:")
    assert listed.returncode == 0, listed.stderr
    assert sorted(listed.stdout.split("\n")[:-1]) == sorted(
        ["Notes/", "Notes/Ünïcode names/", "big.bin", "photo one.jpg", "Notes/day 1.txt",
         "Notes/Ünïcode names/é.txt"])
    copied = _rclone(url, home, "copy", "guest:", str(tmp_path / "copy"))
    assert copied.returncode == 0, copied.stderr
    assert _digests(tmp_path / "copy") == {name: hashlib.sha256(body).hexdigest() for name, body in TREE.items()}
    # rclone cannot write through a share.
    (tmp_path / "upload").mkdir()
    (tmp_path / "upload" / "new.txt").write_text("mine")
    refused = _rclone(url, home, "copy", str(tmp_path / "upload"), "guest:")
    assert refused.returncode != 0
    assert share.get("new.txt").status_code == 404


def test_rclone_opens_a_password_share_with_the_password_only(
        gateway: Gateway, alice: Account, shared_tree: None, database: Database, tmp_path: Path) -> None:
    share = make_share(database, gateway.url, alice, "/Files/Shared/Notes", password="notes password")
    url = gateway.url.rstrip("/") + share.path
    home = tmp_path / "home"
    home.mkdir()
    anonymous = _rclone(url, home, "lsf", "guest:")
    assert anonymous.returncode != 0 and "401" in anonymous.stderr
    listed = _rclone(url, home, "lsf", "guest:", user="whoever", password="notes password")
    assert listed.returncode == 0, listed.stderr
    assert sorted(listed.stdout.strip().split("\n")) == ["day 1.txt", "Ünïcode names/"]
    copied = _rclone(url, home, "copy", "guest:day 1.txt", str(tmp_path / "copy"), user="x",
                     password="notes password")
    assert copied.returncode == 0, copied.stderr
    assert (tmp_path / "copy" / "day 1.txt").read_bytes() == b"we arrived\n"
