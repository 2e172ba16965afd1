"""What every command shares: how to load settings and open the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediavault_dav.db.database import Database, SchemaPolicy, using_database
from mediavault_dav.settings import Settings, load_settings, with_session_secret


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
