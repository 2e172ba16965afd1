"""Storage quotas: how much a user stores, how much they may, and refusing the rest.

Usage is ``users.used_bytes``: the size of the user's contents that have at least
one entry in their folder tree, kept exact by triggers on ``files`` (migration
0003). Deduplicated content counts once per user — two names for one content, or a
COPY, use its bytes once — because that is what the user's data costs the vault.
The same triggers refuse, inside the committing transaction, any change that takes
a user past their quota (their own ``users.quota_bytes``, else the default admin
setting), so two uploads racing for the last free bytes cannot both win; the DAV
layer also checks before an upload starts (507 before any byte is stored) and
while a body of unknown length streams.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mediavault_dav.db.statements import Executes, Statement
from mediavault_dav.vault import system_settings
from mediavault_dav.vault.errors import NotFound, QuotaExceeded, TooLarge

# A user's own quota below zero: unlimited, whatever the default (NULL: the default).
UNLIMITED = -1
# The trigger's refusal (and PostgreSQL's own "disk full"): SQLSTATE class 53100.
DISK_FULL = "53100"
_OURS = "mediavault: storage quota exceeded"


@dataclass(frozen=True)
class Usage:
    used: int
    limit: int | None  # None: unlimited

    @property
    def available(self) -> int | None:
        return None if self.limit is None else max(0, self.limit - self.used)

    def allows(self, more_bytes: int) -> bool:
        return self.limit is None or self.used + more_bytes <= self.limit

    def available_with(self, free_on_storage: int | None) -> int | None:
        """What may still be stored: the quota's remainder and the storage's free
        space, whichever is smaller; None when neither is known."""
        candidates = [value for value in (self.available, free_on_storage) if value is not None]
        return min(candidates) if candidates else None


@dataclass(frozen=True)
class UploadLimits:
    """What an upload of this user may add: their quota's room and the largest upload."""

    usage: Usage
    max_upload: int | None  # None: no limit

    def refusal(self, size: int) -> QuotaExceeded | TooLarge | None:
        """Why ``size`` bytes may not be stored (the largest-upload limit first), or None."""
        if self.max_upload is not None and size > self.max_upload:
            return TooLarge(f"an upload may have at most {self.max_upload} bytes")
        if not self.usage.allows(size):
            return QuotaExceeded("this would exceed the storage quota")
        return None


def _setting(key: str) -> str:
    return (f"(SELECT CAST(value #>> '{{}}' AS bigint) FROM system_settings "
            f"WHERE key = '{key}' AND jsonb_typeof(value) = 'number')")


_USAGE = Statement(
    f"""SELECT used_bytes, coalesce(quota_bytes, {_setting(system_settings.DEFAULT_QUOTA_BYTES.key)}) AS quota_bytes,
               {_setting(system_settings.MAX_UPLOAD_BYTES.key)} AS max_upload_bytes
        FROM users WHERE id = :user"""
)
_SET_QUOTA = Statement("UPDATE users SET quota_bytes = :quota WHERE id = :user")


def usage(session: Session, user_id: int) -> Usage:
    return upload_limits(session, user_id).usage


def upload_limits(session: Executes, user_id: int) -> UploadLimits:
    """One statement: the user's usage, quota and the largest upload allowed."""
    row = _USAGE.first(session, {"user": user_id})
    if row is None:
        raise NotFound("no such user")
    limit = None if row.quota_bytes is not None and row.quota_bytes < 0 else row.quota_bytes
    return UploadLimits(Usage(row.used_bytes, limit), row.max_upload_bytes)


def set_quota(session: Session, user_id: int, quota_bytes: int | None) -> None:
    """A user's own quota; None: the default applies; ``UNLIMITED``: none at all."""
    if _SET_QUOTA.run(session, {"user": user_id, "quota": quota_bytes}) == 0:
        raise NotFound("no such user")


def over_quota(error: sa.exc.DBAPIError) -> QuotaExceeded | None:
    """The triggers' refusal (or PostgreSQL's own full disk) as a QuotaExceeded; else None."""
    if getattr(error.orig, "sqlstate", None) != DISK_FULL:
        return None
    message = getattr(getattr(error.orig, "diag", None), "message_primary", "") or ""
    if message == _OURS:
        return QuotaExceeded("this would exceed the storage quota")
    return QuotaExceeded("the vault's database has no space left")

