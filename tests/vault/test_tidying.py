"""The server's periodic tidying also forgets old sign-in failures and prunes the audit trail."""

from __future__ import annotations

import sqlalchemy as sa

from mediavault_dav.db.database import Database
from mediavault_dav.vault import tidying


def test_tidy_forgets_old_sign_in_records_and_prunes_old_audit_rows(database: Database) -> None:
    with database.transaction() as session:
        session.execute(sa.text(
            "INSERT INTO sign_in_failures (key, failures, first_failure_at, last_failure_at) VALUES "
            "('account:old', 3, now() - interval '2 days', now() - interval '2 days'), "
            "('account:new', 3, now(), now())"))
        session.execute(sa.text(
            "INSERT INTO activity_logs (username, action, outcome, created_at) VALUES "
            "('x', 'put', 'success', now() - interval '400 days'), ('y', 'put', 'success', now())"))
    tidied = tidying.tidy(database)
    assert (tidied.sign_in_records, tidied.audit_rows) == (1, 1)
    with database.reading() as session:
        assert session.execute(sa.text("SELECT key FROM sign_in_failures")).scalars().all() == ["account:new"]
        assert session.execute(sa.text("SELECT username FROM activity_logs")).scalars().all() == ["y"]
