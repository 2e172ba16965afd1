"""The storage interface the vault writes and reads blobs through.

A blob is immutable and named by the SHA-256 of its bytes. Writers stream: they
never hold a whole file in memory, and a blob becomes visible under its name only
once all its bytes are durably on storage. Only the garbage collector deletes a
blob (``delete``), with a grace period and under the vault's blob lock; damaged
files are moved to a quarantine directory, never deleted.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


@dataclass(frozen=True)
class BlobInfo:
    """What a finished write learned about the content."""

    sha256: str
    size: int


@dataclass(frozen=True)
class StoredBlob:
    """A blob found on storage by a walk."""

    sha256: str
    path: Path
    size: int
    modified_at: float  # seconds since the epoch; a dedup hit refreshes it


@dataclass(frozen=True)
class StrayFile:
    """Something in the store that is not a well-placed blob."""

    path: Path


class BlobWriter(ABC):
    """Receives a blob's bytes in order; ``finish`` makes it durable, ``abort`` drops it."""

    @abstractmethod
    def write(self, chunk: bytes) -> None: ...

    @property
    @abstractmethod
    def bytes_written(self) -> int: ...

    @abstractmethod
    def finish(self) -> BlobInfo:
        """Flush and fsync, then publish under the content's name (once)."""

    @abstractmethod
    def abort(self) -> None:
        """Forget everything written; safe to call more than once or after finish."""


class BlobStore(ABC):
    @abstractmethod
    def writer(self) -> BlobWriter: ...

    @abstractmethod
    def open(self, sha256: str) -> BinaryIO:
        """A seekable binary reader of the blob; FileNotFoundError if it is missing."""

    @abstractmethod
    def exists(self, sha256: str) -> bool: ...

    def free_bytes(self) -> int | None:
        """Room left for new blobs, or None where the store cannot tell (RFC 4331's
        ``quota-available-bytes`` is then reported from the quota alone)."""
        return None

    @abstractmethod
    def blobs(self) -> Iterator[StoredBlob | StrayFile]:
        """Every blob in hash order, and stray files met on the way."""

    @abstractmethod
    def incoming(self) -> Iterator[tuple[Path, float]]:
        """Temporary files of writes: (path, mtime)."""

    @abstractmethod
    def modified_at(self, sha256: str) -> float | None: ...

    @abstractmethod
    def delete(self, sha256: str) -> bool: ...

    @abstractmethod
    def quarantine(self, path: Path, reason: str) -> Path: ...

    @abstractmethod
    def quarantine_blob(self, sha256: str, reason: str) -> Path: ...
