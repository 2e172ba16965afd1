"""Sign-in sessions in the seed's ``sessions`` table (connect-pg-simple's schema).

A session row's ``sess`` is shaped like express-session's (a ``cookie`` object with
``originalMaxAge``/``expires``) plus MediaVault's own fields, so the table stays
compatible with the MediaVault web application's store. ``expire`` is a UTC
timestamp without time zone, as the seed defines it.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from mediavault_dav.db.database import Database
from mediavault_dav.vault import users
from mediavault_dav.vault.users import Account


def start(session: Session, account: Account, ttl_ms: int, *, secure: bool) -> str:
    """Create a session for ``account``; returns its id (256 random bits)."""
    sid = secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + timedelta(milliseconds=ttl_ms)
    sess = {
        "cookie": {"originalMaxAge": ttl_ms, "expires": expires.isoformat().replace("+00:00", "Z"),
                   "secure": secure, "httpOnly": True, "path": "/", "sameSite": "lax"},
        "mediavault": {"user_id": account.id, "username": account.username,
                       "stamp": users.stamp_of(session, account.id), "via": "webdav-basic"},
    }
    session.execute(
        sa.text("INSERT INTO sessions (sid, sess, expire) VALUES (:sid, CAST(:sess AS jsonb), :expire)"),
        {"sid": sid, "sess": json.dumps(sess, separators=(",", ":")),
         "expire": expires.replace(tzinfo=None)},
    )
    return sid


def resume(session: Session, sid: str) -> Account | None:
    """The account of a live session whose password has not changed since."""
    row = session.execute(
        sa.text("SELECT sess FROM sessions WHERE sid = :sid AND expire > (now() AT TIME ZONE 'UTC')"),
        {"sid": sid},
    ).one_or_none()
    if row is None:
        return None
    mine = row.sess.get("mediavault") if isinstance(row.sess, dict) else None
    if not isinstance(mine, dict) or not isinstance(mine.get("user_id"), int):
        return None  # a session of another application sharing the table
    return users.account_if_current(session, mine["user_id"], str(mine.get("stamp", "")))


def end(session: Session, sid: str) -> None:
    session.execute(sa.text("DELETE FROM sessions WHERE sid = :sid"), {"sid": sid})


CLEANUP_BATCH = 5000


def delete_expired(session: Session, limit: int = CLEANUP_BATCH) -> int:
    """The seed's daily ``DELETE FROM sessions WHERE expire < NOW()``, in batches.

    At most ``limit`` rows per call (found through ``IDX_session_expire``), so a
    backlog of millions never holds a long lock; callers loop until it returns less.
    """
    return cast("CursorResult[Any]", session.execute(
        sa.text("DELETE FROM sessions WHERE sid IN (SELECT sid FROM sessions "
                "WHERE expire < (now() AT TIME ZONE 'UTC') LIMIT :limit)"),
        {"limit": limit},
    )).rowcount


def count_expired(session: Session) -> int:
    return int(session.execute(
        sa.text("SELECT count(*) FROM sessions WHERE expire < (now() AT TIME ZONE 'UTC')")
    ).scalar_one())


@dataclass(frozen=True)
class StorageCheck:
    name: str
    ok: bool
    detail: str


_SEED_COLUMNS = {"sid": "character varying", "sess": "jsonb", "expire": "timestamp without time zone"}


def check_storage(database: Database) -> list[StorageCheck]:
    """The seed's test-session-storage: the schema, then a real write, read and expiry.

    Each step commits, as the gateway's own sign-ins do; the test rows are removed
    whatever happens.
    """
    checks: list[StorageCheck] = []
    with database.reading() as session:
        columns: dict[str, str] = dict(session.execute(sa.text(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = 'sessions'")).all())
        indexes = set(session.execute(sa.text(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'sessions'"
        )).scalars())
    if not columns:
        return [StorageCheck("table", False, "the sessions table does not exist")]
    wrong = [f"{name} should be {kind}" for name, kind in _SEED_COLUMNS.items() if columns.get(name) != kind]
    checks.append(StorageCheck("table", not wrong, "sid, sess, expire as the seed defines them"
                               if not wrong else "; ".join(wrong)))
    for index in ("sessions_pkey", "IDX_session_expire"):
        checks.append(StorageCheck(index, index in indexes, "present" if index in indexes else "missing"))
    if wrong:
        return checks
    live, dead = "mediavault-dav-test-" + secrets.token_urlsafe(12), "mediavault-dav-test-" + secrets.token_urlsafe(12)
    insert = sa.text("INSERT INTO sessions (sid, sess, expire) VALUES (:sid, CAST(:sess AS jsonb), "
                     "(now() AT TIME ZONE 'UTC') + make_interval(secs => :seconds))")
    live_query = sa.text("SELECT sess FROM sessions WHERE sid = :sid AND expire > (now() AT TIME ZONE 'UTC')")
    try:
        with database.transaction() as session:
            session.execute(insert, {"sid": live, "sess": '{"test": "live"}', "seconds": 60})
            session.execute(insert, {"sid": dead, "sess": '{"test": "expired"}', "seconds": -60})
        checks.append(StorageCheck("write", True, "a session row was stored and committed"))
        with database.reading() as session:
            found = session.execute(live_query, {"sid": live}).scalar()
            expired = session.execute(live_query, {"sid": dead}).scalar()
        checks.append(StorageCheck("read", found == {"test": "live"}, "read back as written"
                                   if found == {"test": "live"} else f"read back {found!r}"))
        checks.append(StorageCheck("expiry", expired is None, "an expired session is not resumed"
                                   if expired is None else "an expired session was returned"))
    finally:
        with database.transaction() as session:
            removed = cast("CursorResult[Any]", session.execute(
                sa.text("DELETE FROM sessions WHERE sid IN (:a, :b)"), {"a": live, "b": dead})).rowcount
    checks.append(StorageCheck("delete", removed == 2, "the test rows were removed"))
    return checks
