"""Listening history (``play_history``): when a play counts.

Whether a request *is* listening is the caller's call (the DAV layer looks at who
asks and how, see dav/plays.py). What this module decides is that a play of one
track is counted once: a player that re-opens, seeks or buffers within the track's
length (at least a minute; ten minutes when the length is unknown) adds nothing.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mediavault_dav.vault.tree import FileEntry

UNKNOWN_LENGTH_SECONDS = 600
MIN_REPEAT_SECONDS = 60

_RECORD = sa.text(
    f"""INSERT INTO play_history (user_id, file_id, media_file_id, client)
        SELECT :user, e.id, e.media_file_id, :client
        FROM files e JOIN media_files m ON m.id = e.media_file_id
        WHERE e.id = :file AND e.user_id = :user
          AND NOT EXISTS (
              SELECT 1 FROM play_history p
              WHERE p.user_id = :user AND p.file_id = e.id
                AND p.played_at > now() - make_interval(
                    secs => GREATEST(COALESCE(m.duration_seconds, {UNKNOWN_LENGTH_SECONDS}), {MIN_REPEAT_SECONDS})))
        RETURNING id"""
)


def record_play(session: Session, file: FileEntry, client: str | None) -> bool:
    """Count a play of ``file`` by its owner; False if it continues a recent one."""
    row = session.execute(_RECORD, {"user": file.user_id, "file": file.id,
                                    "client": (client or "")[:200] or None}).one_or_none()
    return row is not None


def plays(session: Session, user_id: int) -> list[tuple[int | None, str | None]]:
    """(file id, client) of the user's plays, newest first."""
    rows = session.execute(
        sa.text("SELECT file_id, client FROM play_history WHERE user_id = :user ORDER BY played_at DESC, id DESC"),
        {"user": user_id},
    )
    return [(row.file_id, row.client) for row in rows]
