"""MD5 and SHA-1 computed while an upload streams (vault/checksums.py)."""

from __future__ import annotations

import hashlib
import os
import threading

import pytest

from mediavault_dav.vault.checksums import EMPTY, INLINE_BYTES, ChecksumStream


@pytest.mark.parametrize("sizes", [[], [10], [INLINE_BYTES], [INLINE_BYTES, 1], [1] + [1024 * 1024] * 20 + [3]])
def test_the_digests_are_those_of_the_whole_stream(sizes: list[int]) -> None:
    chunks = [os.urandom(size) for size in sizes]
    stream = ChecksumStream()
    for chunk in chunks:
        stream.update(chunk)
    digests = stream.finish()
    whole = b"".join(chunks)
    assert (digests.md5, digests.sha1) == (hashlib.md5(whole).hexdigest(), hashlib.sha1(whole).hexdigest())


def test_small_streams_need_no_thread_and_big_ones_release_theirs() -> None:
    before = threading.active_count()
    small = ChecksumStream()
    small.update(b"x" * 1000)
    assert threading.active_count() == before
    big = ChecksumStream()
    for _ in range(3):
        big.update(os.urandom(INLINE_BYTES))
    assert threading.active_count() == before + 2  # one per digest
    big.abort()
    big.abort()  # twice is harmless
    assert threading.active_count() == before
    assert small.finish() != EMPTY
