"""/healthz, the access log, read verification, and a database that stops and starts."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import requests
from psycopg import sql
from sqlalchemy.engine import make_url

from mediavault_dav.blobs import LocalBlobStore
from mediavault_dav.db.database import Database, SchemaPolicy, open_database
from mediavault_dav.db.embedded import EmbeddedPostgres
from mediavault_dav.server import Gateway
from mediavault_dav.settings import Settings
from mediavault_dav.vault import users
from tests.support import PASSWORD, TEST_SECRET, Client, gateway_with


def test_healthz_needs_no_credentials_and_says_ok(anonymous_client: Client) -> None:
    response = anonymous_client.request("GET", "/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "blobs": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    assert anonymous_client.request("GET", "/Files/").status_code == 401, "only /healthz is open"


def test_healthz_is_503_when_the_database_is_gone(anonymous_client: Client, admin_url: str,
                                                  database_url: str) -> None:
    name = make_url(database_url).database
    admin = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
    response = anonymous_client.request("GET", "/healthz")
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.json() == {"status": "unavailable", "database": "unavailable", "blobs": "ok"}
    assert name not in response.text


def test_healthz_is_503_when_the_blob_store_is_gone(anonymous_client: Client, blob_root: Path) -> None:
    (blob_root / ".incoming").rmdir()
    response = anonymous_client.request("GET", "/healthz")
    assert response.status_code == 503 and response.json()["blobs"] == "unavailable"


def test_one_access_line_per_request_without_secrets(alice_client: Client, gateway: Gateway,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="mediavault_dav.access")
    body = b"x" * 12345
    alice_client.request("PUT", "/Files/log.bin", data=body)
    first = alice_client.request("GET", "/Files/log.bin?secret=query")
    cookie = first.headers["Set-Cookie"].split(";")[0] if "Set-Cookie" in first.headers else ""
    Client(gateway.url, ("alice", "wrong password")).request("PROPFIND", "/", headers={"Depth": "0"})
    time.sleep(0.2)  # the line is written when the response has been sent
    lines = [json.loads(record.getMessage()) for record in caplog.records
             if record.name == "mediavault_dav.access"]
    get = next(line for line in lines if line["method"] == "GET")
    assert get["path"] == "/Files/log.bin" and get["status"] == 200 and get["bytes"] == len(body)
    assert get["user"] == "alice" and get["client"] == "127.0.0.1" and get["duration_ms"] >= 0
    assert len([line for line in lines if line["method"] == "GET"]) == 1
    assert not [r for r in caplog.records if r.name == "wsgidav.wsgidav_app" and "GET /Files" in r.getMessage()], \
        "one access line per request: WsgiDAV's own is off"
    refused = next(line for line in lines if line["method"] == "PROPFIND")
    assert refused["status"] == 401 and refused["user"] is None
    text = "\n".join(record.getMessage() for record in caplog.records)
    for secret in (PASSWORD, "wrong password", "secret=query", cookie or "mediavault.sid=s"):
        assert secret not in text


@pytest.fixture
def verifying_client(settings: Settings, database: Database, alice: users.Account) -> Iterator[Client]:
    with gateway_with(settings, database, verify_on_read=True) as running:
        yield Client(running.url, (alice.username, PASSWORD))


def test_verify_on_read_aborts_a_corrupt_download_and_quarantines_the_blob(
        verifying_client: Client, blob_root: Path, caplog: pytest.LogCaptureFixture) -> None:
    body = os.urandom(3 * 1024 * 1024 + 17)
    assert verifying_client.request("PUT", "/Files/movie.mp4", data=body).status_code == 201
    good = verifying_client.request("GET", "/Files/movie.mp4")
    assert good.status_code == 200 and good.content == body, "intact content passes"

    blob = LocalBlobStore(blob_root).path_of(hashlib.sha256(body).hexdigest())
    damaged = bytearray(body)
    damaged[len(body) - 10] ^= 0x01  # in the last block: everything before it goes out
    blob.write_bytes(bytes(damaged))
    with pytest.raises(requests.exceptions.RequestException):
        response = verifying_client.request("GET", "/Files/movie.mp4", stream=True)
        received = b"".join(response.iter_content(65536))
        pytest.fail(f"a corrupt file ended cleanly after {len(received)} bytes")
    assert not blob.exists()
    assert len(list((blob_root / ".quarantine").iterdir())) == 1
    assert any(record.levelname == "CRITICAL" and "failed verification" in record.getMessage()
               for record in caplog.records)
    again = verifying_client.request("GET", "/Files/movie.mp4")
    assert again.status_code == 500 and again.content != bytes(damaged)


def test_verify_on_read_checks_a_truncated_blob_too(verifying_client: Client, blob_root: Path) -> None:
    body = b"0123456789" * 1000
    verifying_client.request("PUT", "/Files/short.txt", data=body)
    blob = LocalBlobStore(blob_root).path_of(hashlib.sha256(body).hexdigest())
    blob.write_bytes(body[:5000])
    with pytest.raises(requests.exceptions.RequestException):
        verifying_client.request("GET", "/Files/short.txt").content  # noqa: B018
    assert not blob.exists()


@pytest.mark.slow
def test_when_postgresql_stops_and_starts_the_gateway_recovers_without_a_restart(tmp_path: Path) -> None:
    """F8: 503 + Retry-After while it is down (never 500, no traceback), then back."""
    data_dir = tmp_path / "data"
    settings = Settings(session_secret=TEST_SECRET, data_dir=data_dir, port=0, pool_max=4)
    database = open_database(settings, SchemaPolicy.UPGRADE_EMBEDDED)
    assert database.embedded is not None
    gateway = Gateway(dataclasses.replace(settings, housekeeping_interval_s=0), database)
    gateway.start()
    try:
        with database.transaction() as session:
            users.add_user(session, "alice", "alice@example.com", PASSWORD)
        client = Client(gateway.url, ("alice", PASSWORD))
        assert client.request("PUT", "/Files/kept.txt", data=b"kept").status_code == 201
        cluster: EmbeddedPostgres = database.embedded
        cluster.stop_server()
        for method, path in (("PROPFIND", "/Files/"), ("GET", "/Files/kept.txt"), ("PUT", "/Files/new.txt")):
            response = client.request(method, path, headers={"Depth": "1"}, data=b"new" if method == "PUT" else None)
            assert response.status_code == 503, (method, response.status_code)
            assert response.headers["Retry-After"] == "5"
            assert "Traceback" not in response.text and "psycopg" not in response.text
        assert client.request("GET", "/healthz").status_code == 503

        cluster.start_server()
        deadline = time.monotonic() + 10
        while client.request("GET", "/healthz").status_code != 200:
            assert time.monotonic() < deadline, "healthz never recovered"
            time.sleep(0.2)
        statuses = [client.request("GET", "/Files/kept.txt").status_code for _ in range(3)]
        assert 200 in statuses[:2] and statuses[-1] == 200, statuses
        assert client.request("GET", "/Files/kept.txt").content == b"kept"
        assert client.request("PUT", "/Files/after.txt", data=b"after").status_code == 201
    finally:
        gateway.stop()
        database.close()
