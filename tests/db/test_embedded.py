"""The embedded PostgreSQL: private, password-protected, shared, stopped by the last user."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from mediavault_dav.db.embedded import EmbeddedPostgres

pytestmark = pytest.mark.slow


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[EmbeddedPostgres]:
    embedded = EmbeddedPostgres(tmp_path / "data")
    embedded.acquire()
    yield embedded
    embedded.release()


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def test_it_listens_on_no_tcp_address_and_a_private_socket_directory(cluster: EmbeddedPostgres) -> None:
    with psycopg.connect(_libpq(cluster.superuser_url())) as connection:
        listen = connection.execute("SHOW listen_addresses").fetchone()[0]
        socket_dirs = connection.execute("SHOW unix_socket_directories").fetchone()[0]
    assert listen == ""
    socket_dir = Path(socket_dirs.split(",")[0].strip())
    assert stat.S_IMODE(socket_dir.stat().st_mode) == 0o700


def test_every_connection_needs_a_password(cluster: EmbeddedPostgres) -> None:
    hba = (cluster.pgdata / "pg_hba.conf").read_text(encoding="utf-8")
    rules = [line.split() for line in hba.splitlines() if line.strip() and not line.startswith("#")]
    assert rules and all(rule[-1] == "scram-sha-256" for rule in rules)

    url = make_url(cluster.superuser_url())
    conninfo = psycopg.conninfo.make_conninfo(
        host=url.query["host"], port=url.query["port"], user=url.username, dbname=url.database)
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(conninfo, connect_timeout=5).close()


def test_credentials_are_kept_private(cluster: EmbeddedPostgres) -> None:
    credentials = cluster.data_dir / "postgres-credentials.json"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert stat.S_IMODE(cluster.pgdata.stat().st_mode) == 0o700


def test_the_gateway_role_owns_its_database_and_is_not_a_superuser(cluster: EmbeddedPostgres) -> None:
    with psycopg.connect(_libpq(cluster.app_url())) as connection:
        role, database, superuser = connection.execute(
            "SELECT current_user, current_database(), rolsuper FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
    assert (role, database, superuser) == ("mediavault_user", "mediavault", False)


def test_the_last_user_to_leave_stops_it_and_data_survives(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first, second = EmbeddedPostgres(data), EmbeddedPostgres(data)
    first.acquire()
    with psycopg.connect(_libpq(first.superuser_url()), autocommit=True) as connection:
        connection.execute("CREATE TABLE kept (n int)")
        connection.execute("INSERT INTO kept VALUES (42)")
    # A second user in another process: the cluster keeps running after we leave.
    script = (
        "import sys, time; from pathlib import Path\n"
        "from mediavault_dav.db.embedded import EmbeddedPostgres\n"
        f"e = EmbeddedPostgres(Path({str(data)!r})); e.acquire()\n"
        "print('joined', flush=True); sys.stdin.readline(); e.release()\n"
    )
    other = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "joined"
        first.release()
        assert first.is_running(), "another process still uses it"
        assert other.stdin is not None
        other.stdin.write("\n")
        other.stdin.flush()
        assert other.wait(timeout=60) == 0
    finally:
        other.kill()
    assert not first.is_running(), "the last user stopped it"

    second.acquire()
    try:
        with psycopg.connect(_libpq(second.superuser_url())) as connection:
            assert connection.execute("SELECT n FROM kept").fetchone() == (42,)
    finally:
        second.release()


def test_a_user_that_died_without_leaving_does_not_keep_it_running(tmp_path: Path) -> None:
    data = tmp_path / "data"
    embedded = EmbeddedPostgres(data)
    embedded.acquire()
    users_file = data / "postgres-users.json"
    registered = json.loads(users_file.read_text(encoding="utf-8"))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    registered.append([int(dead.stdout), 1.0])
    users_file.write_text(json.dumps(registered), encoding="utf-8")
    embedded.release()
    assert not embedded.is_running()


def test_a_deep_data_directory_still_gets_a_private_socket(tmp_path: Path) -> None:
    deep = tmp_path.joinpath(*["very-long-directory-name"] * 5)
    embedded = EmbeddedPostgres(deep)
    embedded.acquire()
    try:
        with psycopg.connect(_libpq(embedded.superuser_url())) as connection:
            socket_dir = Path(connection.execute("SHOW unix_socket_directories").fetchone()[0])
        assert not str(socket_dir).startswith(str(deep))
        assert stat.S_IMODE(socket_dir.stat().st_mode) == 0o700
        assert socket_dir.stat().st_uid != 0 or os.geteuid() != 0
    finally:
        embedded.release()
