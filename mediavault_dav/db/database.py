"""Opening the database a gateway process works on: embedded or external.

``open_database`` is what the server and every CLI command call: it starts (or joins)
the embedded PostgreSQL when no DATABASE_URL is set, builds the engine with the
seed's pool settings, checks that PostgreSQL answers, and applies the schema policy.
"""

from __future__ import annotations

import atexit
import enum
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from mediavault_dav.db import schema
from mediavault_dav.db.embedded import EmbeddedPostgres
from mediavault_dav.db.engine import check_connection, create_engine
from mediavault_dav.db.statements import Lookup
from mediavault_dav.settings import Settings


class SchemaPolicy(enum.Enum):
    """What to do when the schema is not at the head revision."""

    REQUIRE_CURRENT = "require"  # serve only a current schema (external databases)
    UPGRADE_EMBEDDED = "upgrade-embedded"  # embedded: upgrade; external: require
    ANY = "any"  # inspection and `db upgrade` itself


@dataclass
class Database:
    engine: Engine
    embedded: EmbeddedPostgres | None
    sessions: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed together, or not at all."""
        with self.sessions.begin() as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for a read that is a single statement.

        It runs in autocommit mode: one round trip per statement instead of three
        (psycopg sends BEGIN and COMMIT as their own round trips), which is most of
        what resolving a path for a GET costs. Several statements here do not see
        one snapshot: use ``transaction`` for anything that must be consistent.
        """
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            with Session(bind=connection, expire_on_commit=False) as session:
                yield session

    @contextmanager
    def looking_up(self) -> Iterator[Lookup]:
        """A connection for single-statement reads run as ``Statement`` objects.

        What ``reading`` does for a request's one-statement path lookup, with half
        its overhead: measured per lookup, 131 µs of CPU through ``reading`` (a
        Session, and the isolation level switched by SQLAlchemy's machinery), 87 µs
        here, 47 µs for psycopg's own part. The driver's autocommit is switched
        here directly and always switched back before the pool gets the connection
        again; a connection that cannot be switched back is invalidated, never
        reused in autocommit.
        """
        with self.engine.connect() as connection:
            driver = connection.connection.driver_connection
            assert isinstance(driver, psycopg.Connection)
            driver.autocommit = True
            try:
                yield Lookup(connection)
            finally:
                if not connection.invalidated:
                    try:
                        driver.autocommit = False
                    except psycopg.Error:
                        connection.invalidate()

    def close(self) -> None:
        self.engine.dispose()
        if self.embedded is not None:
            self.embedded.release()


def open_database(settings: Settings, policy: SchemaPolicy = SchemaPolicy.UPGRADE_EMBEDDED) -> Database:
    embedded = None
    if settings.embedded:
        embedded = EmbeddedPostgres(settings.data_dir)
        embedded.acquire()
        # A safety net: the last process to leave stops PostgreSQL even when the
        # caller forgets close() (release is idempotent).
        atexit.register(embedded.release)
        url = embedded.app_url()
    else:
        assert settings.database_url is not None
        url = settings.database_url
    engine = create_engine(settings, url)
    database = Database(engine, embedded)
    try:
        check_connection(engine)
        if policy is SchemaPolicy.UPGRADE_EMBEDDED and embedded is not None:
            schema.upgrade(engine)
        elif policy is not SchemaPolicy.ANY:
            schema.require_current(engine)
    except BaseException:
        database.close()
        raise
    return database


@contextmanager
def using_database(settings: Settings,
                     policy: SchemaPolicy = SchemaPolicy.UPGRADE_EMBEDDED) -> Iterator[Database]:
    database = open_database(settings, policy)
    try:
        yield database
    finally:
        database.close()
