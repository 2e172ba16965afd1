"""Hostile or malformed requests get a clear 4xx and change nothing."""

from __future__ import annotations

import http.client
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
import sqlalchemy as sa

from mediavault_dav.db.database import Database
from mediavault_dav.server import Gateway
from mediavault_dav.settings import Settings
from mediavault_dav.vault import locks
from mediavault_dav.vault.users import Account
from tests.support import PASSWORD, Client, blob_files, gateway_with, propfind


def _raw(client: Client, method: str, raw_path: str, body: bytes = b"",
         headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """Send a path exactly as written: requests/urllib3 would normalise dot segments."""
    url = urlparse(client.base_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    request = requests_auth_header(client)
    request.update(headers or {})
    connection.request(method, raw_path, body=body, headers=request)
    response = connection.getresponse()
    payload = response.read()
    connection.close()
    return response.status, payload


def requests_auth_header(client: Client) -> dict[str, str]:
    import base64
    assert client.auth is not None
    token = base64.b64encode(f"{client.auth[0]}:{client.auth[1]}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def _stored_rows(database: Database) -> tuple[int, int]:
    with database.transaction() as session:
        return (session.execute(sa.text("SELECT count(*) FROM files")).scalar_one(),
                session.execute(sa.text("SELECT count(*) FROM folders")).scalar_one())


@pytest.mark.parametrize("method, raw_path", [
    ("PUT", "/Files/a%00b.txt"),
    ("PUT", "/Files/bell%07.txt"),
    ("PUT", "/Files/tab%09name.txt"),
    ("PUT", "/Files/line%0Abreak.txt"),
    ("PUT", "/Files/..%2Fescape.txt"),
    ("PUT", "/Files/%2e%2e/escape.txt"),
    ("PUT", "/Files/sub/../escape.txt"),
    ("PUT", "/Files/./here.txt"),
    ("PUT", "/Files/back%5Cslash.txt"),
    ("MKCOL", "/Files/%2E%2E"),
    ("MKCOL", "/Files/new%2Ffolder"),
    ("GET", "/Files/..%5C..%5Cetc%5Cpasswd"),
    ("PROPFIND", "/Files/%2e%2e/%2e%2e/"),
    ("GET", "/Files/%c0%ae%c0%ae/secret"),  # not UTF-8 (overlong dots): WsgiDAV used to crash on it
    ("PUT", "/Files/%ff.txt"),
])
def test_bad_names_and_traversal_are_refused_and_nothing_is_written(
        alice_client: Client, database: Database, blob_root: Path, method: str, raw_path: str) -> None:
    before = _stored_rows(database)
    status, body = _raw(alice_client, method, raw_path, body=b"payload" if method == "PUT" else b"",
                        headers={"Depth": "1"} if method == "PROPFIND" else None)
    assert status in (400, 403), (status, body)
    assert b"Traceback" not in body
    assert _stored_rows(database) == before
    assert blob_files(blob_root) == []


@pytest.mark.parametrize("destination", [
    "/Files/%2e%2e/%2e%2e/outside.txt",
    "/Files/a%2Fb.txt",
    "/Files/bad%01name.txt",
])
def test_a_hostile_destination_is_refused(alice_client: Client, database: Database, destination: str) -> None:
    alice_client.request("PUT", "/Files/source.txt", data=b"source")
    before = _stored_rows(database)
    status, _ = _raw(alice_client, "MOVE", "/Files/source.txt",
                     headers={"Destination": alice_client.base_url.rstrip("/") + destination})
    assert status in (400, 403)
    assert _stored_rows(database) == before
    assert alice_client.request("GET", "/Files/source.txt").content == b"source"


_XXE = b"""<?xml version="1.0"?>
<!DOCTYPE propfind [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<D:propfind xmlns:D="DAV:"><D:prop><D:displayname>&xxe;</D:displayname></D:prop></D:propfind>"""

_LAUGHS = b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">' + b"".join(
    f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">'.encode() for n in range(1, 10)
) + (b']>\n<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>'
       b'<x xmlns="urn:x">&lol9;</x></D:prop></D:set></D:propertyupdate>')


@pytest.mark.parametrize("method, body", [
    ("PROPFIND", _XXE),
    ("PROPPATCH", _LAUGHS),
    ("LOCK", b"<D:lockinfo xmlns:D='DAV:'><unclosed>"),
    ("PROPPATCH", b"not xml at all"),
])
def test_hostile_or_malformed_xml_is_a_400_without_expanding_anything(
        alice_client: Client, database: Database, method: str, body: bytes) -> None:
    alice_client.request("PUT", "/Files/target.txt", data=b"x")
    started = time.monotonic()
    response = alice_client.request(method, "/Files/target.txt", data=body,
                                    headers={"Depth": "0", "Content-Type": "application/xml"})
    assert response.status_code == 400
    assert time.monotonic() - started < 5
    assert b"root:" not in response.content and b"lollol" not in response.content
    with database.transaction() as session:
        assert session.execute(sa.text("SELECT count(*) FROM dav_properties")).scalar_one() == 0
        assert session.execute(sa.text("SELECT count(*) FROM dav_locks")).scalar_one() == 0


def _oversized_proppatch() -> bytes:
    value = "v" * (1024 * 1024 + 100)
    return (f'<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>'
            f'<x xmlns="urn:x">{value}</x></D:prop></D:set></D:propertyupdate>').encode()


def _in_chunks(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), 65536):
        yield data[start:start + 65536]


def test_an_xml_body_over_1_mib_is_a_413_with_or_without_content_length(
        alice_client: Client, database: Database) -> None:
    alice_client.request("PUT", "/Files/target.txt", data=b"x")
    body = _oversized_proppatch()
    assert alice_client.request("PROPPATCH", "/Files/target.txt", data=body).status_code == 413
    assert alice_client.request("PROPPATCH", "/Files/target.txt", data=_in_chunks(body)).status_code == 413
    with database.transaction() as session:
        assert session.execute(sa.text("SELECT count(*) FROM dav_properties")).scalar_one() == 0


def test_a_chunked_xml_body_within_the_limit_is_understood(alice_client: Client) -> None:
    alice_client.request("PUT", "/Files/target.txt", data=b"x")
    body = (b'<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>'
            b'<x xmlns="urn:x">chunked</x></D:prop></D:set></D:propertyupdate>')
    assert alice_client.request("PROPPATCH", "/Files/target.txt", data=_in_chunks(body)).status_code == 207
    found = alice_client.request("PROPFIND", "/Files/target.txt", headers={"Depth": "0"},
                                 data=b'<D:propfind xmlns:D="DAV:"><D:prop><x xmlns="urn:x"/></D:prop></D:propfind>')
    assert b"chunked" in found.content


@pytest.mark.parametrize("depth", ["infinity", None])
def test_propfind_depth_infinity_is_refused_with_propfind_finite_depth(alice_client: Client, depth: str | None) -> None:
    headers = {"Depth": depth} if depth else {}
    response = alice_client.request("PROPFIND", "/Files/", headers=headers)
    assert response.status_code == 403
    assert b"propfind-finite-depth" in response.content


def test_an_invalid_depth_is_a_400(alice_client: Client) -> None:
    assert alice_client.request("PROPFIND", "/Files/", headers={"Depth": "2"}).status_code == 400


@pytest.fixture
def infinite_gateway(settings: Settings, database: Database) -> Iterator[Gateway]:
    with gateway_with(settings, database, propfind_infinity=True) as running:
        yield running


def test_depth_infinity_works_when_enabled(infinite_gateway: Gateway, alice: Account) -> None:
    client = Client(infinite_gateway.url, (alice.username, PASSWORD))
    client.request("MKCOL", "/Files/A")
    client.request("MKCOL", "/Files/A/B")
    client.request("PUT", "/Files/A/B/deep.txt", data=b"deep")
    assert set(propfind(client, "/Files/", depth="infinity")) == {
        "/Files/", "/Files/A/", "/Files/A/B/", "/Files/A/B/deep.txt"}


def test_request_headers_over_64_kib_are_refused(alice_client: Client) -> None:
    response = alice_client.request("PROPFIND", "/Files/", headers={"Depth": "0", "X-Padding": "p" * 70_000})
    assert response.status_code in (400, 413, 431)


# --- locks ---------------------------------------------------------------------

_LOCK_BODY = (b'<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>'
              b"<D:locktype><D:write/></D:locktype><D:owner>limits test</D:owner></D:lockinfo>")


def _lock(client: Client, path: str, timeout: str = "Second-60") -> tuple[int, str]:
    response = client.request("LOCK", path, data=_LOCK_BODY, headers={"Timeout": timeout, "Depth": "0"})
    return response.status_code, response.headers.get("Lock-Token", "")


def test_a_wrong_lock_token_is_a_423_and_the_file_is_unchanged(alice_client: Client) -> None:
    alice_client.request("PUT", "/Files/locked.txt", data=b"original")
    status, token = _lock(alice_client, "/Files/locked.txt")
    assert status == 200 and token
    wrong = "(<urn:uuid:00000000-0000-0000-0000-000000000000>)"
    assert alice_client.request("PUT", "/Files/locked.txt", data=b"x", headers={"If": wrong}).status_code in (412, 423)
    assert alice_client.request("PUT", "/Files/locked.txt", data=b"x").status_code == 423
    assert alice_client.request("DELETE", "/Files/locked.txt").status_code == 423
    assert alice_client.request("GET", "/Files/locked.txt").content == b"original"
    assert alice_client.request("UNLOCK", "/Files/locked.txt",
                                headers={"Lock-Token": "<urn:uuid:00000000-0000-0000-0000-000000000000>"}
                                ).status_code in (400, 409)
    assert alice_client.request("PUT", "/Files/locked.txt", data=b"with token",
                                headers={"If": f"({token})"}).status_code == 204
    assert alice_client.request("UNLOCK", "/Files/locked.txt", headers={"Lock-Token": token}).status_code == 204


def test_lock_timeouts_are_capped_at_an_hour(alice_client: Client) -> None:
    alice_client.request("PUT", "/Files/long.txt", data=b"x")
    for timeout in ("Infinite", "Second-4100000000"):
        response = alice_client.request("LOCK", "/Files/long.txt", data=_LOCK_BODY, headers={"Timeout": timeout})
        assert response.status_code == 200
        granted = int((ET.fromstring(response.content).findtext(".//{DAV:}timeout") or "").removeprefix("Second-"))
        assert 0 < granted <= locks.MAX_TIMEOUT_SECONDS == 3600
        alice_client.request("UNLOCK", "/Files/long.txt", headers={"Lock-Token": response.headers["Lock-Token"]})


def test_a_user_cannot_hold_more_than_the_lock_limit(
        alice_client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(locks, "MAX_LOCKS_PER_USER", 3)
    for number in range(3):
        alice_client.request("PUT", f"/Files/f{number}.txt", data=b"x")
        assert _lock(alice_client, f"/Files/f{number}.txt")[0] == 200
    alice_client.request("PUT", "/Files/one-too-many.txt", data=b"x")
    status, _ = _lock(alice_client, "/Files/one-too-many.txt")
    assert status == 403
    assert alice_client.request("PUT", "/Files/one-too-many.txt", data=b"still writable").status_code == 204


def _raw_exchange(client: Client, request: bytes) -> bytes:
    import socket
    url = urlparse(client.base_url)
    with socket.create_connection((url.hostname, url.port), timeout=30) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
            if b"\r\n\r\n" in received:
                head, _, rest = received.partition(b"\r\n\r\n")
                length = [int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:")]
                if length and len(rest) >= length[0]:
                    break
    return received


@pytest.mark.parametrize("framing", [
    b"Transfer-Encoding: chunked\r\nContent-Length: 11\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"Transfer-Encoding: chunked\r\n\r\nzz-not-a-size\r\nhello\r\n0\r\n\r\n",
])
def test_ambiguous_or_malformed_body_framing_is_a_400_and_stores_nothing(
        alice_client: Client, database: Database, blob_root: Path, framing: bytes) -> None:
    authorization = requests_auth_header(alice_client)["Authorization"].encode()
    request = (b"PUT /Files/smuggled.txt HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + authorization
               + b"\r\n" + framing)
    response = _raw_exchange(alice_client, request)
    assert response.startswith(b"HTTP/1.1 400"), response[:200]
    assert alice_client.request("HEAD", "/Files/smuggled.txt").status_code == 404
    assert blob_files(blob_root) == []
