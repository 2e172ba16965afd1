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

from mediavault_dav.db.statements import Statement
from mediavault_dav.vault import system_settings
from mediavault_dav.vault.errors import NotFound, QuotaExceeded

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


_USAGE = Statement(
    """SELECT used_bytes, coalesce(quota_bytes, (
           SELECT CAST(value #>> '{}' AS bigint) FROM system_settings
           WHERE key = 'default_quota_bytes' AND jsonb_typeof(value) = 'number')) AS quota_bytes
       FROM users WHERE id = :user"""
)
_SET_QUOTA = Statement("UPDATE users SET quota_bytes = :quota WHERE id = :user")


def usage(session: Session, user_id: int) -> Usage:
    row = _USAGE.first(session, {"user": user_id})
    if row is None:
        raise NotFound("no such user")
    return Usage(row.used_bytes, row.quota_bytes)


def set_quota(session: Session, user_id: int, quota_bytes: int | None) -> None:
    """A user's own quota; None: the default applies."""
    if _SET_QUOTA.run(session, {"user": user_id, "quota": quota_bytes}) == 0:
        raise NotFound("no such user")


def refuse_over_quota(error: sa.exc.DBAPIError) -> None:
    """Raise QuotaExceeded for the triggers' refusal or a full database disk; else return."""
    if getattr(error.orig, "sqlstate", None) != DISK_FULL:
        return
    message = getattr(getattr(error.orig, "diag", None), "message_primary", "") or ""
    if message == _OURS:
        raise QuotaExceeded("this would exceed the storage quota") from None
    raise QuotaExceeded("the vault's database has no space left") from None


def default_limit(session: Session) -> int | None:
    return system_settings.get(session, system_settings.DEFAULT_QUOTA_BYTES)
