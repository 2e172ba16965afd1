"""The engine carries the seed's pool and session settings."""

from __future__ import annotations

import dataclasses
import time

import pytest
import sqlalchemy as sa

from mediavault_dav.db.engine import check_connection, create_engine
from mediavault_dav.db.errors import DatabaseUnavailable
from mediavault_dav.settings import Settings
from tests.support import free_port


def test_pool_is_twenty_connections_without_overflow_and_a_two_second_wait(settings: Settings) -> None:
    engine = create_engine(dataclasses.replace(settings, pool_max=20), settings.database_url or "")
    try:
        assert engine.pool.size() == 20
        assert engine.pool._max_overflow == 0  # noqa: SLF001 - no public accessor
        assert engine.pool._timeout == 2.0  # noqa: SLF001
    finally:
        engine.dispose()


def test_after_the_server_drops_connections_one_statement_fails_then_the_pool_recovers(
        settings: Settings, admin_url: str) -> None:
    """No pre-ping (a round trip per transaction): a lost connection costs one 503."""
    import psycopg
    import sqlalchemy as sa
    from sqlalchemy import exc
    from sqlalchemy.engine import make_url

    engine = create_engine(settings, settings.database_url or "")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        name = make_url(settings.database_url or "").database
        admin = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                               "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
        with pytest.raises(exc.DBAPIError) as failure, engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        assert failure.value.connection_invalidated
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()


def test_sessions_run_in_utc_with_the_statement_and_idle_timeouts(settings: Settings) -> None:
    engine = create_engine(settings, settings.database_url or "")
    try:
        with engine.connect() as connection:
            shown = {name: connection.execute(sa.text(f"SHOW {name}")).scalar()
                     for name in ("statement_timeout", "TimeZone", "idle_session_timeout",
                                  "application_name")}
    finally:
        engine.dispose()
    assert shown == {"statement_timeout": "30s", "TimeZone": "UTC",
                     "idle_session_timeout": "35s", "application_name": "mediavault-dav"}


def test_a_query_longer_than_the_statement_timeout_is_cancelled(settings: Settings) -> None:
    engine = create_engine(dataclasses.replace(settings, statement_timeout_ms=200), settings.database_url or "")
    try:
        with engine.connect() as connection, pytest.raises(sa.exc.OperationalError, match="statement timeout"):
            connection.execute(sa.text("SELECT pg_sleep(2)"))
    finally:
        engine.dispose()


def test_a_connection_idle_longer_than_the_limit_is_replaced(settings: Settings) -> None:
    engine = create_engine(dataclasses.replace(settings, pool_idle_timeout_ms=1000), settings.database_url or "")
    try:
        with engine.connect() as connection:
            first = connection.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        with engine.connect() as connection:
            again = connection.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        time.sleep(1.2)
        with engine.connect() as connection:
            later = connection.execute(sa.text("SELECT pg_backend_pid()")).scalar()
    finally:
        engine.dispose()
    assert first == again  # reused while fresh
    assert later != first  # discarded once idle too long


def test_an_unreachable_server_is_one_line_without_the_password(settings: Settings) -> None:
    url = f"postgresql+psycopg://mediavault_user:hunter2-secret@127.0.0.1:{free_port()}/mediavault"
    engine = create_engine(settings, url)
    try:
        with pytest.raises(DatabaseUnavailable) as raised:
            check_connection(engine)
    finally:
        engine.dispose()
    message = str(raised.value)
    assert message.startswith("cannot connect to PostgreSQL at 127.0.0.1:")
    assert "hunter2" not in message and "\n" not in message


def test_tls_options_reach_every_connection(settings: Settings, tmp_path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("not used over a Unix socket\n", encoding="ascii")
    tls = dataclasses.replace(settings, db_sslmode="verify-full", db_sslrootcert=ca)
    engine = create_engine(tls, settings.database_url or "")
    try:
        with engine.connect() as connection:
            parameters = connection.connection.dbapi_connection.info.get_parameters()
    finally:
        engine.dispose()
    # libpq does not use TLS on Unix sockets, but the parameters are what TCP would use.
    if parameters.get("host", "").startswith("/"):
        assert parameters["sslmode"] == "verify-full"
        assert parameters["sslrootcert"] == str(ca)
    else:  # pragma: no cover - TEST_DATABASE_URL over TCP without TLS would refuse verify-full
        pytest.skip("only meaningful over the embedded Unix socket")
