"""The seed's maintenance jobs: db health, grants, analyze, vacuum; sessions cleanup and test."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from psycopg import sql
from sqlalchemy.engine import make_url

from mediavault_dav.db.database import Database, SchemaPolicy, open_database
from mediavault_dav.db.embedded import EmbeddedPostgres
from mediavault_dav.settings import Settings
from tests.support import PASSWORD, Client, clean_environment, gateway_with, run_cli


def _env(url: str, **extra: str) -> dict[str, str]:
    return clean_environment(DATABASE_URL=url, SESSION_SECRET="s" * 40, **extra)


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


# --- db health ---------------------------------------------------------------


@pytest.fixture
def cold_database_url(admin_url: str, template_database: str) -> Iterator[str]:
    """A fresh database copied file by file, so none of its blocks is in PostgreSQL's cache.

    (The tests' usual copies go through shared buffers, which makes a new database
    look perfectly cached.)
    """
    name = f"mv_cold_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(admin_url), autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
            sql.Identifier(name), sql.Identifier(template_database)))
    yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(_libpq(admin_url), autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def test_db_health_prints_every_metric_and_fails_when_the_cache_target_is_missed(
        cold_database_url: str, tmp_path) -> None:  # noqa: ANN001
    env = _env(cold_database_url, MEDIAVAULT_BLOB_DIR=str(tmp_path / "blobs"))
    # Real reads in other processes (their statistics are flushed when they exit):
    # on a cold database the first read of every block misses the cache.
    assert run_cli("user", "add", "carol", "--email", "c@example.com", "--password-stdin",
                   env=env, input="a good password\n").returncode == 0
    assert run_cli("user", "list", env=env).returncode == 0

    seed_target = run_cli("db", "health", "--json", env=env)
    assert seed_target.returncode == 1, seed_target.stdout
    report = json.loads(seed_target.stdout)
    assert 0 < report["cache_hit_ratio"] < 99 and report["ok"] is False
    ratio_target = next(target for target in report["targets"] if target["name"] == "cache hit ratio")
    assert ratio_target["ok"] is False and "below the target of 99 %" in ratio_target["detail"]
    assert {"size_bytes", "connections", "tables", "unused_indexes", "slow_queries", "blob_store"} <= set(report)
    assert report["slow_queries"] is None and "not installed" in report["slow_queries_note"]

    relaxed = run_cli("db", "health", "--min-cache-hit-ratio", "50", env=env)
    for metric in ("database ", "cache hit ratio: ", "connections: ", "tables:", "users ",
                   "unused indexes: ", "slow queries: pg_stat_statements is not installed",
                   "expired sessions waiting for cleanup: 0", "blob store: 0 blobs",
                   "ok    critical indexes: all present"):
        assert metric in relaxed.stdout, metric
    assert relaxed.returncode == (0 if report["cache_hit_ratio"] >= 50 else 1)
    assert run_cli("db", "health", "--min-cache-hit-ratio", "0", env=env).returncode == 0


def test_db_health_misses_the_index_target_when_a_seed_index_is_dropped(database_url: str, tmp_path) -> None:  # noqa: ANN001
    with psycopg.connect(_libpq(database_url), autocommit=True) as connection:
        connection.execute("DROP INDEX idx_files_hash")
    result = run_cli("db", "health", "--min-cache-hit-ratio", "0",
                     env=_env(database_url, MEDIAVAULT_BLOB_DIR=str(tmp_path / "blobs")))
    assert result.returncode == 1 and "MISS  critical indexes: missing idx_files_hash" in result.stdout


# --- db grants ---------------------------------------------------------------


@pytest.fixture
def gateway_role(database_url: str) -> Iterator[tuple[str, str]]:
    """A role name for this test, and a URL that logs in as it; dropped afterwards."""
    role = f"mv_gateway_{uuid.uuid4().hex[:8]}"
    password = "a long role password " + uuid.uuid4().hex
    url = make_url(database_url).set(username=role, password=password).render_as_string(hide_password=False)
    yield role, url
    with psycopg.connect(_libpq(database_url), autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
        if exists:
            connection.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            connection.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def test_db_grants_creates_a_least_privilege_role_the_gateway_can_run_as(
        database_url: str, gateway_role: tuple[str, str], settings: Settings) -> None:
    role, role_url = gateway_role
    password = make_url(role_url).password or ""
    env = _env(database_url)
    missing = run_cli("db", "grants", role, "--check", env=env)
    assert missing.returncode == 1 and f"missing: role {role} does not exist" in missing.stdout

    created = run_cli("db", "grants", role, "--password-stdin", env=env, input=password + "\n")
    assert created.returncode == 0, created.stdout + created.stderr
    assert f"created role {role}" in created.stdout and "least privilege, no drift" in created.stdout
    assert password not in created.stdout + created.stderr

    # The role is enough for everything the gateway does, and no more.
    role_env = _env(role_url)
    checked = run_cli("db", "check", env=role_env)
    assert checked.returncode == 0, checked.stdout
    assert run_cli("user", "add", "dora", "--email", "d@example.com", "--password-stdin",
                   env=role_env, input=PASSWORD + "\n").returncode == 0
    role_database = open_database(Settings(database_url=role_url, session_secret="s" * 40,
                                           data_dir=settings.data_dir, port=0, pool_max=4),
                                  SchemaPolicy.REQUIRE_CURRENT)
    try:
        with gateway_with(settings, role_database) as running:
            client = Client(running.url, ("dora", PASSWORD))
            assert client.request("MKCOL", "/Files/Docs").status_code == 201
            assert client.request("PUT", "/Files/Docs/a.txt", data=b"a").status_code == 201
            locked = client.request("LOCK", "/Files/Docs/a.txt", data=(
                b'<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/>'
                b"</D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>"))
            assert locked.status_code == 200
            assert client.request("UNLOCK", "/Files/Docs/a.txt",
                                  headers={"Lock-Token": locked.headers["Lock-Token"]}).status_code == 204
            assert client.request("MOVE", "/Files/Docs/a.txt",
                                  headers={"Destination": "/Files/b.txt"}).status_code == 201
            assert client.request("GET", "/Files/b.txt").content == b"a"
            assert client.request("DELETE", "/Files/Docs").status_code == 204
        with role_database.transaction() as session, pytest.raises(sa.exc.ProgrammingError, match="permission"):
            session.execute(sa.text("TRUNCATE files CASCADE"))
        with role_database.transaction() as session, pytest.raises(sa.exc.ProgrammingError, match="permission"):
            session.execute(sa.text("UPDATE activity_logs SET action = 'rewritten'"))
    finally:
        role_database.close()

    with psycopg.connect(_libpq(database_url), autocommit=True) as connection:
        connection.execute(sql.SQL("GRANT TRUNCATE ON files TO {}").format(sql.Identifier(role)))
        connection.execute(sql.SQL("GRANT UPDATE ON activity_logs TO {}").format(sql.Identifier(role)))
    drift = run_cli("db", "grants", role, "--check", "--json", env=env)
    assert drift.returncode == 1
    assert set(json.loads(drift.stdout)["excess"]) == {"TRUNCATE on files", "UPDATE on activity_logs"}
    fixed = run_cli("db", "grants", role, env=env)
    assert fixed.returncode == 0 and "no drift" in fixed.stdout


@pytest.mark.slow
def test_db_grants_on_the_embedded_database_creates_the_role_as_its_superuser(tmp_path: Path) -> None:
    """The default setup: no DATABASE_URL. The app's own role may not create roles;
    the command uses the embedded cluster's superuser for that."""
    data_dir = tmp_path / "data"
    env = clean_environment(MEDIAVAULT_DATA_DIR=str(data_dir), SESSION_SECRET="s" * 40)
    assert run_cli("db", "upgrade", env=env).returncode == 0
    password = "embedded-role-password-1"
    created = run_cli("db", "grants", "mv_gateway", "--password-stdin", env=env, input=password + "\n")
    assert created.returncode == 0, created.stdout + created.stderr
    assert "created role mv_gateway" in created.stdout and "least privilege, no drift" in created.stdout
    assert run_cli("db", "grants", "mv_gateway", "--check", env=env).returncode == 0

    cluster = EmbeddedPostgres(data_dir)
    cluster.acquire()
    try:  # the role signs in with its password over the private socket, and may do no more than it needs
        role_url = make_url(cluster.app_url()).set(username="mv_gateway", password=password)
        with psycopg.connect(_libpq(role_url.render_as_string(hide_password=False)), autocommit=True) as connection:
            assert connection.execute("SELECT count(*) FROM files").fetchone() == (0,)
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                connection.execute("TRUNCATE files CASCADE")
    finally:
        cluster.release()


