"""Grants: one user lets another read, change or re-share a folder, file, album or smart folder.

A grant is a row of ``permissions``: owner, grantee, exactly one target (a real
foreign key per kind, so a grant dies with its target), a level and an optional
expiry. The grantee finds it under ``/Shared With Me/<owner>/`` (dav/shared/).

**This module is the one place that decides what a grant allows** (``allows`` /
``require``); the DAV layer only translates methods into the actions below.

| action    | what it covers                                                  | least level |
|-----------|-----------------------------------------------------------------|-------------|
| READ      | GET, HEAD, PROPFIND; COPY out of the shared item                | read        |
| CHANGE    | PUT, MKCOL, DELETE, PROPPATCH, COPY/MOVE inside the shared item | write       |
| LOCK      | LOCK, UNLOCK                                                    | write       |
| RESHARE   | grant or revoke the item for others (``grant --as``)            | manage      |
| REMOVE    | delete, move or rename the shared item itself                   | none        |

Two kinds narrow this: a smart folder is read-only even for its owner, so it can
be granted ``read`` or ``manage`` only; and nobody but the owner removes or
renames the shared item itself (what is *inside* a shared folder is another
matter). A grant is *live* while it has not expired and its owner's account is
enabled; expiry is checked by every request's own statement, so it takes effect
at once, in every gateway process.

Every grant, change of a grant and revocation writes one ``activity_logs`` row in
its own transaction (``grant.create``, ``grant.update``, ``grant.revoke``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mediavault_dav.vault import activity, targets
from mediavault_dav.vault.activity import Actor
from mediavault_dav.vault.errors import Forbidden, InvalidInput, NotFound
from mediavault_dav.vault.targets import Target, describe_target

LEVELS = ("read", "write", "manage")
KINDS = ("folder", "file", "album", "smart_folder")  # tags are labels, not things to hand over
_RANK = {level: rank for rank, level in enumerate(LEVELS)}
_READ_ONLY_KINDS = frozenset({"smart_folder"})


class Action(enum.Enum):
    READ = "read"
    CHANGE = "change"
    LOCK = "lock"
    RESHARE = "reshare"
    REMOVE = "remove"


_LEAST_LEVEL: dict[Action, str | None] = {
    Action.READ: "read",
    Action.CHANGE: "write",
    Action.LOCK: "write",
    Action.RESHARE: "manage",
    Action.REMOVE: None,  # the owner's alone
}
_KIND_WORDS = {"folder": "folder", "file": "file", "album": "album", "smart_folder": "smart folder"}


def allows(kind: str, level: str, action: Action) -> bool:
    """Does a live grant of ``level`` on a ``kind`` allow ``action``?"""
    least = _LEAST_LEVEL[action]
    if least is None:
        return False
    if kind in _READ_ONLY_KINDS and action in (Action.CHANGE, Action.LOCK):
        return False
    return _RANK[level] >= _RANK[least]


def require(kind: str, level: str, action: Action) -> None:
    """Forbidden, with the reason in the user's words, unless ``allows``."""
    if allows(kind, level, action):
        return
    what = _KIND_WORDS[kind]
    if action is Action.REMOVE:
        raise Forbidden(f"this shared {what} belongs to its owner: you can change what is inside it, "
                        "not delete, move or rename it")
    if kind in _READ_ONLY_KINDS:
        raise Forbidden("a shared smart folder is read-only: it shows the live result of its owner's rules")
    if action is Action.RESHARE:
        raise Forbidden(f"re-sharing needs a manage grant; this {what} was shared with you at {level} level")
    raise Forbidden(f"this {what} was shared with you read-only: you can open and copy it, not change it")


def check_level(kind: str, level: str) -> None:
    """The levels a kind can be granted at."""
    if level not in LEVELS:
        raise InvalidInput(f"--level must be one of {', '.join(LEVELS)}")
    if kind in _READ_ONLY_KINDS and level == "write":
        raise InvalidInput("a smart folder is read-only, even for its owner: grant read (or manage, "
                           "to let them re-share it)")


# --- grants as the owner and the operator see them ------------------------------------------


@dataclass(frozen=True)
class Grant:
    id: int
    owner_id: int
    owner: str
    grantee_id: int
    grantee: str
    kind: str
    target_id: int
    target: str  # the target's path as its owner sees it now
    level: str
    granted_by: str | None  # the owner, or the manager who re-shared it (None: account gone)
    expires_at: datetime | None
    created_at: datetime

    def state(self, now: datetime) -> str:
        return "expired" if self.expires_at is not None and self.expires_at <= now else "active"


