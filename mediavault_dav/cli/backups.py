"""``mediavault-dav backup`` and ``mediavault-dav restore``."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import click

from mediavault_dav.blobs import LocalBlobStore
from mediavault_dav.cli.context import CliContext
from mediavault_dav.cli.output import echo_json
from mediavault_dav.cli.progress import byte_progress
from mediavault_dav.db.database import SchemaPolicy
from mediavault_dav.vault import backup as backups


def _database_url(database) -> str:  # noqa: ANN001 - a Database
    return database.engine.url.render_as_string(hide_password=False)


@click.command()
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.option("--keep-days", type=click.IntRange(1, 36500), default=7, show_default=True,
              help="Delete backups in DEST older than this many days (the seed keeps 7).")
@click.option("--no-prune", is_flag=True, help="Keep every older backup.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def backup(ctx: CliContext, dest: Path, keep_days: int, no_prune: bool, as_json: bool) -> None:
    """Write one consistent backup of the database and its blobs into DEST."""
    settings = ctx.settings()
    with ctx.database(SchemaPolicy.ANY, settings=settings) as database, \
            byte_progress("backup") as bar:
        result = backups.create_backup(settings, _database_url(database), LocalBlobStore(settings.blob_root),
                                       dest.expanduser(), keep_days=None if no_prune else keep_days,
                                       progress=bar.update)
    if as_json:
        echo_json(result.as_dict())
    else:
        click.echo(f"backup {result.path}: database dump {result.dump_bytes} bytes, {result.blobs} blobs "
                   f"({result.blob_bytes} bytes; {result.copied} copied, {result.linked} linked from the "
                   f"previous backup) in {result.seconds:.1f} s")
        for name in result.pruned:
            click.echo(f"pruned {name}")
        for damage in result.damaged:
            click.echo(f"not backed up: {damage}")
    if result.damaged:
        click.echo("mediavault-dav: error: some contents were damaged in the vault; run fsck", err=True)
        sys.exit(1)


@click.command()
@click.argument("backup_dir", metavar="BACKUP", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--into", type=click.Path(file_okay=False, path_type=Path),
              help="Restore into a new data directory (an embedded database and its blobs) "
                   "instead of the configured database and blob directory.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def restore(ctx: CliContext, backup_dir: Path, into: Path | None, as_json: bool) -> None:
    """Restore BACKUP into an empty database and blob directory, verifying every blob."""
    settings = ctx.settings()
    if into is not None:
        settings = dataclasses.replace(settings, database_url=None, data_dir=into.expanduser().resolve(),
                                       blob_dir=None)
    with ctx.database(SchemaPolicy.ANY, settings=settings) as database, byte_progress("restore") as bar:
        result = backups.restore_backup(settings, database, _database_url(database),
                                        LocalBlobStore(settings.blob_root), backup_dir.expanduser(),
                                        progress=bar.update)
    if as_json:
        echo_json(result.as_dict())
    else:
        click.echo(f"restored {result.backup.name}: {result.blobs} blobs ({result.blob_bytes} bytes) "
                   f"verified, schema revision {result.schema_revision}, in {result.seconds:.1f} s")
        if into is not None:
            click.echo(f"serve it with: mediavault-dav --data-dir {settings.data_dir} serve")
    if result.missing_after:
        click.echo(f"mediavault-dav: error: {result.missing_after} contents have no blob (see fsck)", err=True)
        sys.exit(1)
