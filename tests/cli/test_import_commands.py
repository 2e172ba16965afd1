"""``mediavault-dav import``: a real directory tree into a real vault."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from mediavault_dav.db.database import Database
from mediavault_dav.settings import Settings
from tests.support import (
    Client,
    blob_files,
    clean_environment,
    propfind,
    run_cli,
    tcp_route_to,
    without_file_permission_override,
)


def _env(url: str, settings: Settings) -> dict[str, str]:
    return clean_environment(DATABASE_URL=url, SESSION_SECRET="s" * 40,
                             MEDIAVAULT_BLOB_DIR=str(settings.blob_root))


def _write(path: Path, data: bytes, mtime: float | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if mtime is not None:
        os.utime(path, (mtime, mtime))


def _count(database: Database, table: str) -> int:
    with database.reading() as session:
        return int(session.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_import_keeps_the_tree_deduplicates_reports_the_unreadable_and_a_rerun_adds_nothing(
        alice_client: Client, settings: Settings, database: Database, tmp_path: Path) -> None:
    photo, in_vault = os.urandom(200_000), b"already uploaded over WebDAV"
    source = tmp_path / "Camera Roll"
    _write(source / "Holiday" / "2023" / "beach.jpg", photo, mtime=1_600_000_000)
    _write(source / "Holiday" / "2023" / "beach copy.jpg", photo)  # duplicate inside the tree
    _write(source / "Holiday" / "notes.txt", "Grüße ✓".encode())
    _write(source / "Music" / "Album" / "01.flac", os.urandom(50_000))
    _write(source / "Music" / "Album" / "02.flac", os.urandom(50_000))
    _write(source / "already.txt", in_vault)  # duplicate of content already in the vault
    _write(source / "empty.txt", b"")
    _write(source / "secret.txt", b"nobody may read this")
    (source / "secret.txt").chmod(0)
    (source / "link.txt").symlink_to("/etc/passwd")
    assert alice_client.request("PUT", "/Files/uploaded.txt", data=in_vault).status_code == 201

    # The importer runs without root's power to ignore file modes, over TCP (the
    # database socket's directory is private): secret.txt is really unreadable.
    with tcp_route_to(settings.database_url or "") as url:
        env = _env(url, settings)
        first = run_cli("import", str(source), "--user", "alice", "--json", env=env,
                        prefix=without_file_permission_override())
        assert first.returncode == 1, first.stderr  # failures make the exit status non-zero
        batch = json.loads(first.stdout)
        assert (batch["status"], batch["total_files"], batch["imported_files"], batch["duplicate_files"],
                batch["failed_files"]) == ("completed", 8, 5, 2, 1)
        assert batch["target"] == "/Files/Camera Roll" and batch["already_present"] == 0
        errors = {error["path"]: error["error"] for error in batch["errors"]}
        assert errors["secret.txt"] == "cannot read: Permission denied"
        assert errors["link.txt"] == "a symbolic link: not followed"
        files_after_first, blobs_after_first = _count(database, "files"), len(blob_files(settings.blob_root))
        with database.reading() as session:  # the import left fresh planner statistics behind
            assert session.execute(sa.text("SELECT count(*) FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL"
                                           " AND relname IN ('folders', 'files', 'media_files')")).scalar_one() == 3

        second = run_cli("import", str(source), "--user", "alice", "--json", env=env,
                         prefix=without_file_permission_override())
    again = json.loads(second.stdout)
    assert again["id"] == batch["id"] and again["already_present"] == 7
    assert (again["imported_files"], again["duplicate_files"], again["failed_files"]) == (5, 2, 1)
    assert _count(database, "files") == files_after_first == 1 + 7
    assert len(blob_files(settings.blob_root)) == blobs_after_first == 6

    base = "/Files/Camera Roll"
    assert alice_client.request("GET", f"{base}/Holiday/2023/beach copy.jpg").content == photo
    assert alice_client.request("GET", f"{base}/Holiday/notes.txt").content == "Grüße ✓".encode()
    assert alice_client.request("GET", f"{base}/empty.txt").content == b""
    assert set(propfind(alice_client, f"{base}/Music/Album/")) == {
        f"{base}/Music/Album/", f"{base}/Music/Album/01.flac", f"{base}/Music/Album/02.flac"}
    beach = alice_client.request("HEAD", f"{base}/Holiday/2023/beach.jpg")
    assert parsedate_to_datetime(beach.headers["Last-Modified"]).timestamp() == 1_600_000_000
    assert alice_client.request("GET", f"{base}/secret.txt").status_code == 404
    assert alice_client.request("GET", f"{base}/link.txt").status_code == 404

    env = _env(settings.database_url or "", settings)
    listed = run_cli("import", "list", env=env)
    assert listed.returncode == 0 and str(source) in listed.stdout and listed.stdout.count("completed") == 1
    shown = run_cli("import", "show", str(batch["id"]), env=env)
    assert "secret.txt: cannot read: Permission denied" in shown.stdout and "duplicates:     2" in shown.stdout


def test_import_into_a_chosen_folder_and_clear_errors(alice_client: Client, settings: Settings,
                                                      tmp_path: Path) -> None:
    _write(tmp_path / "src" / "a.txt", b"a")
    env = _env(settings.database_url or "", settings)
    done = run_cli("import", str(tmp_path / "src"), "--user", "alice", "--into", "/Files/Archive/2024",
                   "--progress", env=env)
    assert done.returncode == 0, done.stderr
    assert "1/1 files" in done.stderr and "import: 100%" in done.stderr, "the progress bar, forced on"
    assert "1 imported (1 bytes), 0 duplicates of content already in the vault, 0 failed" in done.stdout
    assert alice_client.request("GET", "/Files/Archive/2024/a.txt").content == b"a"

    outside = run_cli("import", str(tmp_path / "src"), "--user", "alice", "--into", "/Albums/x", env=env)
    assert outside.returncode == 1
    assert outside.stderr == "mediavault-dav: error: the target must be a folder inside /Files/, got '/Albums/x'\n"
    nobody = run_cli("import", str(tmp_path / "src"), "--user", "nobody", env=env)
    assert nobody.returncode == 1 and nobody.stderr == "mediavault-dav: error: there is no user named 'nobody'\n"
    (tmp_path / "src" / "b.txt").write_bytes(b"a different b")
    alice_client.request("PUT", "/Files/Archive/2024/b.txt", data=b"the user's own b")
    clash = json.loads(run_cli("import", str(tmp_path / "src"), "--user", "alice", "--into",
                               "/Files/Archive/2024", "--json", env=env).stdout)
    assert clash["errors"] == [{"path": "b.txt",
                                "error": "a different file with this name is already in the vault"}]
    assert alice_client.request("GET", "/Files/Archive/2024/b.txt").content == b"the user's own b"


@pytest.mark.slow
def test_an_import_killed_midway_continues_where_it_stopped(
        alice_client: Client, settings: Settings, database: Database, tmp_path: Path) -> None:
    """F18: kill -9 at some point, run again: every file once, nothing twice."""
    source = tmp_path / "big"
    for index in range(400):
        _write(source / f"d{index % 7}" / f"{index:04}.bin",
               hashlib.sha256(str(index).encode()).digest() * 4096)  # 128 KiB each
    env = _env(settings.database_url or "", settings)
    process = subprocess.Popen([sys.executable, "-m", "mediavault_dav", "import", str(source), "--user", "alice"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while _count(database, "files") < 40:
        assert process.poll() is None, "the import finished before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    imported_before = _count(database, "files")
    assert imported_before < 400

    resumed = run_cli("import", str(source), "--user", "alice", "--json", env=env, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    batch = json.loads(resumed.stdout)
    assert batch["already_present"] == imported_before and batch["status"] == "completed"
    assert batch["imported_files"] + batch["duplicate_files"] == 400 and batch["failed_files"] == 0
    assert _count(database, "files") == 400
    assert _count(database, "import_batches") == 1
    sample = hashlib.sha256(b"399").digest() * 4096
    assert alice_client.request("GET", "/Files/big/d0/0399.bin").content == sample


def test_importing_a_large_file_does_not_hold_it_in_memory(alice_client: Client, database: Database,
                                                             settings: Settings, tmp_path: Path) -> None:
    import tracemalloc

    from mediavault_dav.blobs import LocalBlobStore
    from mediavault_dav.vault import importer

    chunk = os.urandom(1024 * 1024)
    big = tmp_path / "video" / "big.mp4"
    big.parent.mkdir()
    with open(big, "wb") as handle:
        for _ in range(48):
            handle.write(chunk)
    tracemalloc.start()
    try:
        summary = importer.run(database, LocalBlobStore(settings.blob_root), username="alice",
                               source=big.parent)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert summary.batch.imported_bytes == 48 * 1024 * 1024
    assert peak < 8 * 1024 * 1024, peak