def test_db_grants_refuses_to_create_a_role_without_a_password(database_url: str,
                                                               gateway_role: tuple[str, str]) -> None:
    result = run_cli("db", "grants", gateway_role[0], env=_env(database_url))
    assert result.returncode == 1
    assert result.stderr.strip() == (f"Error: role {gateway_role[0]} does not exist: give it a password "
                                     "(--password-stdin) to create it")


# --- analyze and vacuum -----------------------------------------------------


def test_db_analyze_and_vacuum_update_postgresql_statistics(database_url: str) -> None:
    env = _env(database_url)
    analyzed = run_cli("db", "analyze", env=env)
    assert analyzed.returncode == 0 and "ANALYZE done in" in analyzed.stdout
    vacuumed = run_cli("db", "vacuum", env=env)
    assert vacuumed.returncode == 0 and "VACUUM (ANALYZE) done in" in vacuumed.stdout
    with psycopg.connect(_libpq(database_url)) as connection:
        analyzed_tables, vacuumed_tables = connection.execute(
            "SELECT count(last_analyze), count(last_vacuum) FROM pg_stat_user_tables "
            "WHERE relname IN ('files', 'sessions', 'users')").fetchone()
    assert (analyzed_tables, vacuumed_tables) == (3, 3)


# --- sessions ----------------------------------------------------------------


