"""Hot-path statements run by psycopg directly, inside a SQLAlchemy session's transaction."""

from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa

from mediavault_dav.db.database import Database
from mediavault_dav.db.statements import Statement


def test_parameters_are_named_like_sqlalchemy_text_and_rows_have_named_fields(database: Database) -> None:
    statement = Statement("SELECT :number::int + 1 AS next, 'a%b' AS literal, CAST(:words AS text[]) AS words")
    with database.reading() as session:
        row = statement.first(session, {"number": 41, "words": ["x", "y"]})
    assert (row.next, row.literal, row.words) == (42, "a%b", ["x", "y"])


def test_first_all_and_run(database: Database) -> None:
    with database.transaction() as session:
        session.execute(sa.text("CREATE TEMP TABLE numbers (n int)"))
        inserted = Statement("INSERT INTO numbers SELECT generate_series(1, :count)").run(session, {"count": 3})
        rows = Statement("SELECT n FROM numbers ORDER BY n").all(session, {})
        missing = Statement("SELECT n FROM numbers WHERE n > :n").first(session, {"n": 10})
    assert inserted == 3
    assert [row.n for row in rows] == [1, 2, 3]
    assert missing is None


def test_they_belong_to_the_session_transaction(database: Database) -> None:
    insert = Statement("INSERT INTO system_settings (key, value) VALUES (:key, CAST(:value AS jsonb))")
    with pytest.raises(RuntimeError), database.transaction() as session:
        insert.run(session, {"key": "statements.test", "value": "1"})
        raise RuntimeError("roll back")
    with database.reading() as session:
        count = session.execute(sa.text("SELECT count(*) FROM system_settings WHERE key = 'statements.test'"))
        assert count.scalar_one() == 0


def test_driver_errors_become_sqlalchemy_errors(database: Database) -> None:
    with pytest.raises(sa.exc.ProgrammingError), database.reading() as session:
        Statement("SELECT no_such_column FROM users").first(session, {})
    with pytest.raises(sa.exc.DataError), database.reading() as session:
        Statement("SELECT 1 / :zero AS x").first(session, {"zero": 0})


def test_statement_listeners_see_them(database: Database) -> None:
    seen: list[str] = []

    def listen(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001, PLR0913
        seen.append(statement)

    sa.event.listen(database.engine, "before_cursor_execute", listen)
    try:
        with database.reading() as session:
            Statement("SELECT 1 AS one").first(session, {})
    finally:
        sa.event.remove(database.engine, "before_cursor_execute", listen)
    assert seen == ["SELECT 1 AS one"]


# --- looking_up: autocommit reads without a Session ----------------------------------

_INSERT_SETTING = Statement("INSERT INTO system_settings (key, value) VALUES (:key, CAST(:value AS jsonb))")


def _settings_named(database: Database, key: str) -> int:
    with database.reading() as session:
        return int(session.execute(sa.text("SELECT count(*) FROM system_settings WHERE key = :k"),
                                   {"k": key}).scalar_one())


def test_a_lookup_runs_statements_outside_any_transaction(database: Database) -> None:
    with database.looking_up() as lookup:
        row = Statement("SELECT :n::int * 2 AS twice").first(lookup, {"n": 21})
        status = lookup.connection().connection.driver_connection.info.transaction_status
    assert row.twice == 42
    assert status == psycopg.pq.TransactionStatus.IDLE  # no BEGIN was sent, none is left open


@pytest.mark.parametrize("failing", [False, True])
def test_the_pool_never_gets_back_a_connection_in_autocommit(database: Database, failing: bool) -> None:
    """After a lookup (one that failed, too) the same pooled connection runs an atomic transaction."""
    with database.looking_up() as lookup:
        used = lookup.connection().connection.driver_connection
        if failing:
            with pytest.raises(sa.exc.ProgrammingError):
                Statement("SELECT no_such_column FROM system_settings").first(lookup, {})
    with pytest.raises(RuntimeError), database.transaction() as session:
        assert session.connection().connection.driver_connection is used  # the pool hands out the latest first
        _INSERT_SETTING.run(session, {"key": "lookup.test", "value": "1"})
        raise RuntimeError("roll back")
    assert _settings_named(database, "lookup.test") == 0
