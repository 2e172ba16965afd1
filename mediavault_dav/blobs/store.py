"""The storage interface the vault writes and reads blobs through.

A blob is immutable and named by the SHA-256 of its bytes. Writers stream: they
never hold a whole file in memory, and a blob becomes visible under its name only
once all its bytes are durably on storage. Nothing here deletes a blob; unreferenced
blobs are the garbage collector's business, with a grace period.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import BinaryIO

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


@dataclass(frozen=True)
class BlobInfo:
    """What a finished write learned about the content."""

    sha256: str
    size: int


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