def _add_sessions(database: Database, expired: int, live: int) -> None:
    with database.transaction() as session:
        for index in range(expired + live):
            offset = "-1 hour" if index < expired else "+1 hour"
            session.execute(sa.text(
                f"INSERT INTO sessions (sid, sess, expire) VALUES (:sid, '{{}}', "
                f"(now() AT TIME ZONE 'UTC') + interval '{offset}')"), {"sid": f"s{index}"})


def _session_count(database: Database) -> int:
    with database.reading() as session:
        return int(session.execute(sa.text("SELECT count(*) FROM sessions")).scalar_one())


def test_sessions_cleanup_deletes_only_expired_sessions(database_url: str, database: Database) -> None:
    _add_sessions(database, expired=3, live=2)
    result = run_cli("sessions", "cleanup", env=_env(database_url))
    assert result.returncode == 0 and result.stdout.strip() == "removed 3 expired sessions"
    assert _session_count(database) == 2


def test_sessions_test_passes_on_the_seed_schema_and_names_what_is_broken(
        database_url: str, database: Database) -> None:
    passed = run_cli("sessions", "test", env=_env(database_url))
    assert passed.returncode == 0, passed.stdout
    for step in ("table", "sessions_pkey", "IDX_session_expire", "write", "read", "expiry", "delete"):
        assert f"ok    {step}:" in passed.stdout
    assert _session_count(database) == 0, "the test rows are gone"
    with database.transaction() as session:
        session.execute(sa.text('DROP INDEX "IDX_session_expire"'))
    broken = run_cli("sessions", "test", env=_env(database_url))
    assert broken.returncode == 1 and "FAIL  IDX_session_expire: missing" in broken.stdout


def test_the_server_removes_expired_sessions_and_locks_by_itself(
        settings: Settings, database: Database, alice_client: Client) -> None:
    _add_sessions(database, expired=2, live=1)
    with database.transaction() as session:
        session.execute(sa.text(
            "INSERT INTO dav_locks (token, root, principal, scope, depth, timeout_seconds, expire) "
            "VALUES ('opaquelocktoken:old', '/~1/Files/x', 'alice', 'exclusive', 0, 60, now() - interval '1 minute')"))
    with gateway_with(settings, database, housekeeping_interval_s=1):
        deadline = time.monotonic() + 10
        while _session_count(database) != 1:
            assert time.monotonic() < deadline, "expired sessions were never removed"
            time.sleep(0.2)
    with database.reading() as session:
        assert session.execute(sa.text("SELECT count(*) FROM dav_locks")).scalar_one() == 0
