"""The SQLAlchemy engine, configured as the seed's recommended production pool.

Seed → here: max 20 → ``pool_size=20, max_overflow=0``; connect 2 s → libpq
``connect_timeout`` and ``pool_timeout``; statement 30 s → ``statement_timeout``;
idle 30 s → PostgreSQL's ``idle_session_timeout`` closes idle pooled sessions on the
server side (SQLAlchemy's QueuePool has no idle reaper), the pool drops a connection
that sat idle longer than that before handing it out, and LIFO checkout lets surplus
connections actually go idle. No pre-ping: it would add a round trip to every
transaction, and the idle discard already keeps the server from closing a connection
the pool hands out; after a PostgreSQL restart the first failed statement
invalidates the whole pool (one 503, then fresh connections). Sessions run in UTC because the seed's ``sessions.expire``
is a TIMESTAMP without time zone.
"""

from __future__ import annotations

import math
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine, make_url

from mediavault_dav.db.errors import DatabaseUnavailable
from mediavault_dav.settings import Settings

_CHECKED_IN_AT = "mediavault_checked_in_at"


def create_engine(settings: Settings, url: str) -> Engine:
    """An engine for ``url`` with the pool and session settings from ``settings``."""
    idle_seconds = settings.pool_idle_timeout_ms / 1000
    options = " ".join(
        [
            f"-c statement_timeout={settings.statement_timeout_ms}",
            # A little longer than the pool's own limit, so the pool discards first.
            f"-c idle_session_timeout={settings.pool_idle_timeout_ms + 5_000}",
            "-c idle_in_transaction_session_timeout=60000",
            "-c lock_timeout=10000",
            "-c TimeZone=UTC",
        ]
    )
    connect_args: dict[str, Any] = {
        "connect_timeout": max(2, math.ceil(settings.pool_connection_timeout_ms / 1000)),
        "options": options,
        "application_name": "mediavault-dav",
    }
    if settings.db_sslmode is not None:
        connect_args["sslmode"] = settings.db_sslmode
    if settings.db_sslrootcert is not None:
        connect_args["sslrootcert"] = str(settings.db_sslrootcert)

    engine = sa.create_engine(
        url,
        pool_size=settings.pool_max,
        max_overflow=0,
        pool_timeout=settings.pool_connection_timeout_ms / 1000,
        pool_use_lifo=True,
        connect_args=connect_args,
    )
    _discard_idle_connections(engine, idle_seconds)
    return engine


def _discard_idle_connections(engine: Engine, idle_seconds: float) -> None:
    @event.listens_for(engine, "checkin")
    def remember_checkin(dbapi_connection: Any, record: Any) -> None:
        record.info[_CHECKED_IN_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def refuse_stale(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        checked_in = record.info.get(_CHECKED_IN_AT)
        if checked_in is not None and time.monotonic() - checked_in > idle_seconds:
            # The pool catches this, closes the connection and opens a fresh one.
            raise exc.DisconnectionError("idle longer than DB_POOL_IDLE_TIMEOUT")


def describe_url(url: str) -> str:
    """Where a URL points, for messages: never the password."""
    parsed = make_url(url)
    host = parsed.host or parsed.query.get("host") or "localhost"
    if isinstance(host, tuple):
        host = host[0]
    port = f":{parsed.port}" if parsed.port else ""
    return f"{host}{port}/{parsed.database or ''}"


def check_connection(engine: Engine) -> None:
    """Fail with one clear line when PostgreSQL cannot be reached."""
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except (exc.OperationalError, exc.InterfaceError) as error:
        raise DatabaseUnavailable(
            f"cannot connect to PostgreSQL at {describe_url(str(engine.url.render_as_string(hide_password=False)))}: "
            f"{one_line(error.orig or error)}"
        ) from None


def one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text.removeprefix("connection failed: ")[:300]
