"""rclone through ``/Files/``: a round trip with the default vendor, and with
``vendor=owncloud`` (what docs/clients.md recommends) modification times, hashes
the server computed, quotas, and bisync."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import time
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
    def __init__(self, url: str, username: str, password: str, config_dir: Path, vendor: str = "other") -> None:
        self.binary = require_tool("rclone")
        obscured = subprocess.run([self.binary, "obscure", password], capture_output=True,
                                  text=True, check=True).stdout.strip()
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(config_dir),
            "RCLONE_CONFIG": str(config_dir / "rclone.conf"),
            "RCLONE_CONFIG_VAULT_TYPE": "webdav",
            "RCLONE_CONFIG_VAULT_URL": url,
            "RCLONE_CONFIG_VAULT_VENDOR": vendor,
            "RCLONE_CONFIG_VAULT_USER": username,
            "RCLONE_CONFIG_VAULT_PASS": obscured,
        }

    def __call__(self, *args: str, expect_failure: bool = False) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([self.binary, *args, "--transfers", "8", "--checkers", "8",
                                 "--retries", "1", "--low-level-retries", "1"],
                                env=self.env, capture_output=True, text=True, timeout=900, check=False)
        if not expect_failure:
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


# --- vendor=owncloud ------------------------------------------------------------------


@pytest.fixture
def owncloud(gateway: Gateway, alice: Account, tmp_path: Path) -> Rclone:
    config = tmp_path / "rclone-owncloud"
    config.mkdir()
    return Rclone(gateway.url.rstrip("/") + "/Files", alice.username, PASSWORD, config, vendor="owncloud")


def _small_tree(root: Path) -> None:
    (root / "Photos" / "2024").mkdir(parents=True)
    (root / "Photos" / "2024" / "beach.jpg").write_bytes(os.urandom(300_000))
    (root / "Photos" / "2024" / "sunset.jpg").write_bytes(os.urandom(250_000))
    (root / "notes.txt").write_text("same size A\n")
    (root / "todo.txt").write_text("same size B\n")
    (root / NFC_NAME).write_text("composed\n")
    (root / "empty.bin").write_bytes(b"")
    _write_random(root / "video.mp4", 24 * 1024 * 1024)


def _stats(output: str) -> str:
    return " ".join(line for line in output.splitlines() if line.lstrip().startswith(("Transferred:", "Checks:")))


def test_rclone_owncloud_keeps_times_compares_hashes_and_resyncs_nothing(
        owncloud: Rclone, alice_client: Client, tmp_path: Path) -> None:
    local = tmp_path / "local"
    local.mkdir()
    _small_tree(local)
    os.utime(local / "notes.txt", (1_500_000_000, 1_500_000_000))

    owncloud("copy", str(local), "vault:tree")
    # X-OC-Mtime set each file's time: the server lists the local times.
    listed = owncloud("lsl", "vault:tree").stdout
    assert re.search(r"\b12 2017-07-14 02:40:00\.000000000 notes\.txt", listed), listed
    # check compares the MD5s the server computed, not just sizes.
    checked = owncloud("check", str(local), "vault:tree")
    assert "0 differences found" in checked.stderr and "7 matching files" in checked.stderr, checked.stderr
    assert "could not be checked" not in checked.stderr, checked.stderr
    hashes = owncloud("md5sum", "vault:tree").stdout
    assert f"{hashlib.md5((local / 'todo.txt').read_bytes()).hexdigest()}  todo.txt" in hashes

    first = owncloud("sync", str(local), "vault:tree", "-v")
    assert "There was nothing to transfer" in first.stderr, first.stderr
    second = owncloud("sync", str(local), "vault:tree", "-v")
    assert "There was nothing to transfer" in second.stderr and "Copied" not in second.stderr, second.stderr

    # A same-size edit that keeps the old time: only a hash comparison can see it.
    (local / "notes.txt").write_text("same size C\n")
    os.utime(local / "notes.txt", (1_500_000_000, 1_500_000_000))
    differs = owncloud("check", str(local), "vault:tree", expect_failure=True)
    assert differs.returncode != 0 and "1 differences found" in differs.stderr, differs.stderr
    owncloud("sync", str(local), "vault:tree", "--checksum")
    assert alice_client.request("GET", "/Files/tree/notes.txt").text == "same size C\n"
    owncloud("check", str(local), "vault:tree")


def test_rclone_about_reads_the_quota_properties(owncloud: Rclone, alice_client: Client) -> None:
    alice_client.request("PUT", "/Files/one.bin", data=b"1" * 4096)
    alice_client.request("PUT", "/Files/two.bin", data=b"2" * 1024)
    about = owncloud("about", "vault:", "--json").stdout
    import json
    usage = json.loads(about)
    assert usage["used"] == 5120
    assert usage["free"] > 0 and usage["total"] == usage["used"] + usage["free"]


def _remote_put(client: Client, path: str, body: bytes) -> None:
    assert client.request("PUT", path, data=body).status_code in (201, 204)


def test_rclone_bisync_converges_changes_from_both_sides_without_conflicts(
        owncloud: Rclone, alice_client: Client, tmp_path: Path) -> None:
    local = tmp_path / "two-way"
    (local / "sub").mkdir(parents=True)
    for name, text in (("alpha.txt", "alpha\n"), ("sub/beta.txt", "beta\n"), ("gone-here.txt", "x\n"),
                       ("gone-there.txt", "y\n"), ("stays.txt", "unchanged\n")):
        (local / name).write_text(text)
    owncloud("mkdir", "vault:two-way")
    owncloud("bisync", str(local), "vault:two-way", "--resync")
    # bisync in rclone 1.60 compares modification times alone, at the webdav
    # backend's precision of one second: changes must fall in a later second.
    time.sleep(1.2)

    (local / "alpha.txt").write_text("alpha, edited on this machine\n")
    (local / "new-here.txt").write_text("made here\n")
    (local / "gone-here.txt").unlink()
    _remote_put(alice_client, "/Files/two-way/sub/beta.txt", b"beta, edited on the server\n")
    _remote_put(alice_client, "/Files/two-way/new-there.txt", b"made there\n")
    assert alice_client.request("DELETE", "/Files/two-way/gone-there.txt").status_code == 204

    synced = owncloud("bisync", str(local), "vault:two-way", "-v")
    assert "Bisync successful" in synced.stderr, synced.stderr
    expected = {"alpha.txt": "alpha, edited on this machine\n", "new-here.txt": "made here\n",
                "new-there.txt": "made there\n", "stays.txt": "unchanged\n",
                "sub/beta.txt": "beta, edited on the server\n"}
    local_files = {str(path.relative_to(local)): path.read_text() for path in local.rglob("*") if path.is_file()}
    assert local_files == expected  # no ..path1/..path2 conflict copies
    for name, text in expected.items():
        assert alice_client.request("GET", "/Files/two-way/" + name).text == text
    assert set(propfind(alice_client, "/Files/two-way/")) == {
        "/Files/two-way/", "/Files/two-way/sub/", "/Files/two-way/alpha.txt", "/Files/two-way/new-here.txt",
        "/Files/two-way/new-there.txt", "/Files/two-way/stays.txt"}

    again = owncloud("bisync", str(local), "vault:two-way", "-v")
    assert "No changes found" in again.stderr and "Copied" not in again.stderr, again.stderr
