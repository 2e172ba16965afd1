"""Free space where blobs are stored: what clients are told they may still upload.

Finder's statfs, ``rclone about`` and davfs2 show it (RFC 4331
``quota-available-bytes``). A store whose free space cannot be known answers None
and the property is reported as not found rather than as a made-up number.
"""

from __future__ import annotations

import shutil

from mediavault_dav.blobs.local import LocalBlobStore
from mediavault_dav.blobs.store import BlobStore


def free_bytes(store: BlobStore) -> int | None:
    # (A method of the store once the local store's module is free to change;
    # an object store would answer None or its bucket quota.)
    if isinstance(store, LocalBlobStore):
        return shutil.disk_usage(store.root).free
    return None
