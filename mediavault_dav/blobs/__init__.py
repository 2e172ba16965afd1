"""Content-addressed blob storage: bytes named by their SHA-256, stored once."""

from mediavault_dav.blobs.local import LocalBlobStore
from mediavault_dav.blobs.store import BlobInfo, BlobStore, BlobWriter, EMPTY_SHA256

__all__ = ["EMPTY_SHA256", "BlobInfo", "BlobStore", "BlobWriter", "LocalBlobStore"]
