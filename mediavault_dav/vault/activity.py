"""The activity log (``activity_logs``): what happened, to what, for whom.

Kept small on purpose: vault services call ``record`` inside the transaction of
the change they describe, so an entry exists exactly when the change does.

``record_request`` is the hot-path form for rows written once per HTTP request
(share links log every access): one ``Statement`` (psycopg directly), every
column of the table, and no user needed (a guest guessing a share token has none).
Share links also read their recent rows back (vault/shares.py,
vault/share_downloads.py): throttling and download grants keep their memory here,
in PostgreSQL, where every gateway process sees it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from psycopg.types.json import Jsonb
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from mediavault_dav.db.statements import Statement

_RECORD = sa.text(
    """INSERT INTO activity_logs (user_id, username, action, resource_type, resource_id, path, outcome, details)
       SELECT :user, username, :action, :resource_type, :resource_id, :path, :outcome, :details
       FROM users WHERE id = :user"""
).bindparams(sa.bindparam("details", type_=JSONB(none_as_null=True)))

MAX_USER_AGENT = 512
MAX_PATH = 2048


def record(session: Session, *, user_id: int, action: str, outcome: str, resource_type: str | None = None,
           resource_id: int | None = None, path: str | None = None,
           details: dict[str, Any] | None = None) -> None:
    session.execute(_RECORD, {
        "user": user_id, "action": action, "resource_type": resource_type, "resource_id": resource_id,
        "path": path, "outcome": outcome, "details": details,
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
        return None


def _clip(text: str | None, limit: int) -> str | None:
    return None if text is None else text[:limit]
