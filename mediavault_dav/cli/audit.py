"""``mediavault-dav audit``: read the audit trail; ``audit prune``: apply its retention."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta

import click

from mediavault_dav.cli.context import CliContext
from mediavault_dav.cli.durations import Duration
from mediavault_dav.cli.output import echo_json, echo_table
from mediavault_dav.vault import activity


@click.group(invoke_without_command=True)
@click.option("--user", "username", help="Only rows about this user (by name).")
@click.option("--action", help="Only this action; a prefix works too: share matches share.create, share.access ...")
@click.option("--since", help="Only rows newer than this: 30m, 12h, 7d, or a date/ISO time (UTC).")
@click.option("--limit", type=click.IntRange(1, 100_000), default=200, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def audit(context: click.Context, username: str | None, action: str | None, since: str | None, limit: int,
          as_json: bool) -> None:
    """The audit trail, newest first: who did what, to what, from where, and how it ended."""
    if context.invoked_subcommand is not None:
        return
    ctx: CliContext = context.obj
    moment = _moment(since) if since else None
    with ctx.database() as database, database.reading() as session:
        entries = activity.query(session, username=username, action=action, since=moment, limit=limit)
    if as_json:
        echo_json([asdict(entry) for entry in entries])
        return
    echo_table(["WHEN", "WHO", "ACTION", "OUTCOME", "STATUS", "PATH", "FROM", "BYTES"],
               [[entry.created_at, entry.username, entry.action, entry.outcome, entry.status_code, entry.path,
                 entry.client_address, entry.bytes] for entry in entries])


@audit.command("prune")
@click.pass_obj
def prune(ctx: CliContext) -> None:
    """Remove rows older than the audit_retention_days setting (the server does this daily)."""
    with ctx.changing("admin.audit.prune") as change:
        removed = activity.prune(change.session)
        change.details["removed"] = removed
    click.echo(f"removed {removed} audit rows older than the retention period")


def _moment(text: str) -> datetime:
    try:
        return datetime.now(UTC) - timedelta(seconds=Duration().convert(text, None, None))
    except click.BadParameter:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{text!r} is neither a period (30m, 12h, 7d) nor a date") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
