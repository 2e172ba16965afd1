"""Blobs in a local directory (a shared mount serves several gateway nodes).

Layout: ``<root>/ab/cd/<sha256>`` for content, ``<root>/.incoming/`` for writes in
progress. A write goes to a temporary file inside the root (same file system, so
the final rename is atomic), is hashed as it streams, fsynced, renamed into place
and the directory fsynced. An fsync error fails the write: after one, the kernel
may have dropped the data (PostgreSQL's "fsyncgate").
"""

from __future__ import annotations

import hashlib
import mmap
import os
import queue
import re
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from mediavault_dav.blobs.store import BlobInfo, BlobStore, BlobWriter, StoredBlob, StrayFile

try:
    import fcntl
except ImportError:  # Windows: no direct I/O switch, writes stay buffered
    fcntl = None  # type: ignore[assignment]

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
        return self.root.joinpath(sha256[:2], sha256[2:4], sha256)

    def writer(self) -> BlobWriter:
        return _LocalWriter(self)

    def open(self, sha256: str) -> BinaryIO:
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        fd = os.open(self.path_of(sha256), flags)
        return os.fdopen(fd, "rb", buffering=0)

    def exists(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()

    def free_bytes(self) -> int:
        return shutil.disk_usage(self.root).free

    def _already_stored(self, sha256: str) -> bool:
        """Whether the content is stored, durably; if so it is marked as wanted now.

        Touching it tells the garbage collector the content was wanted just now.
        The directory is fsynced because the blob may have been renamed into place
        by another upload a moment ago, before that upload fsynced the directory:
        the caller is about to commit a row naming it, and that row must never
        outlive the name after a crash.
        """
        final = self.path_of(sha256)
        try:
            os.utime(final)
        except FileNotFoundError:
            return False  # never stored, or collected a moment ago
        _fsync_directory(final.parent)
        return True

    def _publish(self, temporary: Path, sha256: str) -> None:
        if self._already_stored(sha256):
            temporary.unlink()
            return
        final = self.path_of(sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temporary, final)
        _fsync_directory(final.parent)

    # --- what maintenance needs: walking, removing, quarantining ----------------

    def blobs(self) -> Iterator[StoredBlob | StrayFile]:
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


# Bytes reach the disk in whole stages of this size: large, and a multiple of any
# block size direct I/O needs.
STAGE_BYTES = 1024 * 1024
# Buffered writes (no direct I/O here) start writeback every 16 MiB, so the closing
# fsync of a big upload has almost nothing left to do (a client waiting minutes for
# the response to a large one would give up) and the page cache is not filled.
WRITEBACK_BYTES = 16 * 1024 * 1024
_O_DIRECT = getattr(os, "O_DIRECT", 0)
_fadvise = getattr(os, "posix_fadvise", None)


class _File:
    """The temporary file a blob is written to: whole stages, direct I/O, a writer thread.

    Through the page cache, writing cost this project's test machines 1-2.5 s of
    kernel CPU per GiB (copying, then writeback), as much as receiving and hashing
    the upload together; with direct I/O (``O_DIRECT``) the same GiB costs a few
    hundredths of a second and goes at the disk's speed. Direct I/O wants aligned
    memory and whole blocks, so bytes are collected in a page-aligned stage and
    written when it is full; the last, partial stage is written through the page
    cache (direct I/O switched off again) and the closing fsync makes it all
    durable. Where the file system refuses direct I/O (tmpfs, some network file
    systems, macOS, Windows), writes stay buffered with writeback started every
    16 MiB.

    From the first whole stage on, a thread of its own writes full stages while the
    request's thread fills the other one (two stages, so memory stays at 2 MiB and a
    slow disk slows the upload instead of filling memory): waiting for the disk
    overlaps with receiving and hashing. Small files never start it. An error in
    the thread is raised by the next hand-over or by ``sync_and_close``.
    """

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)
        self._stage: mmap.mmap | None = None  # page-aligned; allocated once a chunk needs it
        self._staged = 0
        self._written = 0
        self._written_back = 0
        self._direct = False
        self._writer: threading.Thread | None = None
        # Made with the writer thread (small files never need them).
        self._full: queue.Queue[mmap.mmap | None] | None = None
        self._free: queue.SimpleQueue[mmap.mmap] | None = None
        self._error: BaseException | None = None

    def write(self, chunk: bytes) -> None:
        view = memoryview(chunk)
        while view:
            if self._stage is None:
                self._stage = mmap.mmap(-1, STAGE_BYTES)
            taken = min(len(view), STAGE_BYTES - self._staged)
            self._stage[self._staged:self._staged + taken] = view[:taken]
            self._staged += taken
            view = view[taken:]
            if self._staged == STAGE_BYTES:
                self._hand_over()

    def _hand_over(self) -> None:
        """Give the full stage to the writer thread and take the free one."""
        if self._writer is None:
            self._direct = _set_direct(self._fd, True)  # decided once, at the first whole stage
            self._full, self._free = queue.Queue(1), queue.SimpleQueue()
            self._free.put(mmap.mmap(-1, STAGE_BYTES))
            self._writer = threading.Thread(target=self._write_stages, name="blob-writer", daemon=True)
            self._writer.start()
        if self._error is not None:
            raise self._error
        assert self._full is not None and self._free is not None
        self._full.put(self._stage)
        self._stage, self._staged = self._free.get(), 0

    def _write_stages(self) -> None:
        assert self._full is not None and self._free is not None
        while (stage := self._full.get()) is not None:
            try:
                if self._error is None:
                    self._write(stage, STAGE_BYTES)
            except BaseException as error:  # noqa: BLE001 - raised in the request's thread
                self._error = error
            finally:
                self._free.put(stage)

    def _write(self, stage: mmap.mmap, length: int) -> None:
        done = 0
        with memoryview(stage) as view:  # released even if a write fails: the stage can be closed
            while done < length:
                with view[done:length] as rest:
                    done += os.write(self._fd, rest)
        self._written += done
        if not self._direct and _fadvise is not None and self._written - self._written_back >= WRITEBACK_BYTES:
            # POSIX_FADV_DONTNEED on dirty pages starts their writeback (Linux); it never waits.
            _fadvise(self._fd, self._written_back, self._written - self._written_back, os.POSIX_FADV_DONTNEED)
            self._written_back = self._written

    def _stop_writer(self) -> None:
        if self._writer is not None and self._full is not None:
            self._full.put(None)
            self._writer.join()
            self._writer = None

    def sync_and_close(self) -> None:
        """Write what is left (the last stage through the page cache), fsync, close."""
        try:
            self._stop_writer()
            if self._error is not None:
                raise self._error
            if self._stage is not None and self._staged:
                if self._direct and not _set_direct(self._fd, False):
                    raise OSError("direct I/O could not be switched off for the last, partial block")
                self._direct = False
                self._write(self._stage, self._staged)
            os.fsync(self._fd)
        finally:
            self.close()

    def close(self) -> None:
        self._stop_writer()
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        stages = [self._stage] if self._stage is not None else []
        while self._free is not None and not self._free.empty():
            stages.append(self._free.get_nowait())
        for stage in stages:
            stage.close()
        self._stage = None