_TARGET_COLUMNS = {"folder": "folder_id", "file": "file_id", "album": "album_id", "smart_folder": "smart_folder_id"}
_GRANT_COLUMNS = (
    "p.id, p.owner_id, o.username AS owner, p.grantee_id, g.username AS grantee, p.folder_id, p.file_id, "
    "p.album_id, p.smart_folder_id, p.level, b.username AS granted_by, p.expires_at, p.created_at"
)
_GRANT_FROM = ("permissions p JOIN users o ON o.id = p.owner_id JOIN users g ON g.id = p.grantee_id "
               "LEFT JOIN users b ON b.id = p.granted_by")


def _grant(session: Session, row: Any) -> Grant:
    kind, target_id = next((kind, getattr(row, column)) for kind, column in _TARGET_COLUMNS.items()
                           if getattr(row, column) is not None)
    return Grant(row.id, row.owner_id, row.owner, row.grantee_id, row.grantee, kind, target_id,
                 describe_target(session, kind, target_id), row.level, row.granted_by, row.expires_at,
                 row.created_at)


def _get(session: Session, grant_id: int) -> Grant:
    row = session.execute(sa.text(f"SELECT {_GRANT_COLUMNS} FROM {_GRANT_FROM} WHERE p.id = :id"),
                          {"id": grant_id}).one()
    return _grant(session, row)


def target_for_path(session: Session, owner_id: int, path: str) -> Target:
    """What an owner's path names, if it can be granted."""
    return targets.target_for_path(session, owner_id, path, kinds=KINDS, what="a grant", verb="grant")


def list_grants(session: Session, *, owner_id: int | None = None, grantee_id: int | None = None) -> list[Grant]:
    rows = session.execute(
        sa.text(f"""SELECT {_GRANT_COLUMNS} FROM {_GRANT_FROM}
                    WHERE (CAST(:owner AS bigint) IS NULL OR p.owner_id = :owner)
                      AND (CAST(:grantee AS bigint) IS NULL OR p.grantee_id = :grantee)
                    ORDER BY p.id"""),
        {"owner": owner_id, "grantee": grantee_id},
    )
    return [_grant(session, row) for row in rows]


def _find(session: Session, target: Target, grantee_id: int) -> Grant | None:
    row = session.execute(
        sa.text(f"SELECT {_GRANT_COLUMNS} FROM {_GRANT_FROM} "
                f"WHERE p.grantee_id = :grantee AND p.{_TARGET_COLUMNS[target.kind]} = :target"),
        {"grantee": grantee_id, "target": target.id},
    ).one_or_none()
    return None if row is None else _grant(session, row)


# A live manage grant of ``acting`` on the target, or on a folder above it.
_MANAGES = sa.text(
    """WITH RECURSIVE up(id, parent_id) AS (
           SELECT id, parent_id FROM folders WHERE id = :start AND user_id = :owner
         UNION ALL
           SELECT f.id, f.parent_id FROM folders f JOIN up ON f.id = up.parent_id
       )
       SELECT 1 FROM permissions p JOIN users o ON o.id = p.owner_id AND o.is_active
       WHERE p.grantee_id = :acting AND p.owner_id = :owner AND p.level = 'manage'
         AND (p.expires_at IS NULL OR p.expires_at > now())
         AND (p.folder_id IN (SELECT id FROM up)
              OR (CAST(:kind AS text) = 'file' AND p.file_id = :target)
              OR (CAST(:kind AS text) = 'album' AND p.album_id = :target)
              OR (CAST(:kind AS text) = 'smart_folder' AND p.smart_folder_id = :target))
       LIMIT 1"""
)


def _check_acting(session: Session, owner_id: int, target: Target, grantee_id: int, acting_id: int | None) -> None:
    """Re-sharing: someone other than the owner grants or revokes. They need a live
    manage grant covering the target, and may not change their own grant."""
    if acting_id is None or acting_id == owner_id:
        return
    if acting_id == grantee_id:
        raise Forbidden("nobody can change their own grant; ask the owner")
    start = target.id if target.kind == "folder" else None
    if target.kind == "file":
        start = session.execute(sa.text("SELECT folder_id FROM files WHERE id = :id"), {"id": target.id}).scalar()
    found = session.execute(_MANAGES, {"start": start, "owner": owner_id, "acting": acting_id,
                                       "kind": target.kind, "target": target.id}).first()
    if found is None:
        raise Forbidden(f"re-sharing needs a live manage grant of {target.path} (or of a folder above it)")


