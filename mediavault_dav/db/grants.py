"""A least-privilege role for the gateway: the seed's apply-grants, minus ALL.

The seed grants ALL PRIVILEGES on every table and sequence ("133 privileges on 19
tables" is 19 x 7): that includes TRUNCATE, REFERENCES and TRIGGER, and setval on
sequences, none of which the gateway uses. Here the gateway's role gets exactly:

- CONNECT on the database, USAGE on the schema (never CREATE);
- SELECT, INSERT, UPDATE, DELETE on the tables, except ``activity_logs`` (the
  audit trail: SELECT and INSERT only, so the gateway cannot rewrite history) and
  ``alembic_version`` (SELECT: the gateway checks the schema, migrations change it);
- USAGE and SELECT on the sequences;
- the same on tables and sequences later migrations create (default privileges
  of the schema's owner).

It must not own the schema (an owner holds every privilege whatever is granted),
and must not be a superuser or able to create roles or databases. ``inspect``
reports both what is missing and what is more than this (drift); ``apply`` creates
or corrects the role.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import sqlalchemy as sa
from psycopg import sql
from sqlalchemy.engine import Connection

TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
GATEWAY_TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE")
SPECIAL_TABLES: dict[str, tuple[str, ...]] = {
    "activity_logs": ("SELECT", "INSERT"),  # append-only audit trail
    "alembic_version": ("SELECT",),  # migrations run as the owner
}
SEQUENCE_PRIVILEGES = ("USAGE", "SELECT")


def required_privileges(table: str) -> tuple[str, ...]:
    return SPECIAL_TABLES.get(table, GATEWAY_TABLE_PRIVILEGES)


@dataclass
class RoleReport:
    role: str
    exists: bool
    can_login: bool = False
    missing: list[str] = field(default_factory=list)
    excess: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.exists and self.can_login and not self.missing and not self.excess

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["ok"] = self.ok
        return data


def _tables(connection: Connection) -> list[str]:
    return list(connection.execute(sa.text(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")).scalars())


def _sequences(connection: Connection) -> list[str]:
    return list(connection.execute(sa.text(
        "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema() ORDER BY sequencename"
    )).scalars())


def inspect(connection: Connection, role: str) -> RoleReport:
    attributes = connection.execute(sa.text(
        "SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls FROM pg_roles WHERE rolname = :r"),
        {"r": role}).one_or_none()
    if attributes is None:
        return RoleReport(role, exists=False, missing=[f"role {role} does not exist"])
    report = RoleReport(role, exists=True, can_login=bool(attributes.rolcanlogin))
    if not attributes.rolcanlogin:
        report.missing.append("LOGIN")
    for name, value in (("SUPERUSER", attributes.rolsuper), ("CREATEROLE", attributes.rolcreaterole),
                        ("CREATEDB", attributes.rolcreatedb), ("BYPASSRLS", attributes.rolbypassrls)):
        if value:
            report.excess.append(name)
    check = sa.text("SELECT has_database_privilege(:r, current_database(), 'CONNECT'), "
                    "has_schema_privilege(:r, current_schema(), 'USAGE'), "
                    "has_schema_privilege(:r, current_schema(), 'CREATE')")
    connect, usage, create = connection.execute(check, {"r": role}).one()
    if not connect:
        report.missing.append("CONNECT on the database")
    if not usage:
        report.missing.append("USAGE on the schema")
    if create:
        report.excess.append("CREATE on the schema")
    owned = connection.execute(sa.text(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tableowner = :r "
        "ORDER BY tablename"), {"r": role}).scalars().all()
    if owned:
        report.excess.append(f"owns {len(owned)} tables (an owner holds every privilege)")
    for table in _tables(connection):
        needed = required_privileges(table)
        for privilege in TABLE_PRIVILEGES:
            has = connection.execute(sa.text("SELECT has_table_privilege(:r, :t, :p)"),
                                     {"r": role, "t": f'"{table}"', "p": privilege}).scalar()
            if privilege in needed and not has:
                report.missing.append(f"{privilege} on {table}")
            elif privilege not in needed and has and not owned:
                report.excess.append(f"{privilege} on {table}")
    for sequence in _sequences(connection):
        for privilege in ("USAGE", "SELECT", "UPDATE"):
            has = connection.execute(sa.text("SELECT has_sequence_privilege(:r, :s, :p)"),
                                     {"r": role, "s": f'"{sequence}"', "p": privilege}).scalar()
            if privilege in SEQUENCE_PRIVILEGES and not has:
                report.missing.append(f"{privilege} on sequence {sequence}")
            elif privilege not in SEQUENCE_PRIVILEGES and has and not owned:
                report.excess.append(f"{privilege} on sequence {sequence}")
    return report


def apply(connection: Connection, role: str, password: str | None) -> list[str]:
    """Create or correct ``role``; returns what was done. Runs in the caller's transaction."""
    done: list[str] = []
    raw = connection.connection.dbapi_connection
    assert raw is not None  # a live, checked-out connection
    ident = sql.Identifier(role)

    def run(statement: sql.Composable) -> None:
        raw.execute(statement)

    exists = connection.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
    owner = connection.execute(sa.text(
        "SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'alembic_version'"
    )).scalar()
    if owner == role:
        raise ValueError(f"{role} owns the schema; the gateway must connect as another role")
    # The password is hashed here (SCRAM, as psql's \password does): the server, its
    # logs and pg_stat_activity only ever see the verifier.
    verifier = (raw.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256").decode()
                if password is not None else None)
    if not exists:
        if verifier is None:
            raise ValueError(f"role {role} does not exist: give it a password (--password-stdin) to create it")
        run(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(ident, sql.Literal(verifier)))
        done.append(f"created role {role}")
    elif verifier is not None:
        run(sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(ident, sql.Literal(verifier)))
        done.append(f"set the password of {role}")
    run(sql.SQL("ALTER ROLE {} LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS").format(ident))
    database, schema_name = connection.execute(sa.text("SELECT current_database(), current_schema()")).one()
    run(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), ident))
    run(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema_name), ident))
    run(sql.SQL("REVOKE CREATE ON SCHEMA {} FROM {}").format(sql.Identifier(schema_name), ident))
    for table in _tables(connection):
        target = sql.Identifier(schema_name, table)
        run(sql.SQL("REVOKE ALL ON TABLE {} FROM {}").format(target, ident))
        run(sql.SQL("GRANT {} ON TABLE {} TO {}").format(
            sql.SQL(", ").join(sql.SQL(p) for p in required_privileges(table)), target, ident))
    for sequence in _sequences(connection):
        target = sql.Identifier(schema_name, sequence)
        run(sql.SQL("REVOKE ALL ON SEQUENCE {} FROM {}").format(target, ident))
        run(sql.SQL("GRANT USAGE, SELECT ON SEQUENCE {} TO {}").format(target, ident))
    done.append("granted the gateway's privileges on every table and sequence, revoked the rest")
    if owner:
        for kind, privileges in (("TABLES", ", ".join(GATEWAY_TABLE_PRIVILEGES)), ("SEQUENCES", "USAGE, SELECT")):
            run(sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT {} ON {} TO {}").format(
                sql.Identifier(owner), sql.Identifier(schema_name), sql.SQL(privileges), sql.SQL(kind), ident))
        done.append(f"tables and sequences {owner} creates later get the same")
    return done
