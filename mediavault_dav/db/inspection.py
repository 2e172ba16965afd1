"""Read-only reports on the database: the seed's maintenance scripts as functions.

- ``check_state``: check-database-state.js (tables present, privileges, revision);
- ``describe_tables``: inspect-schema.js (columns and constraints);
- ``list_indexes``: analyze-indexes.js (every index, its size and use).

They return plain data; the CLI prints it as text or JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from mediavault_dav.db import schema
from mediavault_dav.db.grants import required_privileges
from mediavault_dav.db.models import GATEWAY_TABLES, SEED_INDEXES, SEED_TABLES

PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE")


@dataclass
class TableState:
    name: str
    present: bool
    privileges: list[str]
    missing_privileges: list[str]
    seed_table: bool


@dataclass
class StateReport:
    server_version: str
    database: str
    role: str
    current_revision: str | None
    head_revision: str
    tables: list[TableState]
    missing_indexes: list[str]
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        return data


def check_state(engine: Engine) -> StateReport:
    expected = [*SEED_TABLES, *GATEWAY_TABLES]
    with engine.connect() as connection:
        version, database, role = connection.execute(
            sa.text("SELECT current_setting('server_version'), current_database(), current_user")
        ).one()
        present = set(
            connection.execute(
                sa.text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            ).scalars()
        )
        tables = []
        for name in expected:
            granted: list[str] = []
            if name in present:
                granted = [
                    privilege for privilege in PRIVILEGES
                    if connection.execute(
                        sa.text("SELECT has_table_privilege(:table, :privilege)"),
                        {"table": f'"{name}"', "privilege": privilege},
                    ).scalar()
                ]
            tables.append(TableState(
                name=name,
                present=name in present,
                privileges=granted,
                missing_privileges=[p for p in required_privileges(name) if p not in granted],
                seed_table=name in SEED_TABLES,
            ))
        existing_indexes = set(
            connection.execute(
                sa.text("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
            ).scalars()
        )
    current = schema.current_revision(engine)
    head = schema.head_revision()
    report = StateReport(
        server_version=version, database=database, role=role,
        current_revision=current, head_revision=head, tables=tables,
        missing_indexes=[name for name in SEED_INDEXES if name not in existing_indexes],
    )
    if current != head:
        report.problems.append(
            f"schema revision is {current or 'none'}, expected {head}: run `{schema.UPGRADE_COMMAND}`"
        )
    for table in tables:
        if not table.present:
            report.problems.append(f"table {table.name} is missing")
        elif table.missing_privileges:
            report.problems.append(
                f"role {role} lacks {', '.join(table.missing_privileges)} on {table.name}"
            )
    for index in report.missing_indexes:
        report.problems.append(f"index {index} on {SEED_INDEXES[index]} is missing")
    return report


def describe_tables(engine: Engine, only: list[str] | None = None) -> list[dict[str, Any]]:
    """Columns and constraints of each table (all of the schema's, or ``only``)."""
    inspector = sa.inspect(engine)
    names = sorted(inspector.get_table_names())
    if only:
        unknown = [name for name in only if name not in names]
        if unknown:
            raise LookupError(f"no such table: {', '.join(unknown)}")
        names = [name for name in names if name in only]
    described = []
    for name in names:
        primary_key = inspector.get_pk_constraint(name)
        described.append({
            "table": name,
            "columns": [
                {
                    "name": column["name"],
                    "type": str(column["type"]),
                    "nullable": column["nullable"],
                    "default": _default_of(dict(column)),
                }
                for column in inspector.get_columns(name)
            ],
            "primary_key": {"name": primary_key["name"],
                            "columns": primary_key["constrained_columns"]},
            "unique": [
                {"name": unique["name"], "columns": unique["column_names"]}
                for unique in inspector.get_unique_constraints(name)
            ],
            "foreign_keys": [
                {
                    "name": fk["name"],
                    "columns": fk["constrained_columns"],
                    "references": f"{fk['referred_table']}({', '.join(fk['referred_columns'])})",
                    "on_delete": (fk.get("options") or {}).get("ondelete", "NO ACTION"),
                }
                for fk in inspector.get_foreign_keys(name)
            ],
            "checks": [
                {"name": check["name"], "expression": check["sqltext"]}
                for check in inspector.get_check_constraints(name)
            ],
        })
    return described


def _default_of(column: dict[str, Any]) -> str | None:
    if column.get("computed"):
        return f"GENERATED ALWAYS AS ({column['computed']['sqltext']})"
    if column.get("identity"):
        return "IDENTITY"
    default = column.get("default")
    return None if default is None else str(default)


def list_indexes(engine: Engine) -> list[dict[str, Any]]:
    """Every index of the schema with its definition, size and scan count."""
    query = sa.text(
        """
        SELECT i.tablename AS table, i.indexname AS name, i.indexdef AS definition,
               pg_relation_size(format('%I.%I', i.schemaname, i.indexname)::regclass) AS size_bytes,
               COALESCE(s.idx_scan, 0) AS scans,
               ix.indisunique AS is_unique, ix.indisprimary AS is_primary
        FROM pg_indexes i
        JOIN pg_class c ON c.relname = i.indexname
        JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = i.schemaname
        JOIN pg_index ix ON ix.indexrelid = c.oid
        LEFT JOIN pg_stat_user_indexes s ON s.indexrelid = c.oid
        WHERE i.schemaname = current_schema()
        ORDER BY i.tablename, i.indexname
        """
    )
    with engine.connect() as connection:
        rows = [dict(row._mapping) for row in connection.execute(query)]
    for row in rows:
        row["seed_index"] = row["name"] in SEED_INDEXES
    return rows
