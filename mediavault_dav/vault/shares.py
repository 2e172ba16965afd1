"""Share links: public, read-only addresses for one folder, file, album, smart folder or tag.

A share is a row of ``share_links`` pointing at exactly one target (a real foreign
key per kind, so a share dies with what it shares). Its token is 256 bits from
``secrets`` and is shown once, when the share is made; only its SHA-256 is
stored, so neither the database nor a backup can open a share. Anything that
identifies a share to people (the CLI, the audit trail) uses its id or the first
hex digits of the token's hash.

A share is *usable* while it is not revoked, not expired and its owner's account
is enabled. Whether it is unknown, revoked or expired, a request gets the same
answer (``open_share`` returns no share for all three, after the same single
statement), so an answer never tells which. A share with a download limit whose
downloads are used up stays usable for downloads already under way
(vault/share_downloads.py) and answers 410 otherwise (dav/shares/gate.py).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import unquote, urlparse

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mediavault_dav.db.statements import Statement
from mediavault_dav.vault import passwords, share_guard, targets
from mediavault_dav.vault.errors import InvalidInput, NotFound
from mediavault_dav.vault.targets import Target, describe_target

TOKEN_BYTES = 32  # 256 bits; token_urlsafe gives 43 characters
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")
TOKEN_PREFIX_LENGTH = 12  # hex digits of the token's hash that name a share in logs
MAX_LABEL_LENGTH = 200
MAX_DOWNLOADS = 1_000_000_000
KINDS = targets.KINDS  # a share can point at every kind of target


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_prefix(token_hash: str) -> str:
    return token_hash[:TOKEN_PREFIX_LENGTH]


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


# --- what a share points at: vault/targets.py -----------------------------------------

ShareTarget = Target


def target_for_path(session: Session, user_id: int, path: str) -> Target:
    """What a user's vault path names, if it can be shared."""
    return targets.target_for_path(session, user_id, path, kinds=KINDS, what="a share", verb="share")


# --- making and managing shares ---------------------------------------------------


@dataclass(frozen=True)
class ShareLink:
    """A share as its owner and the operator see it (never the token)."""

    id: int
    owner: str
    kind: str
    target_id: int
    target: str  # path, as the owner sees it now
    label: str | None
    has_password: bool
    expires_at: datetime | None
    max_downloads: int | None
    download_count: int
    access_count: int
    last_accessed_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime
    token_prefix: str
    owner_active: bool

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        if not self.owner_active:
            return "owner disabled"
        if self.max_downloads is not None and self.download_count >= self.max_downloads:
            return "used up"
        return "active"


_TARGET_COLUMNS = ("folder_id", "album_id", "smart_folder_id", "tag_id", "file_id")
_SHARE_COLUMNS = (
    "s.id, u.username, u.is_active, s.folder_id, s.album_id, s.smart_folder_id, s.tag_id, s.file_id, s.label, "
    "s.password_hash IS NOT NULL AS has_password, s.expires_at, s.max_downloads, s.download_count, "
    "s.access_count, s.last_accessed_at, s.revoked_at, s.created_at, s.token_hash"
)


def _kind_and_id(row: sa.Row) -> tuple[str, int]:
    for column, kind in zip(_TARGET_COLUMNS, ("folder", "album", "smart_folder", "tag", "file"), strict=True):
        value = getattr(row, column)
        if value is not None:
            return kind, value
    raise AssertionError("a share has exactly one target (check constraint)")


def _share(session: Session, row: sa.Row) -> ShareLink:
    kind, target_id = _kind_and_id(row)
    return ShareLink(row.id, row.username, kind, target_id, describe_target(session, kind, target_id),
                     row.label, row.has_password, row.expires_at, row.max_downloads, row.download_count,
                     row.access_count, row.last_accessed_at, row.revoked_at, row.created_at,
                     token_prefix(row.token_hash), row.is_active)


def check_label(label: str | None) -> str | None:
    if label is None:
        return None
    label = label.strip()
    if len(label) > MAX_LABEL_LENGTH:
        raise InvalidInput(f"a label has at most {MAX_LABEL_LENGTH} characters")
    if any(unicodedata.category(character) == "Cc" for character in label):
        raise InvalidInput("a label may not contain control characters")
    return label or None


