"""Read verification: a full GET proves the bytes it sends are the content's.

With ``verify_on_read`` on, the blob stream handed to WsgiDAV for a full (non-Range)
GET hashes what passes through it. The last chunk is held back until the hash is
known: on a mismatch it is never sent, an exception ends the response, and cheroot
drops the connection, so the client sees a short body against its Content-Length —
never a clean end of a corrupt file. The blob is moved to quarantine (a retry then
gets an error, not the bad bytes again) and the event is logged.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any, BinaryIO

from mediavault_dav.blobs import BlobStore

_log = logging.getLogger(__name__)


class ContentCorrupted(Exception):
    """The stored bytes do not hash to the content's name."""


def wants_verification(environ: dict[str, Any]) -> bool:
    """Only a full GET sees every byte; a Range request cannot be checked."""
    return environ.get("REQUEST_METHOD") == "GET" and "HTTP_RANGE" not in environ


class VerifiedRead:
    """A read-only stream that checks SHA-256 and size as the last byte goes out."""

    def __init__(self, stream: BinaryIO, sha256: str, size: int, blobs: BlobStore, what: str) -> None:
        self._stream = stream
        self._sha256 = sha256
        self._size = size
        self._blobs = blobs
        self._what = what
        self._digest = hashlib.sha256()
        self._seen = 0
        self._verified = False

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size)
        if self._verified:
            return chunk
        self._digest.update(chunk)
        self._seen += len(chunk)
        if self._seen >= self._size or not chunk:
            self._verify()
        return chunk

    def _verify(self) -> None:
        self._verified = True
        actual = self._digest.hexdigest()
        if self._seen == self._size and actual == self._sha256:
            return
        moved: Path | str
        try:
            moved = self._blobs.quarantine_blob(self._sha256, "read-mismatch")
        except OSError as error:
            moved = f"(could not quarantine: {error.strerror})"
        _log.critical("content %s of %s failed verification on read (%d bytes hashed to %s); "
                      "the download was aborted and the blob quarantined to %s",
                      self._sha256, self._what, self._seen, actual, moved)
        raise ContentCorrupted(f"content {self._sha256} is corrupt")

    def seek(self, offset: int, whence: int = 0) -> int:
        if offset != 0 or whence != 0 or self._seen:
            raise OSError("a verified read only starts at the beginning")
        return self._stream.seek(0)

    def close(self) -> None:
        self._stream.close()
