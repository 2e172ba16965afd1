"""Two gateway processes on one database, and a gateway killed mid-upload."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from mediavault_dav.settings import Settings
from mediavault_dav.vault.users import Account
from tests.support import PASSWORD, Client, ServeProcess, propfind, serve_env, start_serve

pytestmark = pytest.mark.slow

_EXCLUSIVE = (b'<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>'
              b"<D:locktype><D:write/></D:locktype><D:owner>first process</D:owner></D:lockinfo>")
_SHARED = _EXCLUSIVE.replace(b"exclusive", b"shared")


def test_locks_taken_through_one_process_are_honoured_by_another(
        alice_client: Client, second_process: ServeProcess, alice: Account) -> None:
    other = Client(second_process.url, (alice.username, PASSWORD))
    alice_client.request("PUT", "/Files/report.odt", data=b"original")

    locked = alice_client.request("LOCK", "/Files/report.odt", data=_EXCLUSIVE, headers={"Timeout": "Second-300"})
    assert locked.status_code == 200
    token = locked.headers["Lock-Token"]
    assert other.request("PUT", "/Files/report.odt", data=b"overwritten").status_code == 423
    assert other.request("DELETE", "/Files/report.odt").status_code == 423
    assert other.request("LOCK", "/Files/report.odt", data=_EXCLUSIVE).status_code == 423
    assert token.strip("<>") in other.request("PROPFIND", "/Files/report.odt", headers={"Depth": "0"}).text
    assert other.request("PUT", "/Files/report.odt", data=b"with the token",
                         headers={"If": f"({token})"}).status_code == 204
    assert other.request("UNLOCK", "/Files/report.odt", headers={"Lock-Token": token}).status_code == 204
    assert alice_client.request("PUT", "/Files/report.odt", data=b"free again").status_code == 204

    # Shared locks from both processes coexist; an exclusive one then waits for both.
    first = alice_client.request("LOCK", "/Files/report.odt", data=_SHARED)
    second = other.request("LOCK", "/Files/report.odt", data=_SHARED)
    assert (first.status_code, second.status_code) == (200, 200)
    assert alice_client.request("LOCK", "/Files/report.odt", data=_EXCLUSIVE).status_code == 423

    # A depth-infinity lock on a folder covers new names inside it, across processes.
    alice_client.request("MKCOL", "/Files/Project")
    folder = alice_client.request("LOCK", "/Files/Project", data=_EXCLUSIVE, headers={"Depth": "infinity"})
    assert folder.status_code == 200
    assert other.request("PUT", "/Files/Project/new.txt", data=b"x").status_code == 423
    assert other.request("MKCOL", "/Files/Project/Sub").status_code == 423


def _slow_body(total: int, started: threading.Event, release: threading.Event) -> Iterator[bytes]:
    chunk = os.urandom(1024 * 1024)
    sent = 0
    while sent < total:
        if sent >= total // 3 and not started.is_set():
            started.set()
            release.wait(30)
        yield chunk
        sent += len(chunk)


@pytest.mark.parametrize("existing", [True, False])
def test_killing_the_server_mid_put_leaves_the_old_version_or_nothing(
        settings: Settings, alice: Account, existing: bool, tmp_path: Path) -> None:
    env = serve_env(settings)
    served = start_serve(env)
    client = Client(served.url, (alice.username, PASSWORD))
    original = os.urandom(2 * 1024 * 1024)
    if existing:
        assert client.request("PUT", "/Files/video.mp4", data=original).status_code == 201

    started, release = threading.Event(), threading.Event()
    outcome: list[object] = []

    def upload() -> None:
        try:
            outcome.append(client.request("PUT", "/Files/video.mp4", timeout=60,
                                          data=_slow_body(96 * 1024 * 1024, started, release)))
        except requests.RequestException as error:
            outcome.append(error)

    uploader = threading.Thread(target=upload)
    uploader.start()
    assert started.wait(60), "the upload never got going"
    served.process.send_signal(signal.SIGKILL)
    served.process.wait(timeout=30)
    release.set()
    uploader.join(60)
    assert outcome and isinstance(outcome[0], requests.RequestException)

    restarted = start_serve(env)
    try:
        client = Client(restarted.url, (alice.username, PASSWORD))
        response = client.request("GET", "/Files/video.mp4")
        if existing:
            assert response.status_code == 200 and response.content == original
        else:
            assert response.status_code == 404
        assert len(propfind(client, "/Files/")) == (2 if existing else 1)
    finally:
        restarted.stop()
