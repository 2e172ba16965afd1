"""Content and names: the media catalogue, the folder tree, and categories.

A blob (bytes on disk, named by SHA-256) is stored once. ``media_files`` is a user's
catalogue of contents: one row per (uploaded_by, sha256), the seed's hash + user
uniqueness. ``files`` are the named entries of the folder tree; several entries may
share one content, so a COPY is a new row, never a new blob.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Computed,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from mediavault_dav.db.models.base import NAME_KEY_SQL, Base, created_at_column, id_column

SHA256_CHECK = "{col} ~ '^[0-9a-f]{{64}}$'"


class Category(Base):
    """A kind of media (Images, Audio, ...); uploads are assigned one by content type."""

    __tablename__ = "categories"

    id: Mapped[int] = id_column()
    name: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    # Content types that fall into this category, as prefixes ("image/", "audio/").
    mime_prefixes: Mapped[list[str]] = mapped_column(
        ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")
    )
    created_at: Mapped[datetime] = created_at_column()


class MediaFile(Base):
    """One content in one user's catalogue, with what is known about it."""

    __tablename__ = "media_files"
    __table_args__ = (
        UniqueConstraint("uploaded_by", "sha256", name="uq_media_files_uploaded_by_sha256"),
        CheckConstraint(SHA256_CHECK.format(col="sha256"), name="sha256_hex"),
        CheckConstraint("size_bytes >= 0", name="size_not_negative"),
        CheckConstraint("entry_count >= 0", name="entry_count_not_negative"),
        Index("idx_media_files_sha256", "sha256"),
        Index("idx_media_files_uploaded_by", "uploaded_by"),
        Index("idx_media_files_category", "category_id"),
        Index("idx_media_files_created_at", "created_at"),
    )

    id: Mapped[int] = id_column()
    # Deleting a user deletes their catalogue; blobs are left to the garbage collector.
    uploaded_by: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    # rclone's `check` reads only MD5 and SHA-1 from oc:checksums; computed while
    # the upload streams (vault/checksums.py).
    md5: Mapped[str | None] = mapped_column(String(32))
    sha1: Mapped[str | None] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    mime_type: Mapped[str] = mapped_column(
        String(255), nullable=False, server_default="application/octet-stream"
    )
    # A category may be removed; its media simply become uncategorised.
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL")
    )
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    duration_seconds: Mapped[float | None] = mapped_column(Numeric(12, 3))
    title: Mapped[str | None] = mapped_column(Text)
    artist: Mapped[str | None] = mapped_column(Text)
    # When the metadata reader looked at this content (NULL: not yet); see vault/media_scanner.py.
    metadata_read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # How many entries of the folder tree name this content; kept by triggers on files.
    entry_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    created_at: Mapped[datetime] = created_at_column()


class Folder(Base):
    """A directory of the folder tree; each user has exactly one root (parent NULL)."""

    __tablename__ = "folders"
    __table_args__ = (
        # NULLS NOT DISTINCT: the root's NULL parent counts, so one root per user.
        UniqueConstraint(
            "user_id", "parent_id", "name_key",
            name="uq_folders_user_id_parent_id_name_key",
            postgresql_nulls_not_distinct=True,
        ),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        CheckConstraint("version >= 1", name="version_positive"),
        Index("idx_folders_user", "user_id"),
        Index("idx_folders_parent", "parent_id"),
    )

    id: Mapped[int] = id_column()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    # Deleting a folder deletes its subtree (the vault decides when that is allowed).
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("folders.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text, nullable=False)
    name_key: Mapped[str] = mapped_column(Text, Computed(NAME_KEY_SQL, persisted=True))
    created_at: Mapped[datetime] = created_at_column()
    modified_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    # Bumped whenever the folder's listing changes (a member added, removed, renamed
    # or rewritten) or its modification time is set; the folder's ETag.
    version: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="1")


class File(Base):
    """A named entry in the folder tree, pointing at one content."""

    __tablename__ = "files"
    __table_args__ = (
        UniqueConstraint("user_id", "folder_id", "name_key", name="uq_files_user_id_folder_id_name_key"),
        CheckConstraint(SHA256_CHECK.format(col="hash"), name="hash_hex"),
        CheckConstraint("version >= 1", name="version_positive"),
        Index("idx_files_hash", "hash"),
        Index("idx_files_user", "user_id"),
        Index("idx_files_folder", "folder_id"),
        Index("ix_files_media_file_id", "media_file_id"),
    )

    id: Mapped[int] = id_column()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    folder_id: Mapped[int] = mapped_column(
        ForeignKey("folders.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(Text, nullable=False)
    name_key: Mapped[str] = mapped_column(Text, Computed(NAME_KEY_SQL, persisted=True))
    hash: Mapped[str] = mapped_column(String(64), nullable=False)
    # NO ACTION (checked at the end of the statement, unlike RESTRICT): a catalogue
    # row cannot vanish while an entry still names it, yet deleting a user, which
    # cascades to both tables in one statement, still works.
    media_file_id: Mapped[int] = mapped_column(
        ForeignKey("media_files.id", ondelete="NO ACTION"), nullable=False
    )
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # Bumped on every content or metadata change; part of the strong ETag.
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    created_at: Mapped[datetime] = created_at_column()
    modified_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
