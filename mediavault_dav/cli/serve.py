"""``mediavault-dav serve``: run the gateway until interrupted."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from types import FrameType

import click

from mediavault_dav.cli.context import CliContext
from mediavault_dav.server import Gateway
from mediavault_dav.vault import users


@click.command()
@click.option("--host", help="Address to listen on (default 127.0.0.1; 0.0.0.0 for all).")
@click.option("--port", type=click.IntRange(0, 65535), help="TCP port (default 8080).")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Data directory.")
@click.pass_obj
def serve(ctx: CliContext, host: str | None, port: int | None, data_dir: str | None) -> None:
    """Serve the vault over WebDAV."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its per-check chatter
    settings = ctx.settings(host=host, port=port,
                            data_dir=Path(data_dir).expanduser() if data_dir else None)
    with ctx.database(settings=settings) as database:
        with database.transaction() as session:
            first_admin = users.create_first_admin(session)
        if first_admin is not None:
            name, password = first_admin
            click.echo("Created the first administrator account. The password is shown only once:")
            click.echo(f"  user name: {name}")
            click.echo(f"  password:  {password}")
            click.echo("Change it with `mediavault-dav user passwd admin`.")
        gateway = Gateway(settings, database)
        gateway.start()
        database_kind = f"embedded PostgreSQL in {settings.data_dir}" if settings.embedded else "external PostgreSQL"
        click.echo(f"MediaVault DAV is serving {gateway.url} ({database_kind})")
        _wait_for_shutdown()
        click.echo("stopping")
        gateway.stop()


def _wait_for_shutdown() -> None:
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, request_stop)
    while not stop.wait(1.0):
        pass
