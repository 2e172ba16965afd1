"""Shared fixtures: a real PostgreSQL, a fresh database per test, a real gateway.

PostgreSQL is the embedded one (started once per test run in a temporary data
directory) unless TEST_DATABASE_URL names a server whose role may CREATE DATABASE.
The schema is migrated once into a template database; each test gets its own copy
(CREATE DATABASE ... TEMPLATE), so tests never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from psycopg import sql
from sqlalchemy.engine import make_url

from mediavault_dav.db import schema
from mediavault_dav.db.database import Database, SchemaPolicy, open_database
from mediavault_dav.db.embedded import EmbeddedPostgres
from mediavault_dav.server import Gateway
from mediavault_dav.settings import Settings
from mediavault_dav.vault import users
from tests.support import PASSWORD, TEST_SECRET, Client, ServeProcess, serve_env, start_serve


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def admin_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A URL with the right to create databases."""
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        url = make_url(external).set(drivername="postgresql+psycopg")
        yield url.render_as_string(hide_password=False)
        return
    cluster = EmbeddedPostgres(tmp_path_factory.mktemp("pg"))
    cluster.acquire()
    try:
        yield cluster.superuser_url()
    finally:
        cluster.release()


@pytest.fixture(scope="session")
def template_database(admin_url: str) -> Iterator[str]:
    name = f"mv_template_{os.getpid()}"
    with psycopg.connect(_libpq(admin_url), autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    engine = sa.create_engine(_with_database(admin_url, name))
    schema.upgrade(engine)
    engine.dispose()
    yield name
    with psycopg.connect(_libpq(admin_url), autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _create_database(admin_url: str, template: str | None) -> str:
    name = f"mv_test_{uuid.uuid4().hex[:12]}"
    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        statement = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(template))
    with psycopg.connect(_libpq(admin_url), autocommit=True) as connection:
        connection.execute(statement)
    return name


def _drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(_libpq(admin_url), autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def database_url(admin_url: str, template_database: str) -> Iterator[str]:
    """A fresh, migrated database for this test alone."""
    name = _create_database(admin_url, template_database)
    yield _with_database(admin_url, name)
    _drop_database(admin_url, name)


@pytest.fixture
def empty_database_url(admin_url: str) -> Iterator[str]:
    """A fresh database without any schema."""
    name = _create_database(admin_url, None)
    yield _with_database(admin_url, name)
    _drop_database(admin_url, name)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        session_secret=TEST_SECRET,
        data_dir=tmp_path / "data",
        host="127.0.0.1",
        port=0,
        pool_max=8,
    )


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    opened = open_database(settings, SchemaPolicy.REQUIRE_CURRENT)
    yield opened
    opened.close()


@pytest.fixture
def gateway(settings: Settings, database: Database) -> Iterator[Gateway]:
    """The real cheroot server on a free port, over this test's database."""
    running = Gateway(settings, database)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def alice(database: Database) -> users.Account:
    with database.transaction() as session:
        return users.add_user(session, "alice", "alice@example.com", PASSWORD)


@pytest.fixture
def alice_client(gateway: Gateway, alice: users.Account) -> Client:
    return Client(gateway.url, (alice.username, PASSWORD))


@pytest.fixture
def anonymous_client(gateway: Gateway) -> Client:
    return Client(gateway.url, None)


@pytest.fixture
def bob(database: Database) -> users.Account:
    with database.transaction() as session:
        return users.add_user(session, "bob", "bob@example.com", PASSWORD)


@pytest.fixture
def bob_client(gateway: Gateway, bob: users.Account) -> Client:
    return Client(gateway.url, (bob.username, PASSWORD))


@pytest.fixture
def blob_root(settings: Settings) -> Path:
    return settings.blob_root


@pytest.fixture
def second_process(settings: Settings, gateway: Gateway) -> Iterator[ServeProcess]:
    """Another gateway process (``mediavault-dav serve``) on the same database and blobs."""
    served = start_serve(serve_env(settings))
    yield served
    served.stop()
