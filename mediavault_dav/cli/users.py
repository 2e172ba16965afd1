"""``mediavault-dav user ...``: accounts."""

from __future__ import annotations

import sys
from dataclasses import asdict

import click

from mediavault_dav.cli.context import CliContext
from mediavault_dav.cli.output import echo_json, echo_table
from mediavault_dav.vault import users
from mediavault_dav.vault.errors import InvalidInput


@click.group()
def user() -> None:
    """Manage user accounts."""


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise InvalidInput("no terminal to ask for the password: pass it with --password-stdin")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@user.command("add")
@click.argument("username")
@click.option("--email", required=True, help="E-mail address (unique).")
@click.option("--admin", is_flag=True, help="Make the account an administrator.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_obj
def add(ctx: CliContext, username: str, email: str, admin: bool, password_stdin: bool) -> None:
    """Create an account."""
    password = _read_password(password_stdin)
    with ctx.changing("admin.user.add", username=username, email=email, admin=admin) as change:
        account = users.add_user(change.session, username, email, password, is_admin=admin)
        change.about("user", account.id)
    click.echo(f"created user {account.username} ({account.email})"
               + (" as administrator" if account.is_admin else ""))


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def list_(ctx: CliContext, as_json: bool) -> None:
    """List accounts."""
    with ctx.database() as database, database.transaction() as session:
        accounts = users.list_users(session)
    if as_json:
        echo_json([asdict(account) for account in accounts])
        return
    echo_table(
        ["USER", "E-MAIL", "ADMIN", "ACTIVE", "LAST SIGN-IN"],
        [[a.username, a.email, a.is_admin, a.is_active, a.last_login_at] for a in accounts],
    )


@user.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input.")
@click.pass_obj
def passwd(ctx: CliContext, username: str, password_stdin: bool) -> None:
    """Set an account's password."""
    password = _read_password(password_stdin)
    with ctx.changing("admin.user.passwd", username=username) as change:
        users.set_password(change.session, username, password)
    click.echo(f"password of {username} changed")


@user.command("disable")
@click.argument("username")
@click.pass_obj
def disable(ctx: CliContext, username: str) -> None:
    """Stop an account from signing in (its files are kept)."""
    with ctx.changing("admin.user.disable", username=username) as change:
        users.set_active(change.session, username, False)
    click.echo(f"user {username} disabled")


@user.command("enable")
@click.argument("username")
@click.pass_obj
def enable(ctx: CliContext, username: str) -> None:
    """Allow a disabled account to sign in again."""
    with ctx.changing("admin.user.enable", username=username) as change:
        users.set_active(change.session, username, True)
    click.echo(f"user {username} enabled")
