"""``mediavault-dav quota ...`` and ``setting ...``: storage quotas and admin settings.

Both are the administrator's policy, kept in the database so every gateway process
applies a change at once, without a restart. Each change is an audit-trail row.
"""

from __future__ import annotations

import click

from mediavault_dav.cli.context import CliContext
from mediavault_dav.cli.output import echo_json, echo_table
from mediavault_dav.vault import quotas, system_settings, users
from mediavault_dav.vault.sizes import describe, parse_size

_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


@click.group()
def quota() -> None:
    """Storage quotas: usage (distinct content, once per user) and limits."""


@quota.command("show")
@click.option("--user", "username", help="Only this user.")
@_JSON
@click.pass_obj
def show(ctx: CliContext, username: str | None, as_json: bool) -> None:
    """Each user's usage, limit and what is left."""
    with ctx.database() as database, database.reading() as session:
        accounts = [users.get_account(session, username)] if username else users.list_users(session)
        rows = [(account, quotas.upload_limits(session, account.id)) for account in accounts]
    if as_json:
        echo_json([{"user": account.username, "used_bytes": limits.usage.used, "limit_bytes": limits.usage.limit,
                    "available_bytes": limits.usage.available, "max_upload_bytes": limits.max_upload}
                   for account, limits in rows])
        return
    echo_table(["USER", "USED", "LIMIT", "AVAILABLE"],
               [[account.username, describe(limits.usage.used), _size(limits.usage.limit),
                 _size(limits.usage.available)] for account, limits in rows])


@quota.command("set")
@click.argument("username")
@click.argument("size")
@click.pass_obj
def set_(ctx: CliContext, username: str, size: str) -> None:
    """Give USERNAME a quota of SIZE (``20 GiB``, ``unlimited``) or ``default``."""
    limit = None if size.strip().lower() == "default" else _limit(size)
    with ctx.changing("admin.quota.set", user=username, quota=size) as change:
        account = users.get_account(change.session, username)
        quotas.set_quota(change.session, account.id, limit)
        change.about("user", account.id)
    click.echo(f"quota of {username}: " + ("the default" if limit is None else _size(limit)))


def _limit(size: str) -> int | None:
    if size.strip().lower() == "unlimited":
        return quotas.UNLIMITED
    return parse_size(size)


def _size(value: int | None) -> str:
    return "unlimited" if value is None else describe(value)


@click.group()
def setting() -> None:
    """Admin settings kept in the database (system_settings)."""


@setting.command("list")
@_JSON
@click.pass_obj
def list_(ctx: CliContext, as_json: bool) -> None:
    """Every setting, its value and what it means."""
    with ctx.database() as database, database.reading() as session:
        values = [(definition, system_settings.get(session, definition))
                  for definition in system_settings.DEFINITIONS.values()]
    if as_json:
        echo_json({definition.key: value for definition, value in values})
        return
    echo_table(["SETTING", "VALUE", "MEANING"],
               [[definition.key, "unset" if value is None else value, definition.meaning]
                for definition, value in values])


@setting.command("set")
@click.argument("key")
@click.argument("value")
@click.pass_obj
def set_setting(ctx: CliContext, key: str, value: str) -> None:
    """Set KEY to VALUE (sizes like ``10 GiB``; ``unlimited``; days as a number)."""
    definition = system_settings.definition_of(key)
    with ctx.changing("admin.setting.set", key=key, value=value) as change:
        stored = system_settings.set_value(change.session, definition, value)
    click.echo(f"{key} = {'unset' if stored is None else stored}")


@setting.command("reset")
@click.argument("key")
@click.pass_obj
def reset(ctx: CliContext, key: str) -> None:
    """Back to the default."""
    definition = system_settings.definition_of(key)
    with ctx.changing("admin.setting.reset", key=key) as change:
        system_settings.reset(change.session, definition)
    click.echo(f"{key} = {definition.default} (default)")
