"""``mediavault-dav gc`` and ``mediavault-dav fsck``: keeping rows and blobs in agreement."""

from __future__ import annotations

import sys

import click

from mediavault_dav.blobs import LocalBlobStore
from mediavault_dav.cli.context import CliContext
from mediavault_dav.cli.durations import Duration, describe
from mediavault_dav.cli.output import echo_json
from mediavault_dav.vault import fsck as fsck_service
from mediavault_dav.vault import garbage


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{count} B"


@click.command()
@click.option("--grace", type=Duration(), default="24h", show_default=True,
              help="Keep unreferenced blobs and temporary files younger than this.")
@click.option("--dry-run", is_flag=True, help="Report what would be removed; remove nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def gc(ctx: CliContext, grace: float, dry_run: bool, as_json: bool) -> None:
    """Remove blobs, catalogue rows and temporary files nothing references."""
    settings = ctx.settings()
    with ctx.database(settings=settings) as database:
        report = garbage.collect(
            database, LocalBlobStore(settings.blob_root), grace_seconds=grace, dry_run=dry_run,
            on_wait=lambda: click.echo("waiting for the blob lock (a backup is running?)", err=True))
    if as_json:
        echo_json(report.as_dict())
        return
    verb = "would remove" if dry_run else "removed"
    click.echo(f"{verb} {report.blobs} blobs ({_size(report.blob_bytes)}), "
               f"{report.catalogue_rows} catalogue rows no entry names, "
               f"{report.temporary_files} temporary files ({_size(report.temporary_bytes)})")
    click.echo(f"kept {report.spared_recent} unreferenced blobs younger than {describe(grace)}"
               + (f", {report.spared_rechecked} needed again when re-checked" if report.spared_rechecked else ""))


@click.command()
@click.option("--verify-hashes", is_flag=True, help="Read every blob and check its SHA-256 (slow).")
@click.option("--repair", is_flag=True, help="Move damaged blobs and stray files to quarantine.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def fsck(ctx: CliContext, verify_hashes: bool, repair: bool, as_json: bool) -> None:
    """Report rows whose blob is missing, blobs no row names, and damaged blobs."""
    settings = ctx.settings()
    with ctx.database(settings=settings) as database:
        report = fsck_service.check(database, LocalBlobStore(settings.blob_root),
                                    verify_hashes=verify_hashes, repair=repair)
    if as_json:
        echo_json(report.as_dict())
    else:
        click.echo(f"{report.referenced} contents referenced, {report.blobs} blobs "
                   f"({_size(report.blob_bytes)}), hashes {'verified' if verify_hashes else 'not read'}")
        click.echo(f"missing: {report.missing}, damaged: {report.damaged}, strays: {report.strays}, "
                   f"orphans: {report.orphans} ({_size(report.orphan_bytes)}; gc removes them), "
                   f"temporary files: {report.temporary_files}")
        for problem in report.problems:
            where = f" ({', '.join(problem.entries)})" if problem.entries else ""
            name = problem.sha256 or ""
            click.echo(f"{problem.kind}: {name} {problem.detail}{where}".replace("  ", " "))
            if problem.quarantined_to:
                click.echo(f"  quarantined to {problem.quarantined_to}")
        if report.missing or report.damaged:
            click.echo("restore the affected contents from a backup (mediavault-dav restore)")
        click.echo("ok" if report.ok else "problems found")
    if not report.ok:
        sys.exit(1)
