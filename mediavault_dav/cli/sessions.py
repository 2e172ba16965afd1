"""``mediavault-dav sessions ...``: the seed's session cleanup and session-storage test."""

from __future__ import annotations

import sys
from dataclasses import asdict

import click

from mediavault_dav.cli.context import CliContext
from mediavault_dav.cli.output import echo_json
from mediavault_dav.vault import sessions as session_store
from mediavault_dav.vault import tidying


@click.group()
def sessions() -> None:
    """Sign-in sessions kept in PostgreSQL."""


@sessions.command()
@click.pass_obj
def cleanup(ctx: CliContext) -> None:
    """Delete expired sessions (the seed's daily job; the server also does it)."""
    with ctx.database() as database:
        removed = tidying.remove_expired_sessions(database)
    click.echo(f"removed {removed} expired sessions")


@sessions.command("test")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def test_storage(ctx: CliContext, as_json: bool) -> None:
    """Check the sessions table, then write, read, expire and delete a test session."""
    with ctx.database() as database:
        checks = session_store.check_storage(database)
    ok = all(check.ok for check in checks)
    if as_json:
        echo_json({"ok": ok, "checks": [asdict(check) for check in checks]})
    else:
        for check in checks:
            click.echo(f"{'ok  ' if check.ok else 'FAIL'}  {check.name}: {check.detail}")
        click.echo("session storage works" if ok else "session storage is broken")
    if not ok:
        sys.exit(1)
