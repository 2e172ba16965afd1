"""Accounts: who may sign in, and the quota they may use."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Index, String, Text, false, func, text, true
from sqlalchemy.orm import Mapped, mapped_column

from mediavault_dav.db.models.base import Base, created_at_column, id_column


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        # E-mail addresses are unique regardless of case: Bob@x and bob@x are one person.
        Index("uq_users_email", text("lower(email)"), unique=True),
        Index("uq_users_username", text("lower(username)"), unique=True),
    )

    id: Mapped[int] = id_column()
    username: Mapped[str] = mapped_column(String(150), nullable=False)
    email: Mapped[str] = mapped_column(String(320), nullable=False)
    display_name: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(Text, nullable=False)
    is_admin: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false())
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=true())
    # None: the default quota from system_settings applies; negative: unlimited.
    quota_bytes: Mapped[int | None] = mapped_column(BigInteger)
    # Bytes of the user's contents that have an entry; kept by triggers on files (migration 0003).
    used_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    password_changed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()
    )
