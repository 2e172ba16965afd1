"""Virtual folders: default categories, and when a content's media metadata was read.

- ``categories`` gets the defaults every vault starts with (Images, Audio, Videos,
  Documents, Archives), each with the content-type prefixes that fall into it; an
  upload takes the category of the longest matching prefix (vault/categories.py).
- ``media_files.metadata_read_at`` records that the metadata reader has looked at
  a content (successfully or not), so a reader that was stopped before getting to
  an upload catches up on its next start instead of re-reading everything.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_CATEGORIES: tuple[tuple[str, str, list[str]], ...] = (
    ("Images", "Photos, drawings and other pictures", ["image/"]),
    ("Audio", "Music, recordings and podcasts", ["audio/", "application/ogg"]),
    ("Videos", "Films and clips", ["video/", "application/x-matroska", "application/vnd.apple.mpegurl"]),
    ("Documents", "Text, office documents and PDFs", [
        "text/", "application/pdf", "application/msword", "application/rtf",
        "application/vnd.openxmlformats-officedocument.", "application/vnd.oasis.opendocument.",
        "application/vnd.ms-excel", "application/vnd.ms-powerpoint", "application/epub+zip",
    ]),
    ("Archives", "Compressed and packed files", [
        "application/zip", "application/x-tar", "application/gzip", "application/x-gzip",
        "application/x-7z-compressed", "application/x-rar", "application/vnd.rar",
        "application/x-bzip2", "application/x-xz", "application/zstd",
    ]),
)


def upgrade() -> None:
    op.add_column("media_files", sa.Column("metadata_read_at", sa.DateTime(timezone=True), nullable=True))
    categories = sa.table(
        "categories",
        sa.column("name", sa.String),
        sa.column("description", sa.Text),
        sa.column("mime_prefixes", sa.ARRAY(sa.Text)),
    )
    connection = op.get_bind()
    existing = {row.name for row in connection.execute(sa.select(categories.c.name))}
    op.bulk_insert(categories, [
        {"name": name, "description": description, "mime_prefixes": prefixes}
        for name, description, prefixes in DEFAULT_CATEGORIES if name not in existing
    ])


def downgrade() -> None:
    # The default categories stay: media may point at them, and an operator may have edited them.
    op.drop_column("media_files", "metadata_read_at")
