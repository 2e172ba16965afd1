"""WebDAV locks kept in PostgreSQL, shared by every gateway process.

Locks are keyed by the locked resource's reference URL (``root``), which the DAV
layer prefixes with the owner's user id, so two users' trees never meet. Creating a
lock re-checks conflicts inside the inserting transaction under an advisory lock:
the in-process check WsgiDAV does first cannot see other processes, this one can.

Limits: a lock lives at most ``MAX_TIMEOUT_SECONDS`` (a client refreshes it), and a
user holds at most ``MAX_LOCKS_PER_USER``, so LOCK cannot be used to fill the table.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from mediavault_dav.db.statements import Executes, Row, Statement
from mediavault_dav.vault.errors import LimitExceeded, Locked

MAX_TIMEOUT_SECONDS = 3600
MAX_LOCKS_PER_USER = 1000
_CREATE_LOCK = 7305030  # advisory lock: conflict check and insert are one step

LockDict = dict[str, Any]  # WsgiDAV's lock dictionary


def capped_timeout(requested: float | None) -> float:
    if requested is None or requested < 0 or requested > MAX_TIMEOUT_SECONDS:
        return float(MAX_TIMEOUT_SECONDS)
    return float(requested)


def _as_dict(row: Row) -> LockDict:
    return {
        "root": row.root,
        "type": row.lock_type,
        "scope": row.scope,
        "depth": "infinity" if row.depth == -1 else "0",
        "owner": bytes(row.owner) if row.owner is not None else b"",
        "timeout": row.timeout_seconds,
        "expire": row.expire.timestamp(),
        "principal": row.principal,
        "token": row.token,
    }


_COLUMNS = "token, root, lock_type, scope, depth, owner, timeout_seconds, expire, principal"

_SERIALISE_CREATION = Statement("SELECT pg_advisory_xact_lock(:key)")
_CONFLICTING = Statement(
    """
    SELECT token FROM dav_locks
    WHERE expire > now()
      AND (root = :root
           OR (depth = -1 AND starts_with(:root, root || '/'))
           OR (:depth = -1 AND starts_with(root, :root || '/')))
      AND (scope = 'exclusive' OR :scope = 'exclusive')
    LIMIT 1
    """
)
_HELD_BY = Statement("SELECT count(*) AS held FROM dav_locks WHERE principal = :principal AND expire > now()")
_INSERT = Statement(
    f"""
    INSERT INTO dav_locks (token, user_id, root, principal, scope, lock_type, depth, owner,
                           timeout_seconds, expire)
    VALUES (:token, (SELECT id FROM users WHERE lower(username) = lower(:principal)),
            :root, :principal, :scope, :type, :depth, :owner, :timeout, :expire)
    RETURNING {_COLUMNS}
    """
)
_BY_TOKEN = Statement(f"SELECT {_COLUMNS} FROM dav_locks WHERE token = :token AND expire > now()")
_REFRESH = Statement(
    f"""
    UPDATE dav_locks SET timeout_seconds = :timeout, expire = now() + make_interval(secs => :timeout)
    WHERE token = :token AND expire > now()
    RETURNING {_COLUMNS}
    """
)
_DELETE = Statement("DELETE FROM dav_locks WHERE token = :token")
_ON_ROOT = Statement(f"SELECT {_COLUMNS} FROM dav_locks WHERE expire > now() AND root = :root")
_BELOW_ROOT = Statement(f"SELECT {_COLUMNS} FROM dav_locks WHERE expire > now() AND starts_with(root, :prefix)")
_ON_OR_BELOW_ROOT = Statement(
    f"SELECT {_COLUMNS} FROM dav_locks WHERE expire > now() AND (root = :root OR starts_with(root, :prefix))"
)
_DELETE_EXPIRED = Statement("DELETE FROM dav_locks WHERE expire <= now()")
_DELETE_ALL = Statement("DELETE FROM dav_locks")


def create(session: Session, lock: LockDict) -> LockDict:
    """Store a new lock; Locked if one in the way exists, LimitExceeded past the cap."""
    _SERIALISE_CREATION.run(session, {"key": _CREATE_LOCK})
    depth = -1 if lock["depth"] == "infinity" else 0
    conflict = _CONFLICTING.first(session, {"root": lock["root"], "depth": depth, "scope": lock["scope"]})
    if conflict is not None:
        raise Locked("the resource is locked by someone else")
    counted = _HELD_BY.first(session, {"principal": lock["principal"]})
    assert counted is not None  # an aggregate always returns its row
    held = counted.held
    if held >= MAX_LOCKS_PER_USER:
        raise LimitExceeded(f"a user may hold at most {MAX_LOCKS_PER_USER} locks")
    timeout = capped_timeout(lock.get("timeout"))
    expire = time.time() + timeout
    owner = lock.get("owner") or b""
    row = _INSERT.first(
        session,
        {"token": lock["token"], "root": lock["root"], "principal": lock["principal"],
         "scope": lock["scope"], "type": lock.get("type", "write"), "depth": depth,
         "owner": owner.encode() if isinstance(owner, str) else owner,
         "timeout": timeout, "expire": datetime.fromtimestamp(expire, UTC)},
    )
    return _as_dict(row)


def get(session: Session, token: str) -> LockDict | None:
    row = _BY_TOKEN.first(session, {"token": token})
    return None if row is None else _as_dict(row)


def refresh(session: Session, token: str, timeout: float | None) -> LockDict | None:
    seconds = capped_timeout(timeout)
    row = _REFRESH.first(session, {"token": token, "timeout": seconds})
    return None if row is None else _as_dict(row)


def delete(session: Session, token: str) -> bool:
    return _DELETE.run(session, {"token": token}) > 0


def list_locks(session: Executes, root: str, *, include_root: bool, include_children: bool) -> list[LockDict]:
    """Valid locks on ``root`` and/or below it."""
    if include_root and include_children:
        statement = _ON_OR_BELOW_ROOT
    elif include_root:
        statement = _ON_ROOT
    elif include_children:
        statement = _BELOW_ROOT
    else:
        return []
    rows = statement.all(session, {"root": root, "prefix": root.rstrip("/") + "/"})
    return [_as_dict(row) for row in rows]


def delete_expired(session: Session) -> int:
    return _DELETE_EXPIRED.run(session, {})


def delete_all(session: Session) -> None:
    _DELETE_ALL.run(session, {})
