"""Routine tidying the gateway does by itself: expired sessions, DAV locks and
sign-in failure records, and audit rows past their retention.

(Not to be confused with housekeeping *files*, vault/housekeeping.py.)

``mediavault-dav sessions cleanup`` runs the session part on demand (the seed's
daily job); the server runs ``tidy`` every ``MEDIAVAULT_HOUSEKEEPING_INTERVAL``
seconds. Several gateway processes doing it at once is harmless: each DELETE only
removes rows that are already dead.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from mediavault_dav.db.database import Database
from mediavault_dav.vault import activity, locks, sessions, sign_in_throttle

_INSUFFICIENT_PRIVILEGE = "42501"


@dataclass(frozen=True)
class Tidied:
    sessions: int
    locks: int
    sign_in_records: int = 0
    audit_rows: int | None = 0  # None: this role may not delete audit rows (db grants)


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
        old_sign_in_records = sign_in_throttle.forget_old(session)
    return Tidied(expired_sessions, expired_locks, old_sign_in_records, prune_audit_trail(database))


def prune_audit_trail(database: Database) -> int | None:
    """Rows past the retention setting; None when the gateway's role may not delete
    them (``db grants`` makes the trail append-only for it: the owner's
    ``mediavault-dav audit prune`` does it then)."""
    try:
        with database.transaction() as session:
            return activity.prune(session)
    except sa.exc.ProgrammingError as error:
        if getattr(error.orig, "sqlstate", None) == _INSUFFICIENT_PRIVILEGE:
            return None
        raise
