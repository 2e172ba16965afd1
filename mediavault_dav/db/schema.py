"""Schema state: which Alembic revision a database is at, and moving it.

Alembic is the only way the schema changes. The gateway upgrades the embedded
database by itself; an external database is the operator's, so an out-of-date one
is refused with the command to run.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from mediavault_dav.db.errors import SchemaOutOfDate

UPGRADE_COMMAND = "mediavault-dav db upgrade"


def migrations_dir() -> Path:
    """The installed copy of ``migrations/`` (shipped as mediavault_dav.migrations).

    When the package is imported straight from a source checkout, the top-level
    ``migrations/`` beside it is the same directory.
    """
    try:
        return Path(str(resources.files("mediavault_dav.migrations")))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "migrations"


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "the migrations directory has no revisions"
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, target: str = "head") -> None:
    with engine.begin() as connection:
        # One migrator at a time, even when several gateways start together.
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7305021)")
        command.upgrade(_config(connection), target)


def downgrade(engine: Engine, target: str = "base") -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7305021)")
        command.downgrade(_config(connection), target)


def require_current(engine: Engine) -> None:
    """Refuse to serve a schema this code was not written for."""
    current, head = current_revision(engine), head_revision()
    if current == head:
        return
    if current is None:
        raise SchemaOutOfDate(f"the database has no MediaVault schema yet: run `{UPGRADE_COMMAND}`")
    known = {script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()}
    if current not in known:
        raise SchemaOutOfDate(
            f"the database schema is at revision {current}, which this gateway does not know "
            "(is a newer gateway using it?)"
        )
    raise SchemaOutOfDate(
        f"the database schema is at revision {current}, this gateway needs {head}: "
        f"run `{UPGRADE_COMMAND}`"
    )