def _set_direct(fd: int, on: bool) -> bool:
    """Switch direct I/O on or off for ``fd``; False where the system refuses."""
    if not _O_DIRECT or fcntl is None:
        return False
    try:
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        fcntl.fcntl(fd, fcntl.F_SETFL, flags | _O_DIRECT if on else flags & ~_O_DIRECT)
    except OSError:
        return False
    return True


class _LocalWriter(BlobWriter):
    def __init__(self, store: LocalBlobStore) -> None:
        self._store = store
        self._path = store.root / INCOMING / f"{uuid.uuid4().hex}.part"
        self._file: _File | None = _File(self._path)
        self._sha256 = hashlib.sha256()
        self._size = 0

    @property
    def bytes_written(self) -> int:
        return self._size

    def write(self, chunk: bytes) -> None:
        if self._file is None:
            raise ValueError("the blob writer is closed")
        self._file.write(chunk)
        self._sha256.update(chunk)
        self._size += len(chunk)

    def finish(self) -> BlobInfo:
        if self._file is None:
            raise ValueError("the blob writer is closed")
        file, self._file = self._file, None
        info = BlobInfo(self._sha256.hexdigest(), self._size)
        try:
            if self._store._already_stored(info.sha256):  # noqa: SLF001 - one module's pair
                # Deduplicated: this copy is thrown away, so it need not reach the disk.
                file.close()
                self._path.unlink(missing_ok=True)
                return info
            file.sync_and_close()
        except BaseException:
            file.close()
            self._path.unlink(missing_ok=True)
            raise
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
