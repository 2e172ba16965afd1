"""The seed's weekly ANALYZE and monthly VACUUM ANALYZE, as functions.

Both run outside a transaction (VACUUM refuses to run inside one) and without the
gateway's statement timeout, which a large table would exceed. PostgreSQL's
notices (a table the role may not vacuum is skipped with a WARNING) are returned
so the operator sees them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Engine


@dataclass
class MaintenanceRun:
    statement: str
    seconds: float
    notices: list[str] = field(default_factory=list)


def analyze(engine: Engine) -> MaintenanceRun:
    return _run(engine, "ANALYZE")


def vacuum(engine: Engine, *, full: bool = False) -> MaintenanceRun:
    """VACUUM (ANALYZE); FULL rewrites every table and locks it meanwhile."""
    return _run(engine, "VACUUM (FULL, ANALYZE)" if full else "VACUUM (ANALYZE)")


def _run(engine: Engine, statement: str) -> MaintenanceRun:
    notices: list[str] = []
    started = time.monotonic()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        raw = connection.connection.dbapi_connection
        handler = lambda diagnostic: notices.append(  # noqa: E731
            f"{diagnostic.severity}: {diagnostic.message_primary}")
        raw.add_notice_handler(handler)
        try:
            connection.execute(sa.text("SET statement_timeout = 0"))
            connection.execute(sa.text(statement))
            connection.execute(sa.text("RESET statement_timeout"))
        finally:
            raw.remove_notice_handler(handler)
    return MaintenanceRun(statement, round(time.monotonic() - started, 3), notices)
