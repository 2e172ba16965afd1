"""rclone round-trips a tree through ``/Files/``: copy, check, sync, download."""

from __future__ import annotations

import hashlib
import os
import subprocess
import unicodedata
from pathlib import Path

import pytest

from mediavault_dav.server import Gateway
from mediavault_dav.vault.users import Account
from tests.support import PASSWORD, Client, propfind, require_tool

pytestmark = pytest.mark.slow

NFC_NAME = unicodedata.normalize("NFC", "Résumé café.txt")
NFD_NAME = unicodedata.normalize("NFD", "Noël à Zürich.txt")
BIG_FILE_BYTES = 200 * 1024 * 1024
SMALL_FILES = 2000


def _write_random(path: Path, size: int) -> None:
    with path.open("wb") as output:
        remaining = size
        while remaining:
            chunk = os.urandom(min(remaining, 8 * 1024 * 1024))
            output.write(chunk)
            remaining -= len(chunk)


def _make_tree(root: Path) -> None:
    (root / "with spaces" / "deeper folder").mkdir(parents=True)
    (root / "with spaces" / "a file name.txt").write_text("spaces in every part\n")
    (root / "with spaces" / "deeper folder" / "notes.md").write_text("# notes\n")
    (root / NFC_NAME).write_text("composed\n")
    (root / NFD_NAME).write_text("decomposed\n")
    (root / "empty.bin").write_bytes(b"")
    _write_random(root / "big.bin", BIG_FILE_BYTES)
    many = root / "many"
    many.mkdir()
    for number in range(SMALL_FILES):
        (many / f"small-{number:04d}.txt").write_bytes(f"file {number}\n".encode() * 20)


def _digests(root: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            key = unicodedata.normalize("NFC", str(path.relative_to(root)))
            found[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


class Rclone:
    def __init__(self, url: str, username: str, password: str, config_dir: Path) -> None:
        self.binary = require_tool("rclone")
        obscured = subprocess.run([self.binary, "obscure", password], capture_output=True,
                                  text=True, check=True).stdout.strip()
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(config_dir),
            "RCLONE_CONFIG": str(config_dir / "rclone.conf"),
            "RCLONE_CONFIG_VAULT_TYPE": "webdav",
            "RCLONE_CONFIG_VAULT_URL": url,
            "RCLONE_CONFIG_VAULT_VENDOR": "other",
            "RCLONE_CONFIG_VAULT_USER": username,
            "RCLONE_CONFIG_VAULT_PASS": obscured,
        }

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([self.binary, *args, "--transfers", "8", "--checkers", "8",
                                 "--retries", "1", "--low-level-retries", "1"],
                                env=self.env, capture_output=True, text=True, timeout=900, check=False)
        assert result.returncode == 0, f"rclone {' '.join(args)} failed:\n{result.stderr[-4000:]}"
        return result


@pytest.fixture
def rclone(gateway: Gateway, alice: Account, tmp_path: Path) -> Rclone:
    config = tmp_path / "rclone-home"
    config.mkdir()
    return Rclone(gateway.url.rstrip("/") + "/Files", alice.username, PASSWORD, config)


def test_rclone_round_trips_a_tree_byte_for_byte(rclone: Rclone, alice_client: Client, tmp_path: Path) -> None:
    local = tmp_path / "local"
    local.mkdir()
    _make_tree(local)

    rclone("copy", str(local), "vault:tree")
    rclone("check", str(local), "vault:tree", "--download")
    listing = propfind(alice_client, "/Files/tree/")
    names = {unicodedata.normalize("NFC", href.rstrip("/").rsplit("/", 1)[-1]) for href in listing}
    assert {NFC_NAME, unicodedata.normalize("NFC", NFD_NAME), "empty.bin", "big.bin", "many"} <= names
    assert len(propfind(alice_client, "/Files/tree/many/")) == SMALL_FILES + 1

    # Local edits: change sizes (vendor=other syncs by size), add, delete, rename.
    (local / "with spaces" / "a file name.txt").write_text("edited, and longer than before\n")
    (local / "many" / "small-0000.txt").unlink()
    (local / "many" / "added later.txt").write_text("new\n")
    (local / "with spaces" / "deeper folder").rename(local / "with spaces" / "renamed folder")
    (local / "empty.bin").write_bytes(b"no longer empty")
    rclone("sync", str(local), "vault:tree")
    rclone("check", str(local), "vault:tree", "--download")

    downloaded = tmp_path / "downloaded"
    rclone("copy", "vault:tree", str(downloaded))
    assert _digests(downloaded) == _digests(local)
    assert not (downloaded / "with spaces" / "deeper folder").exists()
