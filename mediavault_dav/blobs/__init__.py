"""Content-addressed blob storage: bytes named by their SHA-256, stored once."""

from mediavault_dav.blobs.local import LocalBlobStore
from mediavault_dav.blobs.store import EMPTY_SHA256, BlobInfo, BlobStore, BlobWriter, StoredBlob, StrayFile

__all__ = ["EMPTY_SHA256", "BlobInfo", "BlobStore", "BlobWriter", "LocalBlobStore", "StoredBlob", "StrayFile"]
