"""``mediavault-dav grant | revoke | grants list``: one user's folder, file, album or
smart folder shared with another, at a level (docs/permissions.md).

The grantee finds it at once under ``/Shared With Me/<owner>/``; a revocation or
an expiry stops it at once. Each grant, change and revocation is one audit row
naming the operator (``cli:<os user>``). ``--as`` records a re-share by a user
holding a manage grant (checked), instead of the owner.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import click

from mediavault_dav.cli.context import CliContext
from mediavault_dav.cli.output import echo_json, echo_table
from mediavault_dav.vault import activity, permissions, users
from mediavault_dav.vault.permissions import Grant
from mediavault_dav.vault.shares import parse_expiry

_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
_OWNER = click.option("--user", "owner", required=True, help="Whose vault PATH is in (the owner).")
_AS = click.option("--as", "acting", help="Record this as done by USER, who must hold a live manage grant "
                                          "of PATH (or of a folder above it): re-sharing.")


@click.command("grant")
@click.argument("path")
@click.argument("grantee")
@_OWNER
@click.option("--level", type=click.Choice(permissions.LEVELS), required=True,
              help="read: open and copy; write: also change (PUT, MKCOL, DELETE, MOVE inside, PROPPATCH, "
                   "locks); manage: also re-share.")
@click.option("--expires", help="When the grant stops working: 30m, 12h, 7d, 2w, a date (through that day, "
                                "UTC) or an ISO date and time. Granting again without it removes the expiry.")
@_AS
@_JSON
@click.pass_obj
def grant(ctx: CliContext, path: str, grantee: str, owner: str, level: str, expires: str | None,
          acting: str | None, as_json: bool) -> None:
    """Share PATH (/Files/..., /Albums/A, /Smart Folders/S) of --user with GRANTEE.

    Granting again changes the level and the expiry."""
    expires_at = parse_expiry(expires) if expires else None
    with ctx.database() as database, database.transaction() as session:
        owner_account = users.get_account(session, owner)
        grantee_account = users.get_account(session, grantee)
        acting_id = users.get_account(session, acting).id if acting else None
        target = permissions.target_for_path(session, owner_account.id, path)
        made, created = permissions.grant(session, owner_account.id, target, grantee_account.id, level,
                                          expires_at=expires_at, acting_id=acting_id, actor=activity.operator())
    if as_json:
        echo_json({**_public(made), "created": created})
        return
    until = f" until {_when(made.expires_at)}" if made.expires_at else ""
    click.echo(f"grant {made.id} {'created' if created else 'changed'}: {made.grantee} may {made.level} "
               f"{made.target} of {made.owner}{until}")


@click.command("revoke")
@click.argument("path")
@click.argument("grantee")
@_OWNER
@_AS
@click.pass_obj
def revoke(ctx: CliContext, path: str, grantee: str, owner: str, acting: str | None) -> None:
    """Take back GRANTEE's grant of PATH (of --user), at once."""
    with ctx.database() as database, database.transaction() as session:
        owner_account = users.get_account(session, owner)
        grantee_account = users.get_account(session, grantee)
        acting_id = users.get_account(session, acting).id if acting else None
        target = permissions.target_for_path(session, owner_account.id, path)
        gone = permissions.revoke(session, owner_account.id, target, grantee_account.id, acting_id=acting_id,
                                  actor=activity.operator())
    click.echo(f"grant {gone.id} revoked: {gone.grantee} no longer has {gone.target} of {gone.owner}")


@click.group("grants")
def grants() -> None:
    """List grants (what users share with each other)."""


@grants.command("list")
@click.option("--user", "owner", help="Only what this user grants.")
@click.option("--grantee", help="Only what is granted to this user.")
@_JSON
@click.pass_obj
def list_(ctx: CliContext, owner: str | None, grantee: str | None, as_json: bool) -> None:
    """Every grant: owner, target, grantee, level, state, expiry, who granted it."""
    with ctx.database() as database, database.transaction() as session:
        owner_id = users.get_account(session, owner).id if owner else None
        grantee_id = users.get_account(session, grantee).id if grantee else None
        found = permissions.list_grants(session, owner_id=owner_id, grantee_id=grantee_id)
    now = datetime.now(UTC)
    if as_json:
        echo_json([_public(item, now) for item in found])
        return
    echo_table(["ID", "OWNER", "TARGET", "GRANTEE", "LEVEL", "STATE", "EXPIRES", "GRANTED BY"],
               [[item.id, item.owner, item.target, item.grantee, item.level, item.state(now), item.expires_at,
                 item.granted_by] for item in found])


def _public(item: Grant, now: datetime | None = None) -> dict[str, Any]:
    data = asdict(item)
    data["state"] = item.state(now or datetime.now(UTC))
    return data


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
