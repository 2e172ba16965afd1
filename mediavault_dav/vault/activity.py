"""The activity log (``activity_logs``): what happened, to what, for whom.

Kept small on purpose: vault services call ``record`` inside the transaction of
the change they describe, so an entry exists exactly when the change does.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

_RECORD = sa.text(
    """INSERT INTO activity_logs (user_id, username, action, resource_type, resource_id, path, outcome, details)
       SELECT :user, username, :action, :resource_type, :resource_id, :path, :outcome, :details
       FROM users WHERE id = :user"""
).bindparams(sa.bindparam("details", type_=JSONB(none_as_null=True)))


def record(session: Session, *, user_id: int, action: str, outcome: str, resource_type: str | None = None,
           resource_id: int | None = None, path: str | None = None,
           details: dict[str, Any] | None = None) -> None:
    session.execute(_RECORD, {
        "user": user_id, "action": action, "resource_type": resource_type, "resource_id": resource_id,
        "path": path, "outcome": outcome, "details": details,
    })