def create_share(session: Session, owner_id: int, target: ShareTarget, *, expires_at: datetime | None = None,
                 password: str | None = None, max_downloads: int | None = None,
                 label: str | None = None) -> tuple[str, ShareLink]:
    """A new share and its token (shown once: only its hash is kept)."""
    if target.kind not in KINDS:
        raise InvalidInput(f"unknown kind of share target {target.kind!r}")
    if expires_at is not None:
        if expires_at.tzinfo is None:
            raise InvalidInput("an expiry needs a time zone")
        if expires_at <= datetime.now(UTC):
            raise InvalidInput("the expiry is in the past")
    if max_downloads is not None and not 1 <= max_downloads <= MAX_DOWNLOADS:
        raise InvalidInput(f"--max-downloads must be a whole number from 1 to {MAX_DOWNLOADS}")
    password_hash = passwords.hash_password(password) if password is not None else None
    token = new_token()
    columns: dict[str, int | None] = {column: None for column in _TARGET_COLUMNS}
    columns[f"{target.kind}_id"] = target.id
    share_id = session.execute(
        sa.text("""INSERT INTO share_links (owner_id, token_hash, folder_id, album_id, smart_folder_id, tag_id,
                                            file_id, label, password_hash, expires_at, max_downloads)
                   VALUES (:owner, :hash, :folder_id, :album_id, :smart_folder_id, :tag_id, :file_id, :label,
                           :password_hash, :expires_at, :max_downloads)
                   RETURNING id"""),
        {"owner": owner_id, "hash": hash_token(token), **columns, "label": check_label(label),
         "password_hash": password_hash, "expires_at": expires_at, "max_downloads": max_downloads},
    ).scalar_one()
    return token, get_share_by_id(session, share_id)


def get_share_by_id(session: Session, share_id: int) -> ShareLink:
    row = session.execute(
        sa.text(f"SELECT {_SHARE_COLUMNS} FROM share_links s JOIN users u ON u.id = s.owner_id WHERE s.id = :id"),
        {"id": share_id},
    ).one_or_none()
    if row is None:
        raise NotFound(f"there is no share {share_id}")
    return _share(session, row)


def find_share(session: Session, reference: str) -> ShareLink:
    """A share named by its id, its token, or its URL (as the owner was given it)."""
    reference = reference.strip()
    if reference.isdigit():
        return get_share_by_id(session, int(reference))
    token = token_from_reference(reference)
    share_id = session.execute(sa.text("SELECT id FROM share_links WHERE token_hash = :hash"),
                               {"hash": hash_token(token)}).scalar_one_or_none()
    if share_id is None:
        raise NotFound("no share has that token")
    return get_share_by_id(session, share_id)


def token_from_reference(reference: str) -> str:
    """The token in a share URL (``…/s/<token>/…``) or the token itself."""
    path = unquote(urlparse(reference).path) if "/" in reference else reference
    segments = [segment for segment in path.split("/") if segment]
    if "s" in segments[:-1]:
        segments = segments[segments.index("s") + 1:]
    token = segments[0] if segments else ""
    if not TOKEN_PATTERN.match(token):
        raise InvalidInput("expected a share id, token or URL (…/s/<token>/)")
    return token


def list_shares(session: Session, owner_id: int | None = None) -> list[ShareLink]:
    rows = session.execute(
        sa.text(f"""SELECT {_SHARE_COLUMNS} FROM share_links s JOIN users u ON u.id = s.owner_id
                    WHERE CAST(:owner AS bigint) IS NULL OR s.owner_id = :owner ORDER BY s.id"""),
        {"owner": owner_id},
    )
    return [_share(session, row) for row in rows]


def revoke_share(session: Session, share: ShareLink) -> bool:
    """Revoke at once (the next request gets 404); False if it already was."""
    revoked = session.execute(
        sa.text("UPDATE share_links SET revoked_at = now() WHERE id = :id AND revoked_at IS NULL RETURNING id"),
        {"id": share.id},
    ).one_or_none()
    return revoked is not None


@dataclass(frozen=True)
class Access:
    """One logged request for a share (``share show``)."""

    at: datetime
    action: str
    outcome: str
    status_code: int | None
    client_address: str | None
    path: str | None
    bytes: int | None


def recent_accesses(session: Session, share_id: int, limit: int = 10) -> list[Access]:
    rows = session.execute(
        sa.text("""SELECT created_at, action, outcome, status_code, host(client_address) AS address, path, bytes
                   FROM activity_logs
                   WHERE resource_type = 'share_link' AND resource_id = :id AND action LIKE 'share.%'
                   ORDER BY created_at DESC, id DESC LIMIT :limit"""),
        {"id": share_id, "limit": limit},
    )
    return [Access(row.created_at, row.action, row.outcome, row.status_code, row.address, row.path, row.bytes)
            for row in rows]


