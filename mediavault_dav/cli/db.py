"""``mediavault-dav db ...``: schema state, upgrade, inspection, health and maintenance."""

from __future__ import annotations

import sys

import click

from mediavault_dav.blobs import LocalBlobStore
from mediavault_dav.cli.context import CliContext
from mediavault_dav.cli.output import echo_json, echo_table
from mediavault_dav.db import grants as db_grants
from mediavault_dav.db import health as db_health
from mediavault_dav.db import inspection, maintenance, schema
from mediavault_dav.db.database import SchemaPolicy
from mediavault_dav.db.embedded import APP_DATABASE
from mediavault_dav.db.engine import create_engine
from mediavault_dav.db.health import SEED_CACHE_HIT_TARGET, Target
from mediavault_dav.vault import fsck


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


def _percent(value: float | None) -> str:
    return "no data yet" if value is None else f"{value:.2f} %"


@db.command()
@click.option("--min-cache-hit-ratio", type=click.FloatRange(0, 100), default=SEED_CACHE_HIT_TARGET,
              show_default=True, help="Cache hit ratio target, in percent (the seed's: > 99).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (for monitoring).")
@click.pass_obj
def health(ctx: CliContext, min_cache_hit_ratio: float, as_json: bool) -> None:
    """The seed's health check; exit 1 when a target is missed."""
    settings = ctx.settings()
    with ctx.database(SchemaPolicy.ANY, settings=settings) as database:
        report = db_health.report(database.engine, min_cache_hit_ratio=min_cache_hit_ratio)
        blobs = fsck.check(database, LocalBlobStore(settings.blob_root))
    report.targets.append(Target("blobs", blobs.missing == 0 and blobs.damaged == 0,
                                 f"{blobs.missing} missing, {blobs.damaged} damaged (run fsck)"))
    blob_figures = {"blobs": blobs.blobs, "bytes": blobs.blob_bytes, "orphans": blobs.orphans,
                    "orphan_bytes": blobs.orphan_bytes, "missing": blobs.missing, "damaged": blobs.damaged}
    if as_json:
        echo_json({**report.as_dict(), "blob_store": blob_figures})
    else:
        click.echo(f"database {report.database}: {report.size_bytes} bytes")
        click.echo(f"cache hit ratio: {_percent(report.cache_hit_ratio)}")
        click.echo(f"connections: {report.connections_total} of {report.max_connections}")
        echo_table(["  USER", "STATE", "COUNT"],
                   [[f"  {row['user']}", row["state"], row["count"]] for row in report.connections])
        click.echo("tables:")
        echo_table(["  TABLE", "BYTES", "LIVE ROWS", "DEAD ROWS", "LAST VACUUM", "LAST ANALYZE"],
                   [[f"  {t['table']}", t["total_bytes"], t["live_rows"], t["dead_rows"], t["last_vacuum"],
                     t["last_analyze"]] for t in report.tables])
        click.echo(f"unused indexes: {len(report.unused_indexes)}"
                   + "".join(f"\n  {i['table']}.{i['index']} ({i['size_bytes']} bytes)"
                             for i in report.unused_indexes))
        if report.slow_queries is None:
            click.echo(f"slow queries: {report.slow_queries_note}")
        else:
            click.echo(f"slow queries ({report.slow_queries_note}):")
            for query in report.slow_queries:
                click.echo(f"  {query['mean_ms']} ms x {query['calls']}: {' '.join(query['query'].split())}")
        click.echo(f"expired sessions waiting for cleanup: {report.expired_sessions}")
        click.echo(f"blob store: {blobs.blobs} blobs, {blobs.blob_bytes} bytes; "
                   f"{blobs.orphans} orphans ({blobs.orphan_bytes} bytes) for gc")
        for target in report.targets:
            click.echo(f"{'ok  ' if target.ok else 'MISS'}  {target.name}: {target.detail}")
        click.echo("healthy" if report.ok else "a target was missed")
    if not report.ok:
        sys.exit(1)


@db.command()
@click.argument("role")
@click.option("--password-stdin", is_flag=True, help="Read the role's password from standard input.")
@click.option("--check", "check_only", is_flag=True, help="Only report drift; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def grants(ctx: CliContext, role: str, password_stdin: bool, check_only: bool, as_json: bool) -> None:
    """Create or verify a least-privilege role for the gateway (the seed's apply-grants)."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    if password is not None and len(password) < 12:
        raise click.ClickException("the role's password must have at least 12 characters")
    settings = ctx.settings()
    with ctx.database(SchemaPolicy.ANY, settings=settings) as database:
        engine = database.engine
        if database.embedded is not None:  # creating roles needs the cluster's superuser
            engine = create_engine(settings, database.embedded.superuser_url(APP_DATABASE))
        try:
            done: list[str] = []
            if not check_only:
                with engine.begin() as connection:
                    try:
                        done = db_grants.apply(connection, role, password)
                    except ValueError as error:
                        raise click.ClickException(str(error)) from None
            with engine.connect() as connection:
                report = db_grants.inspect(connection, role)
        finally:
            if engine is not database.engine:
                engine.dispose()
    if as_json:
        echo_json({**report.as_dict(), "done": done})
    else:
        for line in done:
            click.echo(line)
        for item in report.missing:
            click.echo(f"missing: {item}")
        for item in report.excess:
            click.echo(f"more than needed: {item}")
        click.echo(f"role {role}: " + ("least privilege, no drift" if report.ok else "drift found"))
    if not report.ok:
        sys.exit(1)


@db.command()
@click.pass_obj
def analyze(ctx: CliContext) -> None:
    """Update the planner's statistics (the seed's weekly ANALYZE)."""
    with ctx.database(SchemaPolicy.ANY) as database:
        run = maintenance.analyze(database.engine)
    _report_run(run)


@db.command()
@click.option("--full", is_flag=True, help="VACUUM FULL: returns space to the OS, locks each table meanwhile.")
@click.pass_obj
def vacuum(ctx: CliContext, full: bool) -> None:
    """Reclaim dead rows and update statistics (the seed's monthly VACUUM ANALYZE)."""
    with ctx.database(SchemaPolicy.ANY) as database:
        run = maintenance.vacuum(database.engine, full=full)
    _report_run(run)


def _report_run(run: maintenance.MaintenanceRun) -> None:
    for notice in run.notices:
        click.echo(notice.lower() if notice.startswith("WARNING") else notice)
    click.echo(f"{run.statement} done in {run.seconds:.1f} s")
