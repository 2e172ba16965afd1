"""``mediavault-dav share ...``: public, read-only links to a folder, file, album, smart folder or tag.

The link is printed once, by ``create``: only a hash of its token is kept, so
it cannot be shown again (make a new one). Shares are named afterwards by their
id (``share list``), or by the link itself.
"""

from __future__ import annotations

import ipaddress
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import click

from mediavault_dav.cli.context import CliContext
from mediavault_dav.cli.output import echo_json, echo_table
from mediavault_dav.settings import Settings
from mediavault_dav.vault import shares, users
from mediavault_dav.vault.errors import InvalidInput
from mediavault_dav.vault.shares import ShareLink

_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


@click.group("share")
def share() -> None:
    """Manage share links (anonymous, read-only, optionally with a password)."""


def share_url(settings: Settings, token: str) -> str:
    return f"{settings.share_base_url}/s/{token}/"


def _read_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise InvalidInput("--password-stdin: standard input held no password")
    return password


@share.command("create")
@click.argument("path")
@click.option("--user", "username", required=True, help="Whose vault PATH is in.")
@click.option("--expires", help="When the link stops working: 30m, 12h, 7d, 2w, a date (the link works "
                                "through that day, UTC) or an ISO date and time.")
@click.option("--password-stdin", is_flag=True, help="Protect the link with a password read from standard input.")
@click.option("--max-downloads", type=int, help="How many downloads the link allows.")
@click.option("--label", help="A note for yourself (guests never see it).")
@_JSON
@click.pass_obj
def create(ctx: CliContext, path: str, username: str, expires: str | None, password_stdin: bool,
           max_downloads: int | None, label: str | None, as_json: bool) -> None:
    """Share PATH (/Files/..., /Albums/A, /Smart Folders/S, /Tags/T) and print its link."""
    settings = ctx.settings()
    password = _read_password() if password_stdin else None
    expires_at = shares.parse_expiry(expires) if expires else None
    with ctx.changing("share.create", settings=settings, user=username, target=path,
                      expires_at=expires_at.isoformat() if expires_at else None, max_downloads=max_downloads,
                      password=password is not None) as change:
        account = users.get_account(change.session, username)
        target = shares.target_for_path(change.session, account.id, path)
        token, link = shares.create_share(change.session, account.id, target, expires_at=expires_at,
                                          password=password, max_downloads=max_downloads, label=label)
        change.about("share_link", link.id)
        change.path = path
    url = share_url(settings, token)
    if as_json:
        echo_json({"url": url, **_public(link)})
        return
    click.echo(url)
    click.echo(f"share {link.id}: {link.target} of {link.owner}"
               + (f", until {_when(link.expires_at)}" if link.expires_at else "")
               + (f", {link.max_downloads} download(s)" if link.max_downloads else "")
               + (", password protected" if link.has_password else ""), err=True)
    if settings.public_url is None and _is_loopback(settings.share_base_url):
        click.echo("note: this address works only on this machine; set MEDIAVAULT_PUBLIC_URL to the address "
                   "guests reach the gateway at", err=True)


@share.command("list")
@click.option("--user", "username", help="Only this user's shares.")
@_JSON
@click.pass_obj
def list_(ctx: CliContext, username: str | None, as_json: bool) -> None:
    """List shares: what each shows, its state, downloads and accesses."""
    with ctx.database() as database, database.transaction() as session:
        owner = users.get_account(session, username).id if username else None
        found = shares.list_shares(session, owner)
    now = datetime.now(UTC)
    if as_json:
        echo_json([_public(link, now) for link in found])
        return
    echo_table(
        ["ID", "OWNER", "TARGET", "STATE", "EXPIRES", "DOWNLOADS", "ACCESSES", "LAST ACCESS", "LABEL"],
        [[link.id, link.owner, link.target, link.state(now), link.expires_at, _downloads(link),
          link.access_count, link.last_accessed_at, link.label] for link in found],
    )


@share.command("show")
@click.argument("reference")
@_JSON
@click.pass_obj
def show(ctx: CliContext, reference: str, as_json: bool) -> None:
    """Show one share (by id, or by its link): state, counters and its latest accesses."""
    with ctx.database() as database, database.transaction() as session:
        link = shares.find_share(session, reference)
        accesses = shares.recent_accesses(session, link.id)
    now = datetime.now(UTC)
    if as_json:
        echo_json({**_public(link, now), "recent_accesses": [asdict(access) for access in accesses]})
        return
    lines = [
        ("share", str(link.id)),
        ("target", f"{link.target} ({link.kind.replace('_', ' ')}) of {link.owner}"),
        ("state", link.state(now)),
        ("label", link.label or "-"),
        ("password", "yes" if link.has_password else "no"),
        ("created", _when(link.created_at)),
        ("expires", _when(link.expires_at) if link.expires_at else "never"),
        ("downloads", _downloads(link)),
        ("accesses", str(link.access_count)),
        ("last access", _when(link.last_accessed_at) if link.last_accessed_at else "never"),
        ("revoked", _when(link.revoked_at) if link.revoked_at else "no"),
        ("token hash", link.token_prefix + "…"),
    ]
    width = max(len(name) for name, _ in lines)
    for name, value in lines:
        click.echo(f"{name + ':':<{width + 1}} {value}")
    if accesses:
        click.echo("recent accesses:")
        echo_table(["WHEN", "FROM", "ACTION", "OUTCOME", "STATUS", "BYTES", "PATH"],
                   [[access.at, access.client_address, access.action, access.outcome, access.status_code,
                     access.bytes, access.path] for access in accesses])


@share.command("revoke")
@click.argument("reference")
@click.pass_obj
def revoke(ctx: CliContext, reference: str) -> None:
    """Stop a share working, at once (by id, or by its link)."""
    with ctx.changing("share.revoke") as change:
        link = shares.find_share(change.session, reference)
        change.about("share_link", link.id)
        change.details = {"owner": link.owner, "target": link.target}
        revoked = shares.revoke_share(change.session, link)
    click.echo(f"share {link.id} revoked" if revoked else f"share {link.id} was already revoked")


def _downloads(link: ShareLink) -> str:
    return f"{link.download_count}/{link.max_downloads}" if link.max_downloads else str(link.download_count)


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _public(link: ShareLink, now: datetime | None = None) -> dict[str, Any]:
    data = asdict(link)
    data["state"] = link.state(now or datetime.now(UTC))
    return data


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
