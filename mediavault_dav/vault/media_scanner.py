"""Reads media metadata in the background, after uploads are safe.

The upload path only names the new content (``submit``); a single worker thread
opens the blob, reads its headers (vault/media_metadata.py) and stores the result.
An upload never waits for it and is never failed by it. If the process stops with
work queued, nothing is lost: the content's ``metadata_read_at`` is still NULL and
``catch_up`` (run when the worker starts) reads it then.
"""

from __future__ import annotations

import io
import logging
import queue
import threading
from typing import cast

from mediavault_dav.blobs import BlobStore
from mediavault_dav.db.database import Database
from mediavault_dav.vault import media_metadata
from mediavault_dav.vault.media_metadata import Unread

_log = logging.getLogger(__name__)

QUEUE_LIMIT = 10_000
CATCH_UP_BATCH = 1000
_STOP = None


class MediaScanner:
    def __init__(self, database: Database, blobs: BlobStore) -> None:
        self._database = database
        self._blobs = blobs
        self._queue: queue.Queue[Unread | None] = queue.Queue(QUEUE_LIMIT)
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self) -> None:
        """Start the worker; contents left unread by an earlier run are queued first
        (looked up here, in one statement, so the worker starts with a known list)."""
        pending = self._unread()
        self._thread = threading.Thread(target=self._run, args=(pending,), name="media-scanner", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        if self._thread is None:
            return
        self._stopping.set()
        try:
            self._queue.put(_STOP, timeout=timeout)
        except queue.Full:
            pass
        self._thread.join(timeout)
        self._thread = None

    def submit(self, media_file_id: int, sha256: str, mime_type: str) -> None:
        """Ask for a content's metadata; returns at once (dropped if the queue is full:
        the next start catches up)."""
        if not media_metadata.can_read(mime_type) or self._thread is None:
            return
        try:
            self._queue.put_nowait(Unread(media_file_id, sha256, mime_type))
        except queue.Full:
            _log.warning("metadata queue full; media %s will be read on the next start", media_file_id)

    def _run(self, pending: list[Unread]) -> None:
        while pending:
            for item in pending:
                if self._stopping.is_set():
                    return
                self._read(item)
            # A full batch may mean more are waiting (after a bulk import, say).
            pending = self._unread() if len(pending) == CATCH_UP_BATCH else []
        while True:
            queued = self._queue.get()
            if queued is None:  # _STOP
                return
            self._read(queued)

    def _unread(self) -> list[Unread]:
        try:
            with self._database.reading() as session:
                return media_metadata.unread(session, CATCH_UP_BATCH)
        except Exception:  # noqa: BLE001 - a database outage must not stop the gateway
            _log.warning("could not look for media without metadata", exc_info=True)
            return []

    def _read(self, item: Unread) -> None:
        try:
            raw = cast(io.RawIOBase, self._blobs.open(item.sha256))  # an unbuffered file (blobs/local.py)
            with io.BufferedReader(raw, 64 * 1024) as stream:
                metadata = media_metadata.read(stream, item.mime_type)
        except OSError as error:
            _log.warning("could not open the blob of media %s: %s", item.media_file_id, error)
            metadata = media_metadata.MediaMetadata()
        try:
            with self._database.transaction() as session:
                media_metadata.record(session, item.media_file_id, metadata)
        except Exception:  # noqa: BLE001
            _log.warning("could not store metadata of media %s", item.media_file_id, exc_info=True)
