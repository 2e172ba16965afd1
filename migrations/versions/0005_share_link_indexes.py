"""Share links: indexes for the questions every share request asks of activity_logs.

Share links keep their throttling and download memory in ``activity_logs``
(vault/share_guard.py, vault/share_downloads.py): every request to ``/s/`` asks
how many "no such share" answers its client network got lately, and a Range
request asks whether its client already started that download. Two partial
indexes answer those from the share rows alone, however large the trail grows
(btree on ``inet`` serves ``client_address <<= network``):

- ``ix_activity_logs_share_misses``: (client_address, created_at) of ``share.miss``;
- ``ix_activity_logs_share_link_events``: (resource_id, client_address,
  created_at) of ``share.download`` and ``share.password_failed``.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_activity_logs_share_misses", "activity_logs", ["client_address", "created_at"],
                    postgresql_where=sa.text("action = 'share.miss'"))
    op.create_index("ix_activity_logs_share_link_events", "activity_logs",
                    ["resource_id", "client_address", "created_at"],
                    postgresql_where=sa.text("action IN ('share.download', 'share.password_failed')"))


def downgrade() -> None:
    op.drop_index("ix_activity_logs_share_link_events", table_name="activity_logs")
    op.drop_index("ix_activity_logs_share_misses", table_name="activity_logs")
