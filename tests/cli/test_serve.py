"""``mediavault-dav serve`` as a newcomer runs it: no PostgreSQL, no config file."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support import CONSOLE_SCRIPT, ServeProcess, clean_environment, free_port, run_cli, start_serve

pytestmark = pytest.mark.slow


@pytest.fixture
def newcomer_env(tmp_path: Path) -> dict[str, str]:
    """A clean environment whose home is empty: no config, no DATABASE_URL."""
    home = tmp_path / "home"
    home.mkdir()
    env = clean_environment(HOME=str(home))
    env.pop("XDG_DATA_HOME", None)
    return env


@pytest.fixture
def served(newcomer_env: dict[str, str]) -> Iterator[ServeProcess]:
    gateway = start_serve(newcomer_env)
    yield gateway
    if gateway.process.poll() is None:
        gateway.stop()


def _propfind(url: str, auth: tuple[str, str] | None) -> requests.Response:
    return requests.request("PROPFIND", url + "/", headers={"Depth": "1"}, auth=auth, timeout=30)


def test_the_readme_command_starts_a_working_gateway_with_a_printed_admin_password(
        served: ServeProcess, newcomer_env: dict[str, str]) -> None:
    password = served.admin_password
    assert password, "".join(served.output)

    listing = _propfind(served.url, ("admin", password))
    assert listing.status_code == 207
    names = [href.text for href in ET.fromstring(listing.content).iter("{DAV:}href")]
    assert "/Files/" in names and "/Shared%20With%20Me/" in names
    assert _propfind(served.url, None).status_code == 401

    # The embedded database lives in the per-user data folder, secret kept private.
    data_dir = Path(newcomer_env["HOME"]) / ".local" / "share" / "mediavault-dav"
    assert (data_dir / "postgres" / "PG_VERSION").exists()
    assert oct((data_dir / "session_secret").stat().st_mode & 0o777) == "0o600"
    assert served.stop() == 0
    assert not (data_dir / "postgres" / "postmaster.pid").exists(), "PostgreSQL stopped with the server"


def test_a_restart_keeps_users_and_prints_no_new_password(newcomer_env: dict[str, str]) -> None:
    first = start_serve(newcomer_env)
    password = first.admin_password
    added = run_cli("user", "add", "bob", "--email", "bob@example.com", "--password-stdin",
                    env=newcomer_env, input="bobs password\n")
    assert added.returncode == 0, added.stderr
    assert first.stop() == 0

    second = start_serve(newcomer_env)
    try:
        assert second.admin_password is None
        assert _propfind(second.url, ("admin", password or "")).status_code == 207
        assert _propfind(second.url, ("bob", "bobs password")).status_code == 207
    finally:
        second.stop()


def test_cli_commands_and_the_server_share_the_embedded_database_at_once(served: ServeProcess,
                                                                        newcomer_env: dict[str, str]) -> None:
    commands = [
        ["user", "add", f"user{i}", "--email", f"user{i}@example.com", "--password-stdin"]
        for i in range(2)
    ]
    processes = [
        subprocess.Popen([sys.executable, "-m", "mediavault_dav", *command], env=newcomer_env,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for command in commands
    ]
    results = [process.communicate(input="a fine password\n", timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], results
    # The server kept serving throughout, and sees what the commands wrote.
    assert _propfind(served.url, ("user0", "a fine password")).status_code == 207
    assert _propfind(served.url, ("user1", "a fine password")).status_code == 207
    listed = run_cli("user", "list", "--json", env=newcomer_env)
    assert listed.returncode == 0 and '"user1"' in listed.stdout


def test_bad_configuration_stops_serve_with_one_clear_line(newcomer_env: dict[str, str]) -> None:
    env = {**newcomer_env, "DB_POOL_MAX": "lots"}
    result = subprocess.run([str(CONSOLE_SCRIPT), "serve"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "mediavault-dav: error: DB_POOL_MAX must be a whole number of connections from 1 to 1000, got 'lots'")
    assert "Traceback" not in result.stderr + result.stdout


def test_an_unreachable_external_database_stops_serve_with_one_clear_line(newcomer_env: dict[str, str]) -> None:
    env = {**newcomer_env, "DATABASE_URL": f"postgresql://mv:sekrit-pw@127.0.0.1:{free_port()}/mediavault",
           "SESSION_SECRET": "s" * 40}
    result = subprocess.run([str(CONSOLE_SCRIPT), "serve"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mediavault-dav: error: cannot connect to PostgreSQL at 127.0.0.1:")
    assert "sekrit" not in result.stderr + result.stdout


def test_serve_refuses_an_out_of_date_external_schema_and_names_the_fix(
        empty_database_url: str, newcomer_env: dict[str, str]) -> None:
    env = {**newcomer_env, "DATABASE_URL": empty_database_url, "SESSION_SECRET": "s" * 40}
    result = subprocess.run([str(CONSOLE_SCRIPT), "serve", "--port", str(free_port())], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "run `mediavault-dav db upgrade`" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_external_database_needs_a_session_secret(database_url: str, newcomer_env: dict[str, str]) -> None:
    env = {**newcomer_env, "DATABASE_URL": database_url}
    result = subprocess.run([str(CONSOLE_SCRIPT), "serve"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith("mediavault-dav: error: SESSION_SECRET must be set")
