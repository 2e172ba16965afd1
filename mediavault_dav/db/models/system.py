"""Operations: bulk import batches and typed admin settings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from mediavault_dav.db.models.base import Base, id_column

IMPORT_STATUSES = ("running", "completed", "failed", "interrupted")


class ImportBatch(Base):
    """One run of ``mediavault-dav import``; a rerun continues the same batch."""

    __tablename__ = "import_batches"
    __table_args__ = (
        CheckConstraint(
            "status IN ('running', 'completed', 'failed', 'interrupted')", name="status_known"
        ),
        Index("ix_import_batches_user_id_started_at", "user_id", "started_at"),
        Index("ix_import_batches_target_folder_id", "target_folder_id"),
    )

    id: Mapped[int] = id_column()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    source_path: Mapped[str] = mapped_column(Text, nullable=False)
    target_folder_id: Mapped[int | None] = mapped_column(
        ForeignKey("folders.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default="running")
    total_files: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    imported_files: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    duplicate_files: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    failed_files: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    total_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    imported_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    errors: Mapped[list | None] = mapped_column(JSONB)
    started_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SystemSetting(Base):
    """An admin setting; ``value`` is JSON so numbers stay numbers."""

    __tablename__ = "system_settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[object] = mapped_column(JSONB, nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()
    )
