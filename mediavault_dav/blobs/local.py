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
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from mediavault_dav.blobs.store import BlobInfo, BlobStore, BlobWriter, StoredBlob, StrayFile

INCOMING = ".incoming"
QUARANTINE = ".quarantine"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_FAN_OUT = re.compile(r"^[0-9a-f]{2}$")


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
            try:
                os.utime(final)
            except FileNotFoundError:
                pass  # collected a moment ago: publish these bytes instead
            else:
                temporary.unlink()
                return
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temporary, final)
        _fsync_directory(final.parent)

    # --- what maintenance needs: walking, removing, quarantining ----------------

    def blobs(self) -> Iterator[StoredBlob]:
        """Every stored blob in hash order (the fan-out sorts like the hashes).

        One directory is listed at a time, so memory does not grow with the store.
        Files that do not belong (bad names, wrong fan-out directory) are yielded
        as ``StrayFile`` in the same walk.
        """
        for first in _sorted_entries(self.root):
            if not first.is_dir(follow_symlinks=False) or not _FAN_OUT.match(first.name):
                if first.name not in (INCOMING, QUARANTINE):
                    yield StrayFile(Path(first.path))
                continue
            for second in _sorted_entries(Path(first.path)):
                if not second.is_dir(follow_symlinks=False) or not _FAN_OUT.match(second.name):
                    yield StrayFile(Path(second.path))
                    continue
                for entry in _sorted_entries(Path(second.path)):
                    name = entry.name
                    if (not _SHA256.match(name) or name[:2] != first.name or name[2:4] != second.name
                            or not entry.is_file(follow_symlinks=False)):
                        yield StrayFile(Path(entry.path))
                        continue
                    try:
                        stat = entry.stat(follow_symlinks=False)
                    except FileNotFoundError:
                        continue  # collected or quarantined meanwhile
                    yield StoredBlob(name, Path(entry.path), stat.st_size, stat.st_mtime)

    def incoming(self) -> Iterator[tuple[Path, float]]:
        """Temporary files of writes in progress or abandoned: (path, mtime)."""
        for entry in _sorted_entries(self.root / INCOMING):
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
                modified = entry.stat(follow_symlinks=False).st_mtime
            except FileNotFoundError:
                continue  # its write finished meanwhile
            yield Path(entry.path), modified

    def modified_at(self, sha256: str) -> float | None:
        try:
            return self.path_of(sha256).stat().st_mtime
        except FileNotFoundError:
            return None

    def delete(self, sha256: str) -> bool:
        """Remove a blob. Only the garbage collector calls this, under the blob lock."""
        try:
            self.path_of(sha256).unlink()
        except FileNotFoundError:
            return False
        return True

    def quarantine(self, path: Path, reason: str) -> Path:
        """Move a damaged or stray file aside, inside the root; nothing is deleted."""
        target_dir = self.root / QUARANTINE
        target_dir.mkdir(exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        target = target_dir / f"{path.name}.{stamp}.{uuid.uuid4().hex[:8]}.{reason}"
        os.replace(path, target)
        _fsync_directory(target_dir)
        return target

    def quarantine_blob(self, sha256: str, reason: str) -> Path:
        return self.quarantine(self.path_of(sha256), reason)

    def quarantined(self) -> int:
        directory = self.root / QUARANTINE
        return sum(1 for _ in directory.iterdir()) if directory.is_dir() else 0


def _sorted_entries(directory: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(directory) as entries:
            return sorted(entries, key=lambda entry: entry.name)
    except FileNotFoundError:
        return []


# Start writeback every 16 MiB so the closing fsync has (almost) nothing left to do:
# without it a 1 GiB upload spent a second and a half in its final fsync, and a
# client waiting for the response to a much bigger one would give up.
WRITEBACK_BYTES = 16 * 1024 * 1024
_fadvise = getattr(os, "posix_fadvise", None)
_SIDE_QUEUE_CHUNKS = 8


class _LocalWriter(BlobWriter):
    def __init__(self, store: LocalBlobStore) -> None:
        self._store = store
        self._path = store.root / INCOMING / f"{uuid.uuid4().hex}.part"
        self._file: BinaryIO | None = open(self._path, "xb", buffering=0)  # noqa: SIM115
        self._sha256 = hashlib.sha256()
        self._size = 0
        self._written_back = 0

    @property
    def bytes_written(self) -> int:
        return self._size

    def write(self, chunk: bytes) -> None:
        if self._file is None:
            raise ValueError("the blob writer is closed")
        view = memoryview(chunk)
        while view:
            written = self._file.write(view)
            view = view[written:]
        self._sha256.update(chunk)
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
        info = BlobInfo(self._sha256.hexdigest(), self._size)
        try:
            self._store._publish(self._path, info.sha256)  # noqa: SLF001 - one module's pair
        except BaseException:
            self._path.unlink(missing_ok=True)
            raise
        return info

    def abort(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._path.unlink(missing_ok=True)
