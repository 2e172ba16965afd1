"""Folders get a version, so a folder has an ETag that follows its listing.

Sync clients and Finder compare a folder's ETag to learn whether its listing
changed. The folder's modification time cannot serve: clients set it
(Win32LastModifiedTime, X-OC-Mtime), so it can go back to an earlier value while the
members differ. ``version`` only ever goes up: whenever an entry is added, removed,
renamed or rewritten in the folder, or its modification time is set.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('folders', sa.Column('version', sa.BigInteger(), server_default='1', nullable=False))
    op.create_check_constraint(op.f('ck_folders_version_positive'), 'folders', 'version >= 1')


def downgrade() -> None:
    op.drop_constraint(op.f('ck_folders_version_positive'), 'folders', type_='check')
    op.drop_column('folders', 'version')
