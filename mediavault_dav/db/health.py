"""The seed's database-health-check: size, cache, connections, tables, indexes, queries.

``report`` reads PostgreSQL's statistics views and returns plain data, with the
seed's targets evaluated: cache hit ratio above 99 %, every critical index
present, the schema at this gateway's revision, and connections comfortably below
``max_connections``. The CLI adds the blob store's figures and exits non-zero when
a target is missed, so a monitor can run it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine

from mediavault_dav.db import schema
from mediavault_dav.db.models import SEED_INDEXES

SEED_CACHE_HIT_TARGET = 99.0  # percent, from the seed's "Performance Monitoring"
CONNECTION_HEADROOM = 0.9  # warn when 90 % of max_connections are in use


@dataclass
class Target:
    name: str
    ok: bool
    detail: str


@dataclass
class HealthReport:
    database: str
    size_bytes: int
    cache_hit_ratio: float | None  # percent; None before any table was read
    connections: list[dict[str, Any]]
    connections_total: int
    max_connections: int
    tables: list[dict[str, Any]]
    unused_indexes: list[dict[str, Any]]
    slow_queries: list[dict[str, Any]] | None  # None: pg_stat_statements is not available
    slow_queries_note: str
    expired_sessions: int
    targets: list[Target] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(target.ok for target in self.targets)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        return data


def report(engine: Engine, *, min_cache_hit_ratio: float = SEED_CACHE_HIT_TARGET) -> HealthReport:
    with engine.connect() as connection:
        database, size = connection.execute(
            sa.text("SELECT current_database(), pg_database_size(current_database())")).one()
        ratio = connection.execute(sa.text(
            "SELECT sum(heap_blks_hit) * 100.0 / NULLIF(sum(heap_blks_hit) + sum(heap_blks_read), 0) "
            "FROM pg_statio_user_tables")).scalar()
        connections = [dict(row._mapping) for row in connection.execute(sa.text(
            "SELECT usename AS user, coalesce(state, 'background') AS state, count(*) AS count "
            "FROM pg_stat_activity WHERE datname = current_database() "
            "GROUP BY usename, state ORDER BY count(*) DESC, usename"))]
        total, limit = connection.execute(sa.text(
            "SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'), "
            "current_setting('max_connections')::int")).one()
        tables = [dict(row._mapping) for row in connection.execute(sa.text(
            """
            SELECT relname AS table, pg_total_relation_size(relid) AS total_bytes,
                   n_live_tup AS live_rows, n_dead_tup AS dead_rows,
                   greatest(last_vacuum, last_autovacuum) AS last_vacuum,
                   greatest(last_analyze, last_autoanalyze) AS last_analyze
            FROM pg_stat_user_tables WHERE schemaname = current_schema()
            ORDER BY pg_total_relation_size(relid) DESC, relname
            """))]
        unused = [dict(row._mapping) for row in connection.execute(sa.text(
            """
            SELECT s.relname AS table, s.indexrelname AS index,
                   pg_relation_size(s.indexrelid) AS size_bytes
            FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid
            WHERE s.schemaname = current_schema() AND s.idx_scan = 0
              AND NOT i.indisunique AND NOT i.indisprimary
            ORDER BY s.relname, s.indexrelname
            """))]
        slow, note = _slow_queries(connection)
        present_indexes = set(connection.execute(sa.text(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")).scalars())
        expired = _expired_sessions(connection)
    health = HealthReport(
        database=database, size_bytes=int(size),
        cache_hit_ratio=None if ratio is None else round(float(ratio), 2),
        connections=connections, connections_total=int(total), max_connections=int(limit),
        tables=tables, unused_indexes=unused, slow_queries=slow, slow_queries_note=note,
        expired_sessions=expired,
    )
    _judge(health, engine, min_cache_hit_ratio, present_indexes)
    return health


def _judge(health: HealthReport, engine: Engine, min_ratio: float, present_indexes: set[str]) -> None:
    ratio = health.cache_hit_ratio
    if ratio is None:
        health.targets.append(Target("cache hit ratio", True, "no table has been read yet"))
    else:
        health.targets.append(Target(
            "cache hit ratio", ratio >= min_ratio,
            f"{ratio:.2f} % ({'meets' if ratio >= min_ratio else 'below'} the target of {min_ratio:g} %)"))
    missing = [name for name in SEED_INDEXES if name not in present_indexes]
    health.targets.append(Target("critical indexes", not missing,
                                 "all present" if not missing else "missing " + ", ".join(missing)))
    current, head = schema.current_revision(engine), schema.head_revision()
    health.targets.append(Target("schema revision", current == head,
                                 f"{current or 'none'}" + ("" if current == head else f", expected {head}")))
    headroom = int(health.max_connections * CONNECTION_HEADROOM)
    health.targets.append(Target(
        "connections", health.connections_total < headroom,
        f"{health.connections_total} of max_connections {health.max_connections} in use"))


def _slow_queries(connection: Connection) -> tuple[list[dict[str, Any]] | None, str]:
    installed = connection.execute(sa.text(
        "SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'")).first()
    if installed is None:
        return None, "pg_stat_statements is not installed (CREATE EXTENSION pg_stat_statements)"
    try:
        with connection.begin_nested():
            rows = connection.execute(sa.text(
                "SELECT left(query, 200) AS query, round(mean_exec_time::numeric, 2) AS mean_ms, calls "
                "FROM pg_stat_statements ORDER BY mean_exec_time DESC LIMIT 10"))
            return [dict(row._mapping) for row in rows], "the ten slowest by mean time"
    except sa_exc.DBAPIError:
        return None, "pg_stat_statements is installed but not loaded (shared_preload_libraries)"


def _expired_sessions(connection: Connection) -> int:
    return int(connection.execute(sa.text(
        "SELECT count(*) FROM sessions WHERE expire < (now() AT TIME ZONE 'UTC')")).scalar_one())
