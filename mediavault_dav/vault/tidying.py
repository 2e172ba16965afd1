"""Routine tidying the gateway does by itself: expired sessions and DAV locks.

(Not to be confused with housekeeping *files*, vault/housekeeping.py.)

``mediavault-dav sessions cleanup`` runs the session part on demand (the seed's
daily job); the server runs ``tidy`` every ``MEDIAVAULT_HOUSEKEEPING_INTERVAL``
seconds. Several gateway processes doing it at once is harmless: each DELETE only
removes rows that are already dead.
"""

from __future__ import annotations

from dataclasses import dataclass

from mediavault_dav.db.database import Database
from mediavault_dav.vault import locks, sessions


@dataclass(frozen=True)
class Tidied:
    sessions: int
    locks: int


def remove_expired_sessions(database: Database) -> int:
    removed = 0
    while True:
        with database.transaction() as session:
            count = sessions.delete_expired(session)
        removed += count
        if count < sessions.CLEANUP_BATCH:
            return removed


def tidy(database: Database) -> Tidied:
    expired_sessions = remove_expired_sessions(database)
    with database.transaction() as session:
        expired_locks = locks.delete_expired(session)
    return Tidied(expired_sessions, expired_locks)
