"""How much storage a user uses, and their limit: what RFC 4331's quota properties show.

Used bytes are the sizes of the user's distinct contents that at least one of their
entries still names. A copy shares its content (COPY writes no bytes), so ten
copies of a 1 GiB video use 1 GiB: the figure is what the user's files take on
disk, not the sum a ``du`` over a mounted drive adds up. Another user holding the
same bytes does not change it (each user's catalogue row is theirs), so the figure
reveals nothing about other users.

The limit is the account's ``quota_bytes`` when set. Enforcing quotas, and the
default quota from the system settings, belong to the quota work (issue 6): this
module is the one place that answers "used and limit" for both.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from mediavault_dav.db.statements import Statement
from mediavault_dav.vault.errors import NotFound


@dataclass(frozen=True)
class Usage:
    used_bytes: int
    limit_bytes: int | None  # None: no quota set for this user

    def available_bytes(self, free_on_storage: int | None) -> int | None:
        """What may still be stored: the quota's remainder and the storage's free
        space, whichever is smaller; None when neither is known."""
        candidates = [free_on_storage] if free_on_storage is not None else []
        if self.limit_bytes is not None:
            candidates.append(max(0, self.limit_bytes - self.used_bytes))
        return min(candidates) if candidates else None


_USAGE = Statement(
    """
    SELECT u.quota_bytes,
           (SELECT coalesce(sum(m.size_bytes), 0) FROM media_files m
             WHERE m.uploaded_by = u.id
               AND EXISTS (SELECT 1 FROM files e WHERE e.media_file_id = m.id)) AS used
    FROM users u WHERE u.id = :user
    """
)


def usage(session: Session, user_id: int) -> Usage:
    """One statement: the user's quota and the bytes their contents take."""
    row = _USAGE.first(session, {"user": user_id})
    if row is None:
        raise NotFound("no such user")
    return Usage(int(row.used), row.quota_bytes)
