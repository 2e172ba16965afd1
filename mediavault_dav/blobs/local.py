"""Blobs in a local directory (a shared mount serves several gateway nodes).

Layout: ``<root>/ab/cd/<sha256>`` for content, ``<root>/.incoming/`` for writes in
progress. A write goes to a temporary file inside the root (same file system, so
the final rename is atomic), is hashed as it streams, fsynced, renamed into place
and the directory fsynced. An fsync error fails the write: after one, the kernel
may have dropped the data (PostgreSQL's "fsyncgate").
"""

from __future__ import annotations

import hashlib
import os
import queue
import re
import threading
import uuid
from pathlib import Path
from typing import BinaryIO

from mediavault_dav.blobs.store import BlobInfo, BlobStore, BlobWriter

INCOMING = ".incoming"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _fsync_directory(path: Path) -> None:
    if os.name == "nt":  # directories cannot be opened for fsync on Windows
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalBlobStore(BlobStore):
    def __init__(self, root: Path) -> None:
        self.root = root
        (root / INCOMING).mkdir(parents=True, exist_ok=True)

    def path_of(self, sha256: str) -> Path:
        # Only a well-formed hash ever becomes a path: no name reaches the disk.
        if not _SHA256.match(sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def writer(self) -> BlobWriter:
        return _LocalWriter(self)

    def open(self, sha256: str) -> BinaryIO:
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        fd = os.open(self.path_of(sha256), flags)
        return os.fdopen(fd, "rb", buffering=0)

    def exists(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()

    def _publish(self, temporary: Path, sha256: str) -> None:
        final = self.path_of(sha256)
        if final.exists():
            # Deduplicated: the bytes are already there. Touching it tells the
            # garbage collector the content was wanted just now.
            os.utime(final)
            temporary.unlink()
            return
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temporary, final)
        _fsync_directory(final.parent)


SIDE_HASH_THRESHOLD = 1024 * 1024
# Start writeback every 16 MiB so the closing fsync has (almost) nothing left to do:
# without it a 1 GiB upload spent a second and a half in its final fsync.
WRITEBACK_BYTES = 16 * 1024 * 1024
_fadvise = getattr(os, "posix_fadvise", None)
_SIDE_QUEUE_CHUNKS = 8


class _SideHashes:
    """MD5 and SHA-1 (what rclone's ``check`` reads), computed beside the write.

    They cost more CPU than SHA-256 and the write together, so for bodies past
    ``SIDE_HASH_THRESHOLD`` a helper thread takes the chunks (hashlib releases the
    GIL): on two cores the extra digests then cost almost no wall time. Small bodies
    are hashed inline, where a thread would cost more than it saves. The queue is
    bounded, so memory stays at a few chunks however large the file.
    """

    def __init__(self) -> None:
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.sha1 = hashlib.sha1(usedforsecurity=False)
        self._seen = 0
        self._queue: queue.Queue[bytes | None] | None = None
        self._thread: threading.Thread | None = None

    def update(self, chunk: bytes) -> None:
        if self._queue is not None:
            self._queue.put(chunk)
            return
        self.md5.update(chunk)
        self.sha1.update(chunk)
        self._seen += len(chunk)
        if self._seen >= SIDE_HASH_THRESHOLD:
            self._queue = queue.Queue(maxsize=_SIDE_QUEUE_CHUNKS)
            self._thread = threading.Thread(target=self._run, name="blob-side-hashes", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        assert self._queue is not None
        while (chunk := self._queue.get()) is not None:
            self.md5.update(chunk)
            self.sha1.update(chunk)

    def finish(self) -> tuple[str, str]:
        self.stop()
        return self.md5.hexdigest(), self.sha1.hexdigest()

    def stop(self) -> None:
        if self._queue is not None and self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._queue = self._thread = None


class _LocalWriter(BlobWriter):
    def __init__(self, store: LocalBlobStore) -> None:
        self._store = store
        self._path = store.root / INCOMING / f"{uuid.uuid4().hex}.part"
        self._file: BinaryIO | None = open(self._path, "xb", buffering=0)  # noqa: SIM115
        self._sha256 = hashlib.sha256()
        self._side = _SideHashes()
        self._size = 0
        self._written_back = 0

    @property
    def bytes_written(self) -> int:
        return self._size

    def write(self, chunk: bytes) -> None:
        if self._file is None:
            raise ValueError("the blob writer is closed")
        chunk = bytes(chunk)  # the side thread must see exactly these bytes, whatever the caller reuses
        view = memoryview(chunk)
        while view:
            written = self._file.write(view)
            view = view[written:]
        self._sha256.update(chunk)
        self._side.update(chunk)
        self._size += len(chunk)
        if _fadvise is not None and self._size - self._written_back >= WRITEBACK_BYTES:
            # POSIX_FADV_DONTNEED on dirty pages starts their writeback (Linux) and
            # keeps a big upload from filling the page cache; it never blocks on I/O.
            _fadvise(self._file.fileno(), self._written_back, self._size - self._written_back,
                     os.POSIX_FADV_DONTNEED)
            self._written_back = self._size

    def finish(self) -> BlobInfo:
        if self._file is None:
            raise ValueError("the blob writer is closed")
        try:
            os.fsync(self._file.fileno())
        finally:
            self._file.close()
            self._file = None
        md5, sha1 = self._side.finish()
        info = BlobInfo(self._sha256.hexdigest(), self._size, md5, sha1)
        try:
            self._store._publish(self._path, info.sha256)  # noqa: SLF001 - one module's pair
        except BaseException:
            self._path.unlink(missing_ok=True)
            raise
        return info

    def abort(self) -> None:
        self._side.stop()
        if self._file is not None:
            self._file.close()
            self._file = None
        self._path.unlink(missing_ok=True)
