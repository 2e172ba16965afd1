"""The local blob store on a real directory: atomic, deduplicated, streamed."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from mediavault_dav.blobs import EMPTY_SHA256, LocalBlobStore
from mediavault_dav.blobs.local import INCOMING


def _store(store: LocalBlobStore, data: bytes, chunk: int = 65536) -> str:
    writer = store.writer()
    for start in range(0, len(data), chunk):
        writer.write(data[start:start + chunk])
    return writer.finish().sha256


def test_content_lands_under_its_hash_with_fan_out(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    data = os.urandom(200_000)
    writer = store.writer()
    writer.write(data)
    info = writer.finish()
    digest = hashlib.sha256(data).hexdigest()
    assert info.sha256 == digest and info.size == len(data)
    assert store.path_of(digest) == tmp_path / digest[:2] / digest[2:4] / digest
    with store.open(digest) as blob:
        assert blob.read() == data
    assert list((tmp_path / INCOMING).iterdir()) == []


def test_identical_content_is_stored_once(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    data = b"the same bytes" * 1000
    first, second = _store(store, data), _store(store, data, chunk=7)
    assert first == second
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == [store.path_of(first)]


def _synced_during(monkeypatch: pytest.MonkeyPatch, action: Callable[[], object]) -> list[Path]:
    """What ``action`` fsyncs, in order (the real fsync still runs)."""
    synced: list[Path] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append(Path(os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    action()
    monkeypatch.setattr(os, "fsync", real_fsync)
    return synced


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to name the fsynced files")
def test_a_duplicate_makes_the_stored_name_durable_and_never_syncs_its_own_copy(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = LocalBlobStore(tmp_path)
    data = os.urandom(100_000)
    digest = hashlib.sha256(data).hexdigest()
    fan_out = store.path_of(digest).parent

    first = _synced_during(monkeypatch, lambda: _store(store, data))
    assert [path.parent for path in first] == [tmp_path / INCOMING, fan_out.parent]  # the copy, then its name
    assert first[1] == fan_out

    # Another upload of the same content may find the name before its first writer
    # fsynced the directory: the duplicate fsyncs that directory itself, and its own
    # copy, about to be thrown away, is never synced.
    again = _synced_during(monkeypatch, lambda: _store(store, data))
    assert again == [fan_out]
    assert list((tmp_path / INCOMING).iterdir()) == []


def test_the_empty_blob_has_the_well_known_hash(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    assert _store(store, b"") == EMPTY_SHA256
    assert store.exists(EMPTY_SHA256)


def test_an_aborted_write_leaves_nothing(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    writer = store.writer()
    writer.write(os.urandom(100_000))
    writer.abort()
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == []
    with pytest.raises(ValueError):
        writer.write(b"more")


@pytest.mark.parametrize("name", ["../../etc/passwd", "A" * 64, "abc", ""])
def test_only_a_well_formed_hash_becomes_a_path(tmp_path: Path, name: str) -> None:
    store = LocalBlobStore(tmp_path)
    with pytest.raises(ValueError):
        store.open(name)


def test_a_missing_blob_is_a_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        LocalBlobStore(tmp_path).open("0" * 64)


def test_a_symlink_planted_in_the_store_is_not_followed(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    secret = tmp_path / "secret.txt"
    secret.write_text("not a blob")
    digest = "ab" * 32
    store.path_of(digest).parent.mkdir(parents=True)
    store.path_of(digest).symlink_to(secret)
    with pytest.raises(OSError):
        store.open(digest)


def test_memory_does_not_grow_with_the_size_written(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    chunk = os.urandom(1024 * 1024)
    tracemalloc.start()
    try:
        writer = store.writer()
        for _ in range(64):
            writer.write(chunk)
        writer.finish()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024, peak


def test_a_large_blob_written_in_stages_by_a_writer_thread_is_whole_and_in_order(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    chunks = [os.urandom(1) * 1024 * 1024 + number.to_bytes(4, "big") for number in range(40)]
    writer = store.writer()
    for chunk in chunks:
        writer.write(chunk)
    info = writer.finish()
    expected = hashlib.sha256(b"".join(chunks))
    assert info.sha256 == expected.hexdigest()
    with store.open(info.sha256) as blob:
        assert hashlib.sha256(blob.read()).hexdigest() == info.sha256
    assert list((tmp_path / INCOMING).iterdir()) == []


_WRITE_PAST_FILE_SIZE_LIMIT = """
import os, resource, sys
from pathlib import Path
from mediavault_dav.blobs import LocalBlobStore
from mediavault_dav.blobs.local import INCOMING
root = Path(sys.argv[1])
store = LocalBlobStore(root)
resource.setrlimit(resource.RLIMIT_FSIZE, (20 * 1024 * 1024, resource.RLIM_INFINITY))
writer = store.writer()
try:
    for _ in range(40):
        writer.write(os.urandom(1024 * 1024))
    writer.finish()
except OSError as error:
    writer.abort()
    print("refused:", error.strerror)
print("left behind:", sorted(path.name for path in root.rglob("*") if path.is_file()))
"""


def test_a_disk_error_in_the_writer_thread_fails_the_write_and_leaves_nothing(tmp_path: Path) -> None:
    # A real write error: the file size limit (EFBIG) stands in for a full disk.
    result = subprocess.run([sys.executable, "-c", _WRITE_PAST_FILE_SIZE_LIMIT, str(tmp_path)],
                            capture_output=True, text=True, timeout=60, check=True)
    assert "refused: File too large" in result.stdout
    assert "left behind: []" in result.stdout
