"""How users organise their files: albums, tags, smart folders, playlists, history.

None of these hold bytes or copies: every member is a reference to a ``files`` row,
so removing a member never removes the file, and deleting a file removes it from
every album, tag and playlist (ON DELETE CASCADE on the junction rows).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
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
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from mediavault_dav.db.models.base import NAME_KEY_SQL, Base, created_at_column, id_column


def _owner() -> Mapped[int]:
    return mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)


def _updated_at() -> Mapped[datetime]:
    return mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()
    )


class Album(Base):
    __tablename__ = "albums"
    __table_args__ = (
        UniqueConstraint("user_id", "name_key"),
        Index("ix_albums_cover_file_id", "cover_file_id"),
    )

    id: Mapped[int] = id_column()
    user_id: Mapped[int] = _owner()
    name: Mapped[str] = mapped_column(Text, nullable=False)
    name_key: Mapped[str] = mapped_column(Text, Computed(NAME_KEY_SQL, persisted=True))
    description: Mapped[str | None] = mapped_column(Text)
    # The cover is just a pointer; deleting that file leaves the album without a cover.
    cover_file_id: Mapped[int | None] = mapped_column(ForeignKey("files.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = _updated_at()


class AlbumFile(Base):
    __tablename__ = "album_files"
    __table_args__ = (
        UniqueConstraint("album_id", "file_id"),
        Index("ix_album_files_file_id", "file_id"),
    )

    id: Mapped[int] = id_column()
    album_id: Mapped[int] = mapped_column(ForeignKey("albums.id", ondelete="CASCADE"), nullable=False)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id", ondelete="CASCADE"), nullable=False)
    position: Mapped[int | None] = mapped_column(Integer)
    added_at: Mapped[datetime] = created_at_column()


class Tag(Base):
    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("user_id", "name_key"),)

    id: Mapped[int] = id_column()
    user_id: Mapped[int] = _owner()
    name: Mapped[str] = mapped_column(Text, nullable=False)
    name_key: Mapped[str] = mapped_column(Text, Computed(NAME_KEY_SQL, persisted=True))
    color: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = created_at_column()


class FileTag(Base):
    __tablename__ = "file_tags"
    __table_args__ = (
        UniqueConstraint("file_id", "tag_id"),
        Index("ix_file_tags_tag_id", "tag_id"),
    )

    id: Mapped[int] = id_column()
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id", ondelete="CASCADE"), nullable=False)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), nullable=False)
    created_at: Mapped[datetime] = created_at_column()


class SmartFolder(Base):
    """A saved rule set whose live result appears as a read-only folder."""

    __tablename__ = "smart_folders"
    __table_args__ = (
        UniqueConstraint("user_id", "name_key"),
        CheckConstraint("jsonb_typeof(rules) = 'object'", name="rules_object"),
    )

    id: Mapped[int] = id_column()
    user_id: Mapped[int] = _owner()
    name: Mapped[str] = mapped_column(Text, nullable=False)
    name_key: Mapped[str] = mapped_column(Text, Computed(NAME_KEY_SQL, persisted=True))
    rules: Mapped[dict] = mapped_column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = _updated_at()


class Playlist(Base):
    __tablename__ = "playlists"
    __table_args__ = (
        UniqueConstraint("user_id", "name_key"),
        Index("idx_playlists_created", "created_at"),
    )

    id: Mapped[int] = id_column()
    user_id: Mapped[int] = _owner()
    name: Mapped[str] = mapped_column(Text, nullable=False)
    name_key: Mapped[str] = mapped_column(Text, Computed(NAME_KEY_SQL, persisted=True))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = _updated_at()


class PlaylistTrack(Base):
    """An ordered entry; a track may appear twice, a position only once."""

    __tablename__ = "playlist_tracks"
    __table_args__ = (
        # Deferrable so a reorder can swap positions inside one transaction.
        UniqueConstraint(
            "playlist_id", "position", deferrable=True, initially="DEFERRED"
        ),
        CheckConstraint("position >= 0", name="position_not_negative"),
        Index("ix_playlist_tracks_file_id", "file_id"),
    )

    id: Mapped[int] = id_column()
    playlist_id: Mapped[int] = mapped_column(
        ForeignKey("playlists.id", ondelete="CASCADE"), nullable=False
    )
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id", ondelete="CASCADE"), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    added_at: Mapped[datetime] = created_at_column()


class PlayHistory(Base):
    """A listen. History outlives the entry: the file reference is cleared, not the row."""

    __tablename__ = "play_history"
    __table_args__ = (
        Index("ix_play_history_user_id_played_at", "user_id", "played_at"),
        Index("ix_play_history_file_id", "file_id"),
        Index("ix_play_history_media_file_id", "media_file_id"),
    )

    id: Mapped[int] = id_column()
    user_id: Mapped[int] = _owner()
    file_id: Mapped[int | None] = mapped_column(ForeignKey("files.id", ondelete="SET NULL"))
    media_file_id: Mapped[int | None] = mapped_column(
        ForeignKey("media_files.id", ondelete="SET NULL")
    )
    played_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    seconds_played: Mapped[float | None] = mapped_column(Numeric(12, 3))
    client: Mapped[str | None] = mapped_column(Text)
