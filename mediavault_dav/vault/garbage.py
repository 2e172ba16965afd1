"""Garbage collection: blobs, catalogue rows and temporary files nothing needs.

Nothing is deleted inline when a file goes away; ``collect`` does it later, with a
grace period, in three steps:

1. catalogue rows (``media_files``) that no entry names any more are removed in
   small batches (the foreign key from ``files`` makes a concurrent upload of the
   same content win: its batch fails and is simply left for next time);
2. the blob store is walked in hash order; blobs older than the grace that no row
   names become candidates, and each batch of candidates is re-checked under the
   exclusive blob lock (see ``blob_references``) — references and modification
   time again — before anything is deleted;
3. temporary files of writes (``.incoming``) untouched for longer than the grace,
   and for at least an hour whatever the grace, are removed.

Memory stays flat: the walk lists one directory at a time and candidates are
handled in batches.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from mediavault_dav.blobs import BlobStore, StoredBlob
from mediavault_dav.db.database import Database
from mediavault_dav.vault import blob_references
from mediavault_dav.vault.errors import Conflict

DEFAULT_GRACE_SECONDS = 24 * 3600
MIN_TEMPORARY_AGE_SECONDS = 3600
BATCH = 200
_CATALOGUE_BATCH = 1000


@dataclass
class Collected:
    """What a collection removed (or, in a dry run, would remove)."""

    dry_run: bool
    grace_seconds: float
    catalogue_rows: int = 0
    blobs: int = 0
    blob_bytes: int = 0
    spared_recent: int = 0  # unreferenced but younger than the grace
    spared_rechecked: int = 0  # referenced or touched again when re-checked under the lock
    temporary_files: int = 0
    temporary_bytes: int = 0
    removed: list[str] = field(default_factory=list)  # first hashes, for the report

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def collect(database: Database, blobs: BlobStore, *, grace_seconds: float = DEFAULT_GRACE_SECONDS,
            dry_run: bool = False, lock_wait_seconds: float = 3600,
            on_wait: Callable[[], None] | None = None) -> Collected:
    report = Collected(dry_run=dry_run, grace_seconds=grace_seconds)
    cutoff = time.time() - grace_seconds
    report.catalogue_rows = _prune_catalogue(database, dry_run)
    for batch in _batches(_old_unreferenced(database, blobs, cutoff, report)):
        if dry_run:
            _count_removed(report, batch)
            continue
        with database.transaction() as session:
            _take_exclusive(session, lock_wait_seconds, on_wait)
            still_named = blob_references.referenced_among(session, [blob.sha256 for blob in batch])
            for blob in batch:
                modified = blobs.modified_at(blob.sha256)
                if blob.sha256 in still_named or modified is None or modified >= cutoff:
                    report.spared_rechecked += 1
                    continue
                if blobs.delete(blob.sha256):
                    _count_removed(report, [blob])
    # A live write touches its file with every chunk, and cheroot gives up on a
    # client silent for 120 s; whatever the grace, an hour untouched is proof the
    # write is dead (a write on another node of a shared mount included).
    temporary_cutoff = min(cutoff, time.time() - MIN_TEMPORARY_AGE_SECONDS)
    for path, modified in blobs.incoming():
        if modified >= temporary_cutoff:
            continue
        try:
            size = path.stat().st_size
            if not dry_run:
                path.unlink()
        except FileNotFoundError:
            continue  # its write finished meanwhile
        report.temporary_files += 1
        report.temporary_bytes += size
    return report


def _count_removed(report: Collected, batch: list[StoredBlob]) -> None:
    for blob in batch:
        report.blobs += 1
        report.blob_bytes += blob.size
        if len(report.removed) < 100:
            report.removed.append(blob.sha256)


def _prune_catalogue(database: Database, dry_run: bool) -> int:
    unnamed = "SELECT m.id FROM media_files m WHERE NOT EXISTS (SELECT 1 FROM files e WHERE e.media_file_id = m.id)"
    if dry_run:
        with database.reading() as session:
            return int(session.execute(sa.text(f"SELECT count(*) FROM ({unnamed}) x")).scalar_one())
    removed = 0
    while True:
        try:
            with database.transaction() as session:
                count = cast("CursorResult[Any]", session.execute(
                    sa.text(f"DELETE FROM media_files WHERE id IN ({unnamed} LIMIT {_CATALOGUE_BATCH})")
                )).rowcount
        except sa_exc.IntegrityError:
            return removed  # an upload named one of them again meanwhile: next time
        removed += count
        if count < _CATALOGUE_BATCH:
            return removed


def _old_unreferenced(database: Database, blobs: BlobStore, cutoff: float,
                      report: Collected) -> Iterator[StoredBlob]:
    """Blobs no row names, older than the cutoff (a first pass, without the lock)."""
    walk = (item for item in blobs.blobs() if isinstance(item, StoredBlob))
    for batch in _batches(walk):
        with database.reading() as session:
            named = blob_references.referenced_among(session, [blob.sha256 for blob in batch])
        for blob in batch:
            if blob.sha256 in named:
                continue
            if blob.modified_at >= cutoff:
                report.spared_recent += 1
                continue
            yield blob


def _batches(items: Iterator[StoredBlob]) -> Iterator[list[StoredBlob]]:
    while batch := list(islice(items, BATCH)):
        yield batch


def _take_exclusive(session: Session, wait_seconds: float,
                    on_wait: Callable[[], None] | None) -> None:
    """Poll for the exclusive lock: never queue, or every upload would queue behind us."""
    deadline = time.monotonic() + wait_seconds
    pause, told = 0.01, False
    while not blob_references.try_exclusive(session):
        if time.monotonic() > deadline:
            raise Conflict("the blob lock stayed busy (is a backup running?); try gc again later")
        if not told and on_wait is not None and pause >= 0.5:
            on_wait()
            told = True
        time.sleep(pause)
        pause = min(pause * 2, 1.0)
