"""``mediavault-dav import DIR --user U``, ``import list`` and ``import show``."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from mediavault_dav.blobs import LocalBlobStore
from mediavault_dav.cli.context import CliContext
from mediavault_dav.cli.output import echo_json, echo_table
from mediavault_dav.cli.progress import byte_progress
from mediavault_dav.vault import importer


class _ImportGroup(click.Group):
    """``import DIR`` runs an import; ``import list|show`` look at batches.

    Anything that is not a subcommand's name is the directory to import, so
    ``import ./list`` imports a folder called list.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


@click.group("import", cls=_ImportGroup)
def import_() -> None:
    """Import a directory tree into a user's /Files/ as an import batch (import DIR --user U)."""


@import_.command("run")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--user", "username", required=True, help="The account that receives the files.")
@click.option("--into", "target", help="Folder that receives the directory's contents "
                                       "(default: /Files/<directory name>).")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar (default: when the terminal is interactive).")
@click.option("--json", "as_json", is_flag=True, help="Print the batch as JSON when done.")
@click.pass_obj
def run(ctx: CliContext, directory: Path, username: str, target: str | None, progress: bool | None,
        as_json: bool) -> None:
    """Import DIRECTORY (run again to continue an interrupted import)."""
    settings = ctx.settings()
    with ctx.database(settings=settings) as database, byte_progress("import", enabled=progress) as bar:
        files = [0, 0]

        def on_total(total_files: int, total_bytes: int) -> None:
            files[1] = total_files
            bar.reset(total=total_bytes)
            bar.set_postfix_str(f"0/{total_files} files")

        def on_progress(count: int, size: int) -> None:
            files[0] += count
            bar.set_postfix_str(f"{files[0]}/{files[1]} files", refresh=False)
            bar.update(size)

        summary = importer.run(database, LocalBlobStore(settings.blob_root), username=username,
                               source=directory, target=target, progress=on_progress, on_total=on_total)
    batch = summary.batch
    if as_json:
        echo_json({**_batch_dict(batch), "already_present": summary.already_present,
                   "skipped": summary.skipped})
    else:
        click.echo(f"import batch {batch.id} {batch.status}: {batch.source_path} -> {batch.target}")
        click.echo(f"{batch.imported_files} imported ({batch.imported_bytes} bytes), "
                   f"{batch.duplicate_files} duplicates of content already in the vault, "
                   f"{batch.failed_files} failed, of {batch.total_files} files; "
                   f"{summary.already_present} already imported by an earlier run")
        for error in batch.errors[:20]:
            click.echo(f"  {error['path']}: {error['error']}")
        if len(batch.errors) > 20:
            click.echo(f"  ... {len(batch.errors) - 20} more: mediavault-dav import show {batch.id}")
    if batch.failed_files:
        sys.exit(1)


def _batch_dict(batch: importer.Batch) -> dict[str, Any]:
    return asdict(batch)


@import_.command("list")
@click.option("--user", "username", help="Only this account's batches.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def list_(ctx: CliContext, username: str | None, as_json: bool) -> None:
    """List import batches."""
    with ctx.database() as database, database.reading() as session:
        batches = importer.list_batches(session, username)
    if as_json:
        echo_json([_batch_dict(batch) for batch in batches])
        return
    echo_table(["ID", "USER", "STATUS", "FILES", "IMPORTED", "DUPLICATES", "FAILED", "STARTED", "SOURCE"],
               [[b.id, b.user, b.status, b.total_files, b.imported_files, b.duplicate_files, b.failed_files,
                 b.started_at, b.source_path] for b in batches])


@import_.command("show")
@click.argument("batch_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def show(ctx: CliContext, batch_id: int, as_json: bool) -> None:
    """Show one batch with every recorded failure."""
    with ctx.database() as database, database.reading() as session:
        batch = importer.show(session, batch_id)
    if as_json:
        echo_json(_batch_dict(batch))
        return
    for label, value in (("batch", batch.id), ("user", batch.user), ("status", batch.status),
                         ("source", batch.source_path), ("target", batch.target),
                         ("files", batch.total_files), ("bytes", batch.total_bytes),
                         ("imported", batch.imported_files), ("imported bytes", batch.imported_bytes),
                         ("duplicates", batch.duplicate_files), ("failed", batch.failed_files),
                         ("started", batch.started_at), ("finished", batch.finished_at)):
        click.echo(f"{label + ':':16}{value if value is not None else '-'}")
    for error in batch.errors:
        click.echo(f"  {error['path']}: {error['error']}")
