"""Helpers for the /Shared With Me/ tests: grants, lock bodies, request shorthands."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from mediavault_dav.db.database import Database
from mediavault_dav.vault import activity, permissions
from mediavault_dav.vault.permissions import Grant
from mediavault_dav.vault.users import Account
from tests.support import Client

SHARED = "/Shared With Me"
OPERATOR = activity.Actor(None, "cli:test")

LOCK_BODY = (b'<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:">'
             b"<D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype>"
             b"<D:owner>test</D:owner></D:lockinfo>")


def grant(database: Database, owner: Account, path: str, grantee: Account, level: str, *,
          expires_at: datetime | None = None) -> Grant:
    with database.transaction() as session:
        target = permissions.target_for_path(session, owner.id, path)
        made, _ = permissions.grant(session, owner.id, target, grantee.id, level, actor=OPERATOR,
                                    expires_at=expires_at)
        return made


def expire(database: Database, grant_id: int) -> None:
    """Let a grant's expiry pass, as time would (straight in the database: no restart, no cache)."""
    with database.transaction() as session:
        session.execute(sa.text("UPDATE permissions SET expires_at = now() - interval '1 second' WHERE id = :id"),
                        {"id": grant_id})


def proppatch_body(name: str = "note", value: str = "set by a test", namespace: str = "urn:example:test") -> bytes:
    return (f'<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:x="{namespace}">'
            f"<D:set><D:prop><x:{name}>{value}</x:{name}></D:prop></D:set></D:propertyupdate>").encode()


def lock(client: Client, path: str, **headers: str) -> str:
    """LOCK ``path`` (exclusive, depth 0); its token."""
    response = client.request("LOCK", path, data=LOCK_BODY, headers={"Depth": "0", **headers})
    assert response.status_code in (200, 201), (response.status_code, response.text[:300])
    return response.headers["Lock-Token"].strip("<>")


def destination(client: Client, path: str) -> dict[str, str]:
    return {"Destination": client.base_url.rstrip("/") + path}