# --- expiry as people write it ---------------------------------------------------------

_DURATION = re.compile(r"^\s*(\d{1,6})\s*(m|min|h|d|w)\s*$", re.IGNORECASE)
_UNITS = {"m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_expiry(text: str, now: datetime | None = None) -> datetime:
    """``7d``, ``12h``, ``30m``, ``2w``; a date (the link works through that day, UTC);
    or an ISO date and time (UTC unless it says otherwise)."""
    now = now or datetime.now(UTC)
    found = _DURATION.match(text)
    if found:
        amount = int(found.group(1))
        if amount == 0:
            raise InvalidInput("--expires must be a positive duration")
        return now + timedelta(seconds=amount * _UNITS[found.group(2).lower()])
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        pass
    else:
        return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"--expires must be a duration (30m, 12h, 7d, 2w), a date (2025-12-31) or an "
                           f"ISO date and time, got {text[:40]!r}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# --- opening a share for a request (the hot path) ----------------------------------------


@dataclass(frozen=True)
class OpenedShare:
    """A usable share, as one request needs it."""

    id: int
    owner_id: int
    kind: str
    target_id: int
    password_hash: str | None
    max_downloads: int | None
    download_count: int
    token_prefix: str

    @property
    def used_up(self) -> bool:
        return self.max_downloads is not None and self.download_count >= self.max_downloads


@dataclass(frozen=True)
class Lookup:
    share: OpenedShare | None  # None: unknown, revoked, expired or its owner disabled — never said which
    token_prefix: str
    misses: int  # this client network's recent "no such share" answers
    password_failures: int  # ... and wrong passwords for this share

    @property
    def guessing(self) -> bool:
        return self.misses >= share_guard.MISS_LIMIT

    @property
    def password_throttled(self) -> bool:
        return self.password_failures >= share_guard.PASSWORD_FAILURE_LIMIT


# One statement whatever the token: the same work for a share that exists, one that
# is revoked or expired, and one that never did. The counters read activity_logs
# (share_guard explains why) through the partial indexes of migration 0003.
_OPEN = Statement(
    """SELECT s.id, s.owner_id, s.folder_id, s.album_id, s.smart_folder_id, s.tag_id, s.file_id,
              s.password_hash, s.max_downloads, s.download_count,
              (s.id IS NOT NULL AND s.revoked_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > now())
               AND u.is_active) AS usable,
              (SELECT count(*) FROM activity_logs a
               WHERE a.action = 'share.miss'
                 AND a.created_at > now() - make_interval(secs => CAST(:miss_window AS double precision))
                 AND a.client_address <<= CAST(:network AS cidr)) AS misses,
              (SELECT count(*) FROM activity_logs a
               WHERE a.action = 'share.password_failed' AND a.resource_id = s.id
                 AND a.created_at > now() - make_interval(secs => CAST(:password_window AS double precision))
                 AND a.client_address <<= CAST(:network AS cidr)) AS password_failures
       FROM (SELECT 1) AS one
       LEFT JOIN share_links s ON s.token_hash = :hash
       LEFT JOIN users u ON u.id = s.owner_id"""
)


def open_share(session: Session, token: str, client_network: str | None) -> Lookup:
    token_hash = hash_token(token)
    row = _OPEN.first(session, {"hash": token_hash, "network": client_network,
                                "miss_window": share_guard.MISS_WINDOW_SECONDS,
                                "password_window": share_guard.PASSWORD_WINDOW_SECONDS})
    assert row is not None  # the statement always returns its one row
    share = None
    if row.usable:
        kind, target_id = _kind_and_id(row)
        share = OpenedShare(row.id, row.owner_id, kind, target_id, row.password_hash, row.max_downloads,
                            row.download_count, token_prefix(token_hash))
    return Lookup(share, token_prefix(token_hash), int(row.misses), int(row.password_failures))


_TOUCH = Statement(
    "UPDATE share_links SET access_count = access_count + 1, last_accessed_at = now() WHERE id = :id"
)


def count_access(session: Session, share_id: int) -> None:
    """One more request served (``share show``'s access count and last access)."""
    _TOUCH.run(session, {"id": share_id})

