"""``mediavault-dav db ...``: schema state, upgrade and inspection."""

from __future__ import annotations

import sys

import click

from mediavault_dav.cli.context import CliContext
from mediavault_dav.cli.output import echo_json, echo_table
from mediavault_dav.db import inspection, schema
from mediavault_dav.db.database import SchemaPolicy


@click.group()
def db() -> None:
    """Database schema and maintenance."""


@db.command()
@click.pass_obj
def upgrade(ctx: CliContext) -> None:
    """Upgrade the schema to this gateway's revision."""
    with ctx.database(SchemaPolicy.ANY) as database:
        before = schema.current_revision(database.engine)
        schema.upgrade(database.engine)
        after = schema.current_revision(database.engine)
    if before == after:
        click.echo(f"schema already at revision {after}")
    else:
        click.echo(f"schema upgraded from {before or 'empty'} to revision {after}")


@db.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def check(ctx: CliContext, as_json: bool) -> None:
    """Check the schema revision, tables, privileges and the seed's indexes."""
    with ctx.database(SchemaPolicy.ANY) as database:
        report = inspection.check_state(database.engine)
    if as_json:
        echo_json(report.as_dict())
    else:
        click.echo(f"PostgreSQL {report.server_version}, database {report.database}, "
                   f"role {report.role}")
        click.echo(f"schema revision {report.current_revision or 'none'} "
                   f"(this gateway: {report.head_revision})")
        echo_table(
            ["TABLE", "PRESENT", "PRIVILEGES", "SEED"],
            [[t.name, t.present, ",".join(t.privileges) or "-", t.seed_table]
             for t in report.tables],
        )
        click.echo("seed indexes: " + ("all present" if not report.missing_indexes
                                       else "missing " + ", ".join(report.missing_indexes)))
        for problem in report.problems:
            click.echo(f"problem: {problem}")
        click.echo("ok" if report.ok else f"{len(report.problems)} problem(s)")
    if not report.ok:
        sys.exit(1)


@db.command()
@click.argument("tables", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def inspect(ctx: CliContext, tables: tuple[str, ...], as_json: bool) -> None:
    """Show columns and constraints of every table (or the ones named)."""
    with ctx.database(SchemaPolicy.ANY) as database:
        try:
            described = inspection.describe_tables(database.engine, list(tables) or None)
        except LookupError as error:
            raise click.ClickException(str(error)) from None
    if as_json:
        echo_json(described)
        return
    for table in described:
        click.echo(f"\n{table['table']}")
        echo_table(
            ["  COLUMN", "TYPE", "NULL", "DEFAULT"],
            [[f"  {c['name']}", c["type"], c["nullable"], c["default"]] for c in table["columns"]],
        )
        pk = table["primary_key"]
        click.echo(f"  primary key {pk['name']} ({', '.join(pk['columns'])})")
        for unique in table["unique"]:
            click.echo(f"  unique {unique['name']} ({', '.join(unique['columns'])})")
        for fk in table["foreign_keys"]:
            click.echo(f"  foreign key {fk['name']} ({', '.join(fk['columns'])}) -> "
                       f"{fk['references']} on delete {fk['on_delete']}")
        for ck in table["checks"]:
            click.echo(f"  check {ck['name']}: {ck['expression']}")


@db.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def indexes(ctx: CliContext, as_json: bool) -> None:
    """Review every index: definition, size, scans; the seed's are marked."""
    with ctx.database(SchemaPolicy.ANY) as database:
        rows = inspection.list_indexes(database.engine)
    if as_json:
        echo_json(rows)
        return
    echo_table(
        ["TABLE", "INDEX", "SEED", "UNIQUE", "SIZE", "SCANS"],
        [[r["table"], r["name"], r["seed_index"], r["is_unique"], r["size_bytes"], r["scans"]]
         for r in rows],
    )
    unused = [r["name"] for r in rows if r["scans"] == 0 and not r["is_primary"]]
    click.echo(f"{len(rows)} indexes; {len(unused)} never scanned since statistics were reset")
