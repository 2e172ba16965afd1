"""``mediavault-dav smart-folder ...``: saved rule sets shown as read-only folders.

The rules are a JSON file (``-`` reads standard input); the language is described
in docs/virtual-folders.md. A bad file is refused with the place and what is valid
there, and nothing is stored.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Any

import click

from mediavault_dav.cli.context import CliContext
from mediavault_dav.cli.output import echo_json, echo_table
from mediavault_dav.vault import smart_folders, users
from mediavault_dav.vault.smart_rules import InvalidRule

_USER = click.option("--user", "username", required=True, help="The account the smart folder belongs to.")
_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def _read_rules(source: str) -> Any:
    try:
        text = sys.stdin.read() if source == "-" else open(source, encoding="utf-8").read()  # noqa: SIM115
    except OSError as error:
        raise click.ClickException(f"cannot read {source}: {error.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidRule(f"the rules file is not JSON: {error.msg} at line {error.lineno}, "
                          f"column {error.colno}") from None


@click.group("smart-folder")
def smart_folder() -> None:
    """Manage smart folders (the live results of saved rules)."""


@smart_folder.command("create")
@click.argument("name")
@_USER
@click.option("--rules", "rules_file", required=True, help="JSON rules file, or - for standard input.")
@click.pass_obj
def create(ctx: CliContext, name: str, username: str, rules_file: str) -> None:
    """Create a smart folder from a rules file."""
    rules = _read_rules(rules_file)
    with ctx.changing("admin.smart_folder.create", user=username, name=name, rules=rules) as change:
        account = users.get_account(change.session, username)
        folder = smart_folders.create_smart_folder(change.session, account.id, name, rules)
        change.about("smart_folder", folder.id)
    click.echo(f"created smart folder {folder.name!r} for {account.username}")


@smart_folder.command("list")
@_USER
@_JSON
@click.pass_obj
def list_(ctx: CliContext, username: str, as_json: bool) -> None:
    """List a user's smart folders and how many files each shows now."""
    with ctx.database() as database, database.transaction() as session:
        account = users.get_account(session, username)
        found = [(folder, len(smart_folders.smart_folder_members(session, folder)))
                 for folder in smart_folders.list_smart_folders(session, account.id)]
    if as_json:
        echo_json([{**_public(folder), "files": files} for folder, files in found])
        return
    echo_table(["NAME", "FILES", "UPDATED"], [[folder.name, files, folder.updated_at] for folder, files in found])


@smart_folder.command("show")
@click.argument("name")
@_USER
@_JSON
@click.pass_obj
def show(ctx: CliContext, name: str, username: str, as_json: bool) -> None:
    """Show a smart folder's rules and the files it shows now."""
    with ctx.database() as database, database.transaction() as session:
        account = users.get_account(session, username)
        folder = smart_folders.get_smart_folder(session, account.id, name)
        members = smart_folders.smart_folder_members(session, folder)
    if as_json:
        echo_json({**_public(folder), "files": [f"/Files{member.tree_path}" for member in members]})
        return
    click.echo(f"smart folder: {folder.name}")
    click.echo("rules: " + json.dumps(folder.rules, indent=2, ensure_ascii=False))
    click.echo(f"files ({len(members)}):")
    for member in members:
        click.echo(f"  /Files{member.tree_path}")


@smart_folder.command("update")
@click.argument("name")
@_USER
@click.option("--rules", "rules_file", help="New JSON rules file, or - for standard input.")
@click.option("--rename", "new_name", help="New name.")
@click.pass_obj
def update(ctx: CliContext, name: str, username: str, rules_file: str | None, new_name: str | None) -> None:
    """Change a smart folder's rules and/or name."""
    if rules_file is None and new_name is None:
        raise click.UsageError("nothing to change: give --rules and/or --rename")
    rules = _read_rules(rules_file) if rules_file is not None else None
    with ctx.changing("admin.smart_folder.update", user=username, name=name, rules=rules,
                      new_name=new_name) as change:
        account = users.get_account(change.session, username)
        folder = smart_folders.get_smart_folder(change.session, account.id, name)
        folder = smart_folders.update_smart_folder(change.session, folder, rules=rules, new_name=new_name)
        change.about("smart_folder", folder.id)
    click.echo(f"updated smart folder {folder.name!r}")


@smart_folder.command("delete")
@click.argument("name")
@_USER
@click.pass_obj
def delete(ctx: CliContext, name: str, username: str) -> None:
    """Delete a smart folder (its files are not touched)."""
    with ctx.changing("admin.smart_folder.delete", user=username, name=name) as change:
        account = users.get_account(change.session, username)
        folder = smart_folders.get_smart_folder(change.session, account.id, name)
        change.about("smart_folder", folder.id)
        smart_folders.delete_smart_folder(change.session, folder)
    click.echo(f"deleted smart folder {name!r}")


def _public(folder: smart_folders.SmartFolder) -> dict[str, Any]:
    data = asdict(folder)
    data.pop("user_id")
    data.pop("id")
    return data
