"""Which blobs the vault's rows name, and the lock that keeps the answer true.

A blob is referenced while a ``files`` or ``media_files`` row names its hash. Rows
are committed only after their blob is published, but the garbage collector could
otherwise remove a blob between an upload publishing it (or finding it already
there: a dedup hit) and the upload's row committing. The protocol, one PostgreSQL
advisory lock (``BLOB_LOCK``), database-wide, so it holds across gateway processes:

- every writer takes it **shared** in the transaction that will reference a blob,
  *before* publishing the blob, and keeps it until that transaction commits
  (``publish``);
- a backup takes it **shared** from before its database snapshot until every blob
  the snapshot references is copied;
- the garbage collector takes it **exclusively**, never waiting in the queue (a
  waiting exclusive request would stall every upload behind it), and only for a
  short batch: under it, it re-reads the references and the blobs' modification
  times, and deletes only what is still unreferenced and older than the grace.

So while the collector deletes, no upload sits between publishing and committing,
and no backup is copying.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from mediavault_dav.blobs import BlobInfo, BlobWriter
from mediavault_dav.db.statements import Statement

BLOB_LOCK = 7305040

_REFERENCED_AMONG = sa.text(
    """
    SELECT sha256 FROM media_files WHERE sha256 = ANY(CAST(:hashes AS text[]))
    UNION
    SELECT hash FROM files WHERE hash = ANY(CAST(:hashes AS text[]))
    """
)

# Every referenced hash with the size the rows record, in hash order (the order a
# blob store walk yields), so fsck can merge the two streams in constant memory.
_ALL_REFERENCED = sa.text(
    """
    SELECT sha, min(size) AS min_size, max(size) AS max_size FROM (
        SELECT sha256 AS sha, size_bytes AS size FROM media_files
        UNION ALL
        SELECT hash, size_bytes FROM files
    ) named GROUP BY sha ORDER BY sha COLLATE "C"
    """
)


_HOLD_SHARED = Statement("SELECT pg_advisory_xact_lock_shared(:key)")  # every upload runs it


def hold_shared(session: Session) -> None:
    """Hold the blob lock shared until the session's transaction ends."""
    _HOLD_SHARED.run(session, {"key": BLOB_LOCK})


def publish(session: Session, writer: BlobWriter) -> BlobInfo:
    """Make a written blob visible inside the transaction that will reference it.

    The shared lock comes first: from here until the caller commits, the garbage
    collector cannot remove this content, whether it was just written or found
    already stored.
    """
    hold_shared(session)
    return writer.finish()


def try_exclusive(session: Session) -> bool:
    """Take the blob lock exclusively for this transaction, if nobody holds it."""
    return bool(session.execute(sa.text("SELECT pg_try_advisory_xact_lock(:key)"),
                                {"key": BLOB_LOCK}).scalar_one())


def referenced_among(session: Session, hashes: Sequence[str]) -> set[str]:
    if not hashes:
        return set()
    return set(session.execute(_REFERENCED_AMONG, {"hashes": list(hashes)}).scalars())


def stream_referenced(connection: Connection) -> Iterator[tuple[str, int, int]]:
    """(sha256, smallest recorded size, largest recorded size) in hash order, streamed.

    The caller may work for a long time between fetches (hashing blobs), so this
    transaction may sit idle longer than the pool's usual limit.
    """
    connection.execute(sa.text("SET LOCAL idle_in_transaction_session_timeout = 0"))
    result = connection.execution_options(stream_results=True, yield_per=1000).execute(_ALL_REFERENCED)
    for row in result:
        yield row.sha, int(row.min_size), int(row.max_size)


def entries_naming(session: Session, sha256: str, limit: int = 20) -> list[str]:
    """Where a content appears, as ``user:/Files/path`` (for reports)."""
    rows = session.execute(
        sa.text(
            """
            WITH RECURSIVE up(file_id, folder_id, path) AS (
                SELECT e.id, e.folder_id, e.name FROM files e WHERE e.hash = :sha
              UNION ALL
                SELECT up.file_id, f.parent_id, CASE WHEN f.parent_id IS NULL THEN up.path
                                                     ELSE f.name || '/' || up.path END
                FROM up JOIN folders f ON f.id = up.folder_id
                WHERE up.folder_id IS NOT NULL
            )
            SELECT u.username, '/Files/' || up.path AS path
            FROM up JOIN files e ON e.id = up.file_id JOIN users u ON u.id = e.user_id
            WHERE up.folder_id IS NULL
            ORDER BY u.username, path LIMIT :limit
            """
        ),
        {"sha": sha256, "limit": limit},
    )
    return [f"{row.username}:{row.path}" for row in rows]
