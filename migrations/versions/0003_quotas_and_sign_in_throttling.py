"""Quotas counted by the database, and sign-in throttling every gateway process shares.

- ``media_files.entry_count`` is how many entries of the folder tree name a content;
  ``users.used_bytes`` is the size of the user's contents that have at least one
  entry. Deduplicated content counts once per user: two names (or a COPY) of one
  content use its bytes once. Triggers on ``files`` keep both exact whatever writes
  the rows (PUT, COPY of a folder, cascading deletes, the importer), and refuse a
  change that takes a user past the quota (their own, else the default in
  ``system_settings``) with SQLSTATE 53100, which the vault reports as over quota —
  in the same transaction as the change, so concurrent uploads cannot both slip in.
  A negative ``quota_bytes`` means "unlimited" for that user whatever the default.
- ``sign_in_failures`` counts failed sign-ins per account and per client address
  (see vault/sign_in_throttle.py).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COUNT_CONTENT = """
CREATE FUNCTION mediavault_count_content() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    remaining integer;
    content_size bigint;
    owner bigint;
    used bigint;
    quota bigint;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE media_files SET entry_count = entry_count - 1 WHERE id = OLD.media_file_id
        RETURNING entry_count, size_bytes, uploaded_by INTO remaining, content_size, owner;
        IF remaining = 0 THEN
            UPDATE users SET used_bytes = used_bytes - content_size WHERE id = owner;
        END IF;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        UPDATE media_files SET entry_count = entry_count + 1 WHERE id = NEW.media_file_id
        RETURNING entry_count, size_bytes, uploaded_by INTO remaining, content_size, owner;
        IF remaining = 1 AND content_size > 0 THEN
            UPDATE users SET used_bytes = used_bytes + content_size WHERE id = owner
            RETURNING used_bytes, coalesce(quota_bytes, (
                SELECT CAST(value #>> '{}' AS bigint) FROM system_settings
                WHERE key = 'default_quota_bytes' AND jsonb_typeof(value) = 'number'))
            INTO used, quota;
            IF quota >= 0 AND used > quota THEN  -- NULL: no quota; negative: unlimited
                RAISE EXCEPTION 'mediavault: storage quota exceeded'
                    USING ERRCODE = '53100', DETAIL = format('user %s: %s of %s bytes', owner, used, quota);
            END IF;
        END IF;
    END IF;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.add_column("users", sa.Column("used_bytes", sa.BigInteger(), nullable=False, server_default="0"))
    op.add_column("media_files", sa.Column("entry_count", sa.Integer(), nullable=False, server_default="0"))
    op.create_check_constraint(op.f("ck_media_files_entry_count_not_negative"), "media_files", "entry_count >= 0")
    op.execute("UPDATE media_files m SET entry_count = (SELECT count(*) FROM files f WHERE f.media_file_id = m.id)")
    op.execute(
        "UPDATE users u SET used_bytes = coalesce((SELECT sum(m.size_bytes) FROM media_files m "
        "WHERE m.uploaded_by = u.id AND m.entry_count > 0), 0)"
    )
    op.execute(_COUNT_CONTENT)
    op.execute("CREATE TRIGGER files_count_content AFTER INSERT OR DELETE ON files "
               "FOR EACH ROW EXECUTE FUNCTION mediavault_count_content()")
    op.execute("CREATE TRIGGER files_count_changed_content AFTER UPDATE OF media_file_id ON files "
               "FOR EACH ROW WHEN (OLD.media_file_id IS DISTINCT FROM NEW.media_file_id) "
               "EXECUTE FUNCTION mediavault_count_content()")

    op.create_table(
        "sign_in_failures",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sign_in_failures")),
    )
    op.create_index(op.f("ix_sign_in_failures_last_failure_at"), "sign_in_failures", ["last_failure_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_sign_in_failures_last_failure_at"), table_name="sign_in_failures")
    op.drop_table("sign_in_failures")
    op.execute("DROP TRIGGER files_count_changed_content ON files")
    op.execute("DROP TRIGGER files_count_content ON files")
    op.execute("DROP FUNCTION mediavault_count_content()")
    op.drop_constraint(op.f("ck_media_files_entry_count_not_negative"), "media_files")
    op.drop_column("media_files", "entry_count")
    op.drop_column("users", "used_bytes")
