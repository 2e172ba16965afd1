"""What every command shares: how to load settings and open the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from mediavault_dav.db.database import Database, SchemaPolicy, using_database
from mediavault_dav.settings import Settings, load_settings, with_session_secret
from mediavault_dav.vault import activity


@dataclass
class AdminChange:
    """The open transaction of an administrator's change, and what its audit row says."""

    session: Session
    details: dict[str, Any]
    resource_type: str | None = None
    resource_id: int | None = None
    path: str | None = None

    def about(self, resource_type: str, resource_id: int | None) -> None:
        self.resource_type, self.resource_id = resource_type, resource_id


@dataclass
class CliContext:
    config_file: str | None
    data_dir: str | None

    def settings(self, **overrides: Any) -> Settings:
        if self.data_dir is not None:
            overrides.setdefault("data_dir", Path(self.data_dir).expanduser())
        config = Path(self.config_file).expanduser() if self.config_file else None
        return with_session_secret(load_settings(config_file=config, overrides=overrides))

    @contextmanager
    def database(self, policy: SchemaPolicy = SchemaPolicy.UPGRADE_EMBEDDED,
                 settings: Settings | None = None) -> Iterator[Database]:
        with using_database(settings or self.settings(), policy) as database:
            yield database

    @contextmanager
    def changing(self, action: str, *, settings: Settings | None = None, **details: Any) -> Iterator[AdminChange]:
        """A transaction for one admin change; its audit row (actor ``cli:<os user>``)
        is written in it, so the change and its record commit together."""
        with self.database(settings=settings) as database, database.transaction() as session:
            change = AdminChange(session, dict(details))
            yield change
            activity.record(session, action=action, outcome="success", actor=activity.operator(),
                            resource_type=change.resource_type, resource_id=change.resource_id,
                            path=change.path, details=change.details or None)
