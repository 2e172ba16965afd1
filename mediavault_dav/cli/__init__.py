"""``mediavault-dav``: thin click commands over the library.

Every expected failure (bad configuration, unreachable database, a refused change)
ends as one line on stderr and exit status 1; tracebacks are for bugs only.
"""

from __future__ import annotations

import sys

import click

from mediavault_dav.cli.admin_policy import quota, setting
from mediavault_dav.cli.audit import audit
from mediavault_dav.cli.backups import backup, restore
from mediavault_dav.cli.blobs import fsck, gc
from mediavault_dav.cli.context import CliContext
from mediavault_dav.cli.db import db
from mediavault_dav.cli.grants import grant, grants, revoke
from mediavault_dav.cli.imports import import_
from mediavault_dav.cli.serve import serve
from mediavault_dav.cli.sessions import sessions
from mediavault_dav.cli.shares import share
from mediavault_dav.cli.smart_folders import smart_folder
from mediavault_dav.cli.users import user
from mediavault_dav.db.errors import DatabaseError
from mediavault_dav.settings import ConfigError
from mediavault_dav.vault.errors import VaultError

EXIT_FAILURE = 1


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="TOML settings file (default: $MEDIAVAULT_CONFIG; the environment overrides it).")
@click.option("--data-dir", type=click.Path(file_okay=False),
              help="Data directory (default: $MEDIAVAULT_DATA_DIR or the per-user data folder).")
@click.version_option(package_name="mediavault-dav")
@click.pass_context
def cli(context: click.Context, config_file: str | None, data_dir: str | None) -> None:
    """MediaVault DAV: the vault as a WebDAV network drive."""
    context.obj = CliContext(config_file=config_file, data_dir=data_dir)


cli.add_command(serve)
cli.add_command(user)
cli.add_command(db)
cli.add_command(smart_folder)
cli.add_command(gc)
cli.add_command(fsck)
cli.add_command(sessions)
cli.add_command(backup)
cli.add_command(restore)
cli.add_command(import_)
cli.add_command(share)
cli.add_command(quota)
cli.add_command(setting)
cli.add_command(audit)
cli.add_command(grant)
cli.add_command(revoke)
cli.add_command(grants)


def main() -> None:
    try:
        cli.main(standalone_mode=False, prog_name="mediavault-dav")
    except click.exceptions.Abort:
        click.echo("mediavault-dav: aborted", err=True)
        sys.exit(EXIT_FAILURE)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except (ConfigError, DatabaseError, VaultError) as error:
        click.echo(f"mediavault-dav: error: {error}", err=True)
        sys.exit(EXIT_FAILURE)
    except KeyboardInterrupt:
        sys.exit(130)
