"""The audit trail (``activity_logs``): who did what, to what, from where, and how it ended.

Changes are recorded inside the transaction of the change they describe, so a row
exists exactly when the change does: if the row cannot be written, the change does
not happen either. Refusals and failed sign-ins are recorded in a transaction of
their own. The trail is append-only for the gateway (``db grants`` gives it no
UPDATE or DELETE there); rows older than the ``audit_retention_days`` admin setting
are pruned by the server's tidying and by ``mediavault-dav audit prune``.

``record_request`` is the form for rows written once per HTTP request by someone
who may have no account (share links log every guest access). Share links also
read their recent rows back (vault/shares.py, vault/share_downloads.py):
throttling and download grants keep their memory here, in PostgreSQL, where every
gateway process sees it.
"""

from __future__ import annotations

import getpass
import ipaddress
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy.orm import Session

from mediavault_dav.db.statements import Statement
from mediavault_dav.vault import system_settings

MAX_USER_AGENT = 512
MAX_PATH = 2048


@dataclass(frozen=True)
class Actor:
    """Who acts: a signed-in user with their client, a guest, or an operator at the CLI."""

    user_id: int | None
    username: str | None  # kept as text: the trail still says who after the account is gone
    client_address: str | None = None
    user_agent: str | None = None


def operator() -> Actor:
    """The person running an admin command on this machine."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (containers)
        who = "unknown"
    return Actor(None, f"cli:{who}"[:150])


@dataclass(frozen=True)
class Entry:
    id: int
    created_at: datetime
    user_id: int | None
    username: str | None
    action: str
    resource_type: str | None
    resource_id: int | None
    path: str | None
    client_address: str | None
    user_agent: str | None
    outcome: str
    status_code: int | None
    bytes: int | None
    details: dict[str, Any] | None


_RECORD = Statement(
    """INSERT INTO activity_logs (user_id, username, action, resource_type, resource_id, path,
                                  client_address, user_agent, outcome, status_code, bytes, details)
       VALUES (:user, coalesce(:username, (SELECT username FROM users WHERE id = :user)), :action,
               :resource_type, :resource_id, :path, CAST(:address AS inet), :agent, :outcome, :status,
               :bytes, CAST(:details AS jsonb))"""
)


def record(session: Session, *, action: str, outcome: str, actor: Actor | None = None,
           user_id: int | None = None, resource_type: str | None = None, resource_id: int | None = None,
           path: str | None = None, status_code: int | None = None, bytes: int | None = None,  # noqa: A002
           details: dict[str, Any] | None = None) -> None:
    """One row; ``user_id`` alone (without an actor) names a user acting on their own data."""
    if actor is None:
        actor = Actor(user_id, None)
    _RECORD.run(session, {
        "user": actor.user_id, "username": actor.username, "action": action,
        "resource_type": resource_type, "resource_id": resource_id, "path": _clip(path, MAX_PATH),
        "address": ip_address_or_none(actor.client_address), "agent": _clip(actor.user_agent, MAX_USER_AGENT),
        "outcome": outcome, "status": status_code, "bytes": bytes,
        "details": None if details is None else json.dumps(details),
    })


@dataclass(frozen=True)
class Request:
    """One request worth a row: who it concerned, from where, how it ended."""

    action: str
    outcome: str
    user_id: int | None = None  # whose resource (None: nobody's, e.g. an unknown share token)
    resource_type: str | None = None
    resource_id: int | None = None
    path: str | None = None
    client_address: str | None = None  # an IP address; anything else is stored as NULL
    user_agent: str | None = None
    status_code: int | None = None
    bytes: int | None = None
    details: dict[str, Any] | None = None


_RECORD_REQUEST = Statement(
    """INSERT INTO activity_logs (user_id, username, action, resource_type, resource_id, path, client_address,
                                  user_agent, outcome, status_code, bytes, details)
       SELECT CAST(:user AS bigint), u.username, :action, CAST(:resource_type AS text),
              CAST(:resource_id AS bigint), CAST(:path AS text), CAST(:address AS inet),
              CAST(:user_agent AS text), :outcome, CAST(:status AS smallint), CAST(:bytes AS bigint),
              CAST(:details AS jsonb)
       FROM (SELECT 1) AS one LEFT JOIN users u ON u.id = CAST(:user AS bigint)"""
)


def record_request(session: Session, request: Request) -> None:
    _RECORD_REQUEST.run(session, {
        "user": request.user_id, "action": request.action, "resource_type": request.resource_type,
        "resource_id": request.resource_id, "path": _clip(request.path, MAX_PATH),
        "address": ip_address_or_none(request.client_address), "user_agent": _clip(request.user_agent, MAX_USER_AGENT),
        "outcome": request.outcome, "status": request.status_code, "bytes": request.bytes,
        "details": None if request.details is None else Jsonb(request.details),
    })


def ip_address_or_none(text: str | None) -> str | None:
    """The text if it is an IP address (the column is ``inet``), else None."""
    if not text:
        return None
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None  # a Unix socket peer, say: not an address


def _clip(text: str | None, limit: int) -> str | None:
    return None if not text else text[:limit]


_QUERY = Statement(
    """SELECT id, created_at, user_id, username, action, resource_type, resource_id, path,
              host(client_address) AS client_address, user_agent, outcome, status_code, bytes, details
       FROM activity_logs
       WHERE (CAST(:username AS text) IS NULL OR lower(username) = lower(:username))
         AND (CAST(:action AS text) IS NULL OR action = :action OR action LIKE :action || '.%')
         AND (CAST(:since AS timestamptz) IS NULL OR created_at >= :since)
       ORDER BY created_at DESC, id DESC
       LIMIT :limit"""
)


def query(session: Session, *, username: str | None = None, action: str | None = None,
          since: datetime | None = None, limit: int = 1000) -> list[Entry]:
    """Newest first; ``action`` ``share`` also matches ``share.create``, ``share.revoke`` ..."""
    rows = _QUERY.all(session, {"username": username, "action": action, "since": since, "limit": limit})
    return [Entry(*row) for row in rows]


_PRUNE = Statement("DELETE FROM activity_logs WHERE created_at < now() - make_interval(days => :days)")


def prune(session: Session) -> int:
    """Remove rows older than the retention setting; how many went."""
    days = system_settings.get(session, system_settings.AUDIT_RETENTION_DAYS)
    return _PRUNE.run(session, {"days": int(days)})


def retention(session: Session) -> timedelta:
    return timedelta(days=int(system_settings.get(session, system_settings.AUDIT_RETENTION_DAYS)))
