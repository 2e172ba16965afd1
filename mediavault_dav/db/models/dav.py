"""The gateway's own tables: DAV locks and dead properties, shared by every process.

Locks live in PostgreSQL rather than in process memory so several gateway processes
behind one load balancer honour each other's locks (per-process locks give Explorer
and Finder 0-byte uploads when the PUT reaches another worker).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Double,
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from mediavault_dav.db.models.base import Base, created_at_column, id_column


class DavLock(Base):
    """One WebDAV lock, keyed by its token; ``root`` is the locked resource's ref URL."""

    __tablename__ = "dav_locks"
    __table_args__ = (
        CheckConstraint("scope IN ('exclusive', 'shared')", name="scope_known"),
        CheckConstraint("depth IN (0, -1)", name="depth_known"),  # -1: infinity
        # text_pattern_ops: descendants are found with root LIKE 'prefix%'.
        Index("ix_dav_locks_root", "root", postgresql_ops={"root": "text_pattern_ops"}),
        Index("ix_dav_locks_expire", "expire"),
        Index("ix_dav_locks_user_id", "user_id"),
    )

    token: Mapped[str] = mapped_column(String(128), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    root: Mapped[str] = mapped_column(Text, nullable=False)
    principal: Mapped[str] = mapped_column(Text, nullable=False)
    scope: Mapped[str] = mapped_column(String(16), nullable=False)
    lock_type: Mapped[str] = mapped_column(String(16), nullable=False, server_default="write")
    depth: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    owner: Mapped[bytes | None] = mapped_column(LargeBinary)  # the client's XML, verbatim
    timeout_seconds: Mapped[float] = mapped_column(Double, nullable=False)
    expire: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_at: Mapped[datetime] = created_at_column()


class DavProperty(Base):
    """A dead property (Win32 timestamps, Finder metadata ...) of a file or folder.

    Keyed by the entry, not by its URL, so properties follow a MOVE and disappear
    with the entry.
    """

    __tablename__ = "dav_properties"
    __table_args__ = (
        CheckConstraint("num_nonnulls(file_id, folder_id) = 1", name="exactly_one_target"),
        UniqueConstraint(
            "file_id", "folder_id", "name",
            name="uq_dav_properties_target_name",
            postgresql_nulls_not_distinct=True,
        ),
        Index("ix_dav_properties_folder_id", "folder_id"),
    )

    id: Mapped[int] = id_column()
    file_id: Mapped[int | None] = mapped_column(ForeignKey("files.id", ondelete="CASCADE"))
    folder_id: Mapped[int | None] = mapped_column(ForeignKey("folders.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text, nullable=False)  # Clark notation: {ns}local
    value: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)  # serialised XML
    created_at: Mapped[datetime] = created_at_column()
