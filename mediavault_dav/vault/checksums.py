"""MD5 and SHA-1 of uploaded content, for the clients that compare them.

SHA-256 names a blob; rclone's ``check`` (and ownCloud/Nextcloud clients) read
only MD5 and SHA-1 from ``oc:checksums``, so those are kept per content in
``media_files`` as well. They are computed while the upload streams, in threads
of their own, so they are ready the moment the upload is answered: a sync client
verifying right after its upload compares real hashes, never "not yet known".
MD5 is the slowest of the three digests (about 770 MiB/s against SHA-256's
1,800 MiB/s on the benchmark machine); each of the two gets a thread of its own,
so on a machine with cores to spare they run beside the request's thread, which
receives, hashes SHA-256 and writes. They cost about 2 CPU seconds per GiB; what
that does to PUT throughput is measured by ``bench/checksums_bench.py`` and
recorded in docs/clients.md.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from dataclasses import dataclass

# Below this, hashing inline is cheaper than handing chunks to a thread.
INLINE_BYTES = 1024 * 1024
# Chunks waiting for each hashing thread (WsgiDAV reads 1 MiB at a time): memory
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
    then on each digest has a thread of its own while the caller carries on.
    """

    def __init__(self) -> None:
        self._digests = (_md5(), _sha1())
        self._inline = 0
        self._workers: list[tuple[queue.Queue[bytes | None], threading.Thread]] = []

    def update(self, chunk: bytes) -> None:
        if self._workers:
            for waiting, _ in self._workers:
                waiting.put(chunk)
        elif self._inline + len(chunk) <= INLINE_BYTES:
            for digest in self._digests:
                digest.update(chunk)
            self._inline += len(chunk)
        else:
            for digest in self._digests:
                chunks: queue.Queue[bytes | None] = queue.Queue(_QUEUED_CHUNKS)
                thread = threading.Thread(target=_work, args=(digest, chunks), name="checksums", daemon=True)
                thread.start()
                self._workers.append((chunks, thread))
            self.update(chunk)

    def _stop(self) -> None:
        for chunks, thread in self._workers:
            chunks.put(None)
            thread.join()
        self._workers = []

    def finish(self) -> Checksums:
        self._stop()
        md5, sha1 = self._digests
        return Checksums(md5.hexdigest(), sha1.hexdigest())

    def abort(self) -> None:
        """Stop the threads, if any; safe to call more than once."""
        self._stop()


def _work(digest: hashlib._Hash, chunks: queue.Queue[bytes | None]) -> None:
    while (chunk := chunks.get()) is not None:
        digest.update(chunk)  # hashlib releases the GIL for chunks this size
