"""The seed's weekly ANALYZE and monthly VACUUM ANALYZE, as functions; and the
statistics a fresh gateway needs before it caches a single query plan.

Both run outside a transaction (VACUUM refuses to run inside one) and without the
gateway's statement timeout, which a large table would exceed. PostgreSQL's
notices (a table the role may not vacuum is skipped with a WARNING) are returned
so the operator sees them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Engine


@dataclass
class MaintenanceRun:
    statement: str
    seconds: float
    notices: list[str] = field(default_factory=list)


def analyze(engine: Engine, tables: Sequence[str] = ()) -> MaintenanceRun:
    """ANALYZE the whole database, or just ``tables`` (names from code, never from input)."""
    return _run(engine, " ".join(["ANALYZE", ", ".join(tables)]).strip())


# Tables autovacuum would analyze next (its default rule: more than 50 rows plus 10 %
# changed since the last ANALYZE, or never analyzed and not empty).
_OUTDATED_TABLES = """
    SELECT format('%I.%I', s.schemaname, s.relname)
    FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
    WHERE s.n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, 0)
    ORDER BY s.relname
"""


def analyze_outdated(engine: Engine) -> list[str]:
    """ANALYZE the tables whose statistics are missing or well out of date; their names.

    Why not leave it to autovacuum: psycopg prepares a statement after its fifth
    use and PostgreSQL keeps the generic plan it built then until the table's
    statistics change. Planned over a table that was filled without an ANALYZE (a
    restore, an import, any bulk load while the gateway was stopped), a path lookup took the
    file by scanning its whole folder through ``idx_files_folder`` instead of the
    unique name index: measured on a folder of 2,000 files, 0.45 ms of PostgreSQL
    CPU per lookup instead of 0.05 ms, until autovacuum came round, up to a minute
    later. The gateway runs this before it serves. Import and restore ANALYZE what
    they wrote themselves: a write's counts reach ``pg_stat_user_tables`` only when
    its connection next reports, up to ten seconds later.
    """
    with engine.connect() as connection:
        tables = list(connection.execute(sa.text(_OUTDATED_TABLES)).scalars())
    if tables:
        analyze(engine, tables)
    return tables


def vacuum(engine: Engine, *, full: bool = False) -> MaintenanceRun:
    """VACUUM (ANALYZE); FULL rewrites every table and locks it meanwhile."""
    return _run(engine, "VACUUM (FULL, ANALYZE)" if full else "VACUUM (ANALYZE)")


def _run(engine: Engine, statement: str) -> MaintenanceRun:
    notices: list[str] = []
    started = time.monotonic()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        raw = connection.connection.dbapi_connection
        assert raw is not None  # a live, checked-out connection
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