def _expiry(expires_at: datetime | None) -> datetime | None:
    if expires_at is None:
        return None
    if expires_at.tzinfo is None:
        raise InvalidInput("an expiry needs a time zone")
    if expires_at <= datetime.now(UTC):
        raise InvalidInput("the expiry is in the past")
    return expires_at


def _details(grant: Grant, **more: Any) -> dict[str, Any]:
    return {"owner": grant.owner, "grantee": grant.grantee, "target": grant.target, "kind": grant.kind,
            "level": grant.level, "expires_at": grant.expires_at.isoformat() if grant.expires_at else None,
            **more}


def grant(session: Session, owner_id: int, target: Target, grantee_id: int, level: str, *, actor: Actor,
          expires_at: datetime | None = None, acting_id: int | None = None) -> tuple[Grant, bool]:
    """Grant ``target`` to ``grantee_id`` (or change the level and expiry of their grant).

    Returns the grant and whether it is new. ``acting_id`` is the user on whose
    behalf it is done when not the owner (re-sharing with a manage grant).
    """
    if target.kind not in KINDS:
        raise InvalidInput(f"a grant names one of {', '.join(KINDS)}, not a {target.kind}")
    check_level(target.kind, level)
    if grantee_id == owner_id:
        raise InvalidInput("the owner has every right already; grant to another user")
    expires_at = _expiry(expires_at)
    _check_acting(session, owner_id, target, grantee_id, acting_id)
    before = _find(session, target, grantee_id)
    columns: dict[str, int | None] = {column: None for column in _TARGET_COLUMNS.values()}
    columns[_TARGET_COLUMNS[target.kind]] = target.id
    grant_id = session.execute(
        sa.text("""INSERT INTO permissions (owner_id, grantee_id, folder_id, file_id, album_id, smart_folder_id,
                                            level, granted_by, expires_at)
                   VALUES (:owner, :grantee, :folder_id, :file_id, :album_id, :smart_folder_id,
                           :level, :by, :expires)
                   ON CONFLICT ON CONSTRAINT uq_permissions_grantee_target DO UPDATE
                      SET level = EXCLUDED.level, expires_at = EXCLUDED.expires_at,
                          granted_by = EXCLUDED.granted_by
                   RETURNING id"""),
        {"owner": owner_id, "grantee": grantee_id, **columns, "level": level,
         "by": acting_id or owner_id, "expires": expires_at},
    ).scalar_one()
    made = _get(session, grant_id)
    more: dict[str, Any] = {}
    if acting_id not in (None, owner_id):
        more["as"] = made.granted_by
    if before is not None:
        more["previous"] = {"level": before.level,
                            "expires_at": before.expires_at.isoformat() if before.expires_at else None}
    activity.record(session, action="grant.update" if before else "grant.create", outcome="success", actor=actor,
                    resource_type="permission", resource_id=made.id, path=made.target,
                    details=_details(made, **more))
    return made, before is None


def revoke(session: Session, owner_id: int, target: Target, grantee_id: int, *, actor: Actor,
           acting_id: int | None = None) -> Grant:
    """Take a grant back, at once (the grantee's next request no longer sees it)."""
    _check_acting(session, owner_id, target, grantee_id, acting_id)
    found = _find(session, target, grantee_id)
    if found is None:
        grantee = session.execute(sa.text("SELECT username FROM users WHERE id = :id"),
                                  {"id": grantee_id}).scalar()
        raise NotFound(f"{grantee} has no grant of {target.path}")
    session.execute(sa.text("DELETE FROM permissions WHERE id = :id"), {"id": found.id})
    more: dict[str, Any] = {}
    if acting_id not in (None, owner_id):
        more["as"] = session.execute(sa.text("SELECT username FROM users WHERE id = :id"),
                                     {"id": acting_id}).scalar()
    activity.record(session, action="grant.revoke", outcome="success", actor=actor, resource_type="permission",
                    resource_id=found.id, path=found.target, details=_details(found, **more))
    return found
