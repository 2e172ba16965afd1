"""Who else may see what, public links, the audit trail, and sign-in sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import INET, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from mediavault_dav.db.models.base import Base, created_at_column, id_column

PERMISSION_LEVELS = ("read", "write", "manage")


def _target(table: str) -> Mapped[int | None]:
    # A grant or share dies with the thing it points at.
    return mapped_column(ForeignKey(f"{table}.id", ondelete="CASCADE"))


class Permission(Base):
    """A grant of one folder, album, smart folder or file to another user."""

    __tablename__ = "permissions"
    __table_args__ = (
        CheckConstraint(
            "num_nonnulls(folder_id, album_id, smart_folder_id, file_id) = 1",
            name="exactly_one_target",
        ),
        CheckConstraint("level IN ('read', 'write', 'manage')", name="level_known"),
        CheckConstraint("grantee_id <> owner_id", name="not_self"),
        UniqueConstraint(
            "grantee_id", "folder_id", "album_id", "smart_folder_id", "file_id",
            name="uq_permissions_grantee_target",
            postgresql_nulls_not_distinct=True,
        ),
        Index("ix_permissions_owner_id", "owner_id"),
        Index("ix_permissions_folder_id", "folder_id"),
        Index("ix_permissions_album_id", "album_id"),
        Index("ix_permissions_smart_folder_id", "smart_folder_id"),
        Index("ix_permissions_file_id", "file_id"),
    )

    id: Mapped[int] = id_column()
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    grantee_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    folder_id: Mapped[int | None] = _target("folders")
    album_id: Mapped[int | None] = _target("albums")
    smart_folder_id: Mapped[int | None] = _target("smart_folders")
    file_id: Mapped[int | None] = _target("files")
    level: Mapped[str] = mapped_column(String(16), nullable=False)
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()


class ShareLink(Base):
    """A public read-only link. Only a SHA-256 of the token is stored."""

    __tablename__ = "share_links"
    __table_args__ = (
        CheckConstraint(
            "num_nonnulls(folder_id, album_id, smart_folder_id, tag_id, file_id) = 1",
            name="exactly_one_target",
        ),
        CheckConstraint("token_hash ~ '^[0-9a-f]{64}$'", name="token_hash_hex"),
        CheckConstraint("max_downloads IS NULL OR max_downloads > 0", name="max_downloads_positive"),
        CheckConstraint("download_count >= 0 AND access_count >= 0", name="counters_not_negative"),
        Index("ix_share_links_owner_id", "owner_id"),
        Index("ix_share_links_folder_id", "folder_id"),
        Index("ix_share_links_album_id", "album_id"),
        Index("ix_share_links_smart_folder_id", "smart_folder_id"),
        Index("ix_share_links_tag_id", "tag_id"),
        Index("ix_share_links_file_id", "file_id"),
    )

    id: Mapped[int] = id_column()
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    folder_id: Mapped[int | None] = _target("folders")
    album_id: Mapped[int | None] = _target("albums")
    smart_folder_id: Mapped[int | None] = _target("smart_folders")
    tag_id: Mapped[int | None] = _target("tags")
    file_id: Mapped[int | None] = _target("files")
    label: Mapped[str | None] = mapped_column(Text)
    password_hash: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    max_downloads: Mapped[int | None] = mapped_column(Integer)
    download_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    access_count: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    last_accessed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()


class ActivityLog(Base):
    """The security audit trail. Rows outlive the user they name (user_id SET NULL)."""

    __tablename__ = "activity_logs"
    __table_args__ = (
        Index("ix_activity_logs_created_at", "created_at"),
        Index("ix_activity_logs_user_id_created_at", "user_id", "created_at"),
        Index("ix_activity_logs_action_created_at", "action", "created_at"),
        # Share-link throttling and download grants (vault/share_guard.py, migration 0003).
        Index("ix_activity_logs_share_misses", "client_address", "created_at",
              postgresql_where=text("action = 'share.miss'")),
        Index("ix_activity_logs_share_link_events", "resource_id", "client_address", "created_at",
              postgresql_where=text("action IN ('share.download', 'share.password_failed')")),
    )

    id: Mapped[int] = id_column()
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Kept as text so the trail still says who after the account is gone.
    username: Mapped[str | None] = mapped_column(String(150))
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    resource_type: Mapped[str | None] = mapped_column(String(32))
    resource_id: Mapped[int | None] = mapped_column(BigInteger)
    path: Mapped[str | None] = mapped_column(Text)
    client_address: Mapped[str | None] = mapped_column(INET)
    user_agent: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)
    status_code: Mapped[int | None] = mapped_column(SmallInteger)
    bytes: Mapped[int | None] = mapped_column(BigInteger)
    details: Mapped[dict | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = created_at_column()


class SignInFailure(Base):
    """Failed sign-ins of one account or one client address (vault/sign_in_throttle.py)."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (Index("ix_sign_in_failures_last_failure_at", "last_failure_at"),)

    key: Mapped[str] = mapped_column(Text, primary_key=True)  # "account:<name>" or "address:<network>"
    failures: Mapped[int] = mapped_column(Integer, nullable=False)
    first_failure_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    last_failure_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    blocked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Session(Base):
    """Exactly the seed's connect-pg-simple table.

    ``expire`` is a TIMESTAMP without time zone, so every connection runs with
    TimeZone=UTC (see db.engine) and sessions are kept in UTC.
    """

    __tablename__ = "sessions"
    __table_args__ = (
        PrimaryKeyConstraint("sid", name="sessions_pkey"),
        Index("IDX_session_expire", "expire"),
    )

    sid: Mapped[str] = mapped_column(String)
    sess: Mapped[dict] = mapped_column(JSONB, nullable=False)
    expire: Mapped[datetime] = mapped_column(DateTime(timezone=False), nullable=False)


