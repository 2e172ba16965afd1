"""Helpers the tests share: an HTTP client, the CLI in a child process, free ports."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import http.client
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pytest
import requests

TEST_SECRET = "test-session-secret-" + "x" * 32
PASSWORD = "correct horse battery"


@dataclasses.dataclass(frozen=True)
class Client:
    """An HTTP client for one user of the running gateway."""

    base_url: str
    auth: tuple[str, str] | None

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("auth", self.auth)
        kwargs.setdefault("timeout", 30)
        return requests.request(method, self.base_url.rstrip("/") + path, **kwargs)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_cli(*args: str, env: dict[str, str] | None = None, input: str | None = None,
            timeout: float = 120, prefix: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``mediavault-dav`` in a child process, as an operator would."""
    return subprocess.run(
        [*(prefix or []), sys.executable, "-m", "mediavault_dav", *args],
        env=env, input=input, capture_output=True, text=True, timeout=timeout, check=False,
    )


def clean_environment(**extra: str) -> dict[str, str]:
    """The current environment without any MediaVault or database settings."""
    prefixes = ("MEDIAVAULT_", "DB_", "SESSION_", "DATABASE_URL", "SECURE_COOKIES", "TEST_DATABASE_URL")
    env = {key: value for key, value in os.environ.items() if not key.startswith(prefixes)}
    env.update(extra)
    return env


def require_tool(name: str) -> str:
    """The path of a client program the test drives.

    In CI (``CI`` set, as ``.ci/run`` does) a missing tool fails the test, so a
    broken image can never pass by skipping; on a developer's machine it skips with
    the package to install.
    """
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} is not installed (Debian package: apt-get install {name})"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def propfind(client: Client, path: str, depth: str = "1") -> dict[str, ET.Element]:
    """A PROPFIND's responses by decoded href, asserting it was a 207."""
    response = client.request("PROPFIND", path, headers={"Depth": depth})
    assert response.status_code == 207, (response.status_code, response.text[:500])
    found: dict[str, ET.Element] = {}
    for item in ET.fromstring(response.content).iter("{DAV:}response"):
        href = item.findtext("{DAV:}href") or ""
        found[unquote(urlparse(href).path)] = item
    return found


def blob_files(root: Path) -> list[Path]:
    """Every stored blob below a blob root (not the in-flight uploads)."""
    if not root.exists():
        return []
    return [path for path in root.rglob("*")
            if path.is_file() and ".incoming" not in path.relative_to(root).parts]


def blob_bytes(root: Path) -> int:
    return sum(path.stat().st_size for path in blob_files(root))


CONSOLE_SCRIPT = Path(sys.executable).parent / "mediavault-dav"


@dataclasses.dataclass
class ServeProcess:
    process: subprocess.Popen[str]
    url: str
    output: list[str]

    @property
    def admin_password(self) -> str | None:
        for line in self.output:
            if line.strip().startswith("password:"):
                return line.split(":", 1)[1].strip()
        return None

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


def start_serve(env: dict[str, str], *args: str) -> ServeProcess:
    port = free_port()
    process = subprocess.Popen(
        [str(CONSOLE_SCRIPT), "serve", "--port", str(port), *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout or []], daemon=True).start()
    output: list[str] = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        output.append(line)
        if "MediaVault DAV is serving" in line:
            return ServeProcess(process, f"http://127.0.0.1:{port}", output)
    process.kill()
    raise AssertionError("serve did not start:\n" + "".join(output))


@contextlib.contextmanager
def gateway_with(settings: Any, database: Any, **changes: Any) -> Iterator[Any]:
    """Another in-process gateway over the same database, with some settings changed."""
    from mediavault_dav.server import Gateway

    running = Gateway(dataclasses.replace(settings, **changes), database)
    running.start()
    try:
        yield running
    finally:
        running.stop()


@contextlib.contextmanager
def tcp_route_to(database_url: str) -> Iterator[str]:
    """The same database reached over TCP on 127.0.0.1, relayed to its Unix socket.

    For a child process that may not enter the socket's private directory (a test
    that drops root's permission to bypass file modes). Returns the rewritten URL.
    """
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    socket_path = f"{url.query['host']}/.s.PGSQL.{url.query.get('port', '5432')}"
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def pump(source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                target.sendall(data)
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(socket_path)
            for pair in ((client, upstream), (upstream, client)):
                threading.Thread(target=pump, args=pair, daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    port = listener.getsockname()[1]
    try:
        yield url.set(host="127.0.0.1", port=port, query={}).render_as_string(hide_password=False)
    finally:
        stop.set()
        listener.close()


def without_file_permission_override() -> list[str]:
    """A command prefix that runs a child as root minus the power to ignore file modes."""
    if os.geteuid() != 0:
        return []
    tool = shutil.which("setpriv")
    if tool is None:
        pytest.fail("setpriv (util-linux) is needed to make a file unreadable for root")
    caps = "-dac_override,-dac_read_search"
    return [tool, f"--inh-caps={caps}", f"--bounding-set={caps}"]


@dataclasses.dataclass(frozen=True)
class RawResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def raw_request(base_url: str, method: str, path: str, headers: Iterable[tuple[str, str]] = (),
                body: bytes | Iterable[bytes] | None = None, auth: tuple[str, str] | None = None) -> RawResponse:
    """One request with exactly the headers given, repeated names included (as Finder
    sends one ``If`` per lock token), which ``requests`` cannot do. An iterable body
    is sent with ``Transfer-Encoding: chunked``; ``path`` is sent as it is."""
    target = urlparse(base_url)
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        sent = [key.lower() for key, _ in headers]
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            connection.putheader("Authorization", f"Basic {token}")
        for key, value in headers:
            connection.putheader(key, value)
        chunked = body is not None and not isinstance(body, bytes)
        if chunked:
            connection.putheader("Transfer-Encoding", "chunked")
        elif body is not None and "content-length" not in sent:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders()
        if chunked:
            for chunk in body:  # type: ignore[union-attr]
                connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            connection.send(b"0\r\n\r\n")
        elif body:
            connection.send(body)  # type: ignore[arg-type]
        response = connection.getresponse()
        return RawResponse(response.status, response.getheaders(), response.read())
    finally:
        connection.close()


# The account lookups by which a remembered sign-in is re-checked (vault/users.py).
_SIGN_IN_CHECKS = ("SELECT users.", "UPDATE users SET last_login_at")


@contextlib.contextmanager
def counted_statements(database: Any) -> Iterator[list[str]]:
    """The SQL statements the gateway runs inside the block, without the sign-in
    re-check (every 2 s), which belongs to no request in particular."""
    import sqlalchemy as sa

    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if not statement.lstrip().startswith(_SIGN_IN_CHECKS):
            statements.append(statement)

    sa.event.listen(database.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(database.engine, "before_cursor_execute", count)


def serve_env(settings: Any) -> dict[str, str]:
    """The environment of a ``mediavault-dav serve`` on the test's database and blobs."""
    return clean_environment(
        HOME=str(settings.data_dir.parent),
        DATABASE_URL=settings.database_url or "",
        SESSION_SECRET=TEST_SECRET,
        MEDIAVAULT_DATA_DIR=str(settings.data_dir),
    )
