"""MD5 and SHA-1 of uploaded content, for the clients that compare them.

SHA-256 names a blob; rclone's ``check`` (and ownCloud/Nextcloud clients) read
only MD5 and SHA-1 from ``oc:checksums``, so those are kept per content in
``media_files`` as well. They are computed while the upload streams, in a thread
of their own, so they are ready the moment the upload is answered: a sync client
verifying right after its upload compares real hashes, never "not yet known".
MD5 is the slowest of the three digests (about 770 MiB/s against SHA-256's
1,800 MiB/s on the benchmark machine); in its own thread it runs on another core
while the request's thread receives, hashes SHA-256 and writes. What that costs
in PUT throughput is measured by ``bench/checksums_bench.py`` (docs/clients.md).
"""

from __future__ import annotations

import hashlib
import queue
import threading
from dataclasses import dataclass

# Below this, hashing inline is cheaper than handing chunks to a thread.
INLINE_BYTES = 1024 * 1024
# Chunks waiting for the hashing thread (WsgiDAV reads 1 MiB at a time): memory
# stays bounded, and a slow hasher slows the upload instead of filling memory.
_QUEUED_CHUNKS = 4


@dataclass(frozen=True)
class Checksums:
    md5: str
    sha1: str


def _md5() -> hashlib._Hash:
    return hashlib.md5(usedforsecurity=False)


def _sha1() -> hashlib._Hash:
    return hashlib.sha1(usedforsecurity=False)


EMPTY = Checksums(_md5().hexdigest(), _sha1().hexdigest())


class ChecksumStream:
    """MD5 and SHA-1 of a stream of chunks, fed in order; ``finish`` gives both.

    The first MiB is hashed in the caller's thread (most files are small); from
    then on a thread of its own hashes while the caller carries on.
    """

    def __init__(self) -> None:
        self._md5 = _md5()
        self._sha1 = _sha1()
        self._inline = 0
        self._chunks: queue.Queue[bytes | None] | None = None
        self._thread: threading.Thread | None = None

    def update(self, chunk: bytes) -> None:
        if self._chunks is not None:
            self._chunks.put(chunk)
        elif self._inline + len(chunk) <= INLINE_BYTES:
            self._hash(chunk)
            self._inline += len(chunk)
        else:
            self._chunks = queue.Queue(_QUEUED_CHUNKS)
            self._thread = threading.Thread(target=self._work, name="checksums", daemon=True)
            self._thread.start()
            self._chunks.put(chunk)

    def _hash(self, chunk: bytes) -> None:
        self._md5.update(chunk)
        self._sha1.update(chunk)

    def _work(self) -> None:
        assert self._chunks is not None
        while (chunk := self._chunks.get()) is not None:
            self._hash(chunk)  # hashlib releases the GIL for chunks this size

    def _stop(self) -> None:
        if self._thread is not None and self._chunks is not None:
            self._chunks.put(None)
            self._thread.join()
            self._thread = None

    def finish(self) -> Checksums:
        self._stop()
        return Checksums(self._md5.hexdigest(), self._sha1.hexdigest())

    def abort(self) -> None:
        """Stop the thread, if any; safe to call more than once."""
        self._stop()
