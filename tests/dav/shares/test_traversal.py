"""No path trick reaches anything outside a share.

Requests are sent with ``http.client`` exactly as written: ``requests`` (urllib3)
would tidy ``..`` away before sending.
"""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pytest

from mediavault_dav.db.database import Database
from mediavault_dav.server import Gateway
from mediavault_dav.vault.users import Account
from tests.dav.shares.share_support import Share, make_share, mkcol, put
from tests.support import Client

SECRET = b"TOP-SECRET-CONTENT-42"


@pytest.fixture
def shares_of_alice(gateway: Gateway, alice: Account, alice_client: Client, database: Database) -> dict[str, Share]:
    mkcol(alice_client, "/Files/Public")
    mkcol(alice_client, "/Files/Public/sub")
    put(alice_client, "/Files/Public/sub/ok.txt", b"public")
    put(alice_client, "/Files/Public/...", b"three dots")
    put(alice_client, "/Files/Public/%252e%252e", b"a name that looks encoded")  # named "%2e%2e"
    mkcol(alice_client, "/Files/Private")
    put(alice_client, "/Files/Private/secret.txt", SECRET)
    put(alice_client, "/Files/Public/._secret.txt", SECRET)  # housekeeping: never served
    mkcol(alice_client, "/Albums/Holiday")
    return {
        "folder": make_share(database, gateway.url, alice, "/Files/Public"),
        "file": make_share(database, gateway.url, alice, "/Files/Public/sub/ok.txt"),
        "album": make_share(database, gateway.url, alice, "/Albums/Holiday"),
        "private": make_share(database, gateway.url, alice, "/Files/Private"),
    }


def _raw(base_url: str, method: str, target: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.putrequest(method, target, skip_accept_encoding=True)
        depth = {"Depth": "1"} if method == "PROPFIND" else {}
        for name, value in {**depth, **(headers or {})}.items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _corpus(token: str, other: str) -> list[str]:
    share = f"/s/{token}"
    return [
        f"{share}/../{other}/secret.txt",
        f"{share}/sub/../../{other}/secret.txt",
        f"{share}/../../Files/Private/secret.txt",
        f"{share}/%2e%2e/Private/secret.txt",
        f"{share}/%2E%2E/%2E%2E/Files/Private/secret.txt",
        f"{share}/..%2fPrivate%2fsecret.txt",
        f"{share}/sub%2f..%2f..%2fPrivate%2fsecret.txt",
        f"{share}/..%5cPrivate%5csecret.txt",
        f"{share}/sub\\..\\..\\Private\\secret.txt",
        f"{share}/%252e%252e/%252e%252e/Files/Private/secret.txt",
        f"{share}/%c0%ae%c0%ae/Private/secret.txt",
        f"{share}/%ef%bc%8e%ef%bc%8e/Private/secret.txt",  # fullwidth dots
        f"{share}//Private/secret.txt",
        f"{share}/./sub/../../Private/secret.txt",
        f"{share}/Private/secret.txt",
        f"{share}/secret.txt",
        f"{share}/._secret.txt",
        f"{share}/%00/../secret.txt",
        f"{share}/sub/ok.txt%00.txt",
        "/s/../Files/Private/secret.txt",
        f"/s/{token}/..",
        f"/s/%2e%2e/{other}/secret.txt",
        f"/s/{token}%2f..%2f{other}/secret.txt",
        f"http://evil.example/s/{token}/../{other}/secret.txt",
        # Names that mean "somewhere else" to a shell or a file system mean nothing here.
        f"{share}/~/Private/secret.txt",
        f"{share}/~1/Files/Private/secret.txt",
        f"{share}/%7e/Private/secret.txt",
        f"{share}/$HOME/Private/secret.txt",
        f"{share}/Private.lnk",
        f"{share}/sub/ok.txt/../../Private/secret.txt",
        f"{share}/sub/ok.txt/secret.txt",
    ]


@pytest.mark.parametrize("kind", ["folder", "file", "album"])
@pytest.mark.parametrize("method", ["GET", "HEAD", "PROPFIND"])
def test_traversal_attempts_leak_nothing(gateway: Gateway, shares_of_alice: dict[str, Share],
                                         kind: str, method: str) -> None:
    token, other = shares_of_alice[kind].token, shares_of_alice["private"].token
    for target in _corpus(token, other):
        status, body = _raw(gateway.url, method, target)
        assert status in (400, 404), (target, status, body[:200])
        assert SECRET not in body, target  # (a 404 page may echo the path asked for, never content)


def test_destination_headers_cannot_write_anywhere(gateway: Gateway, shares_of_alice: dict[str, Share],
                                                   alice_client: Client) -> None:
    token = shares_of_alice["folder"].token
    base = gateway.url.rstrip("/")
    for destination in (f"{base}/Files/Private/copy.txt", f"{base}/s/{token}/../../Files/Private/x.txt",
                        f"{base}/s/{token}/sub%2f..%2fcopy.txt", "http://evil.example/x"):
        for method in ("COPY", "MOVE"):
            status, _ = _raw(gateway.url, method, f"/s/{token}/sub/ok.txt", {"Destination": destination})
            assert status in (400, 405), (method, destination, status)
    listing = alice_client.request("PROPFIND", "/Files/Private/", headers={"Depth": "1"})
    assert b"copy.txt" not in listing.content and b"x.txt" not in listing.content
    assert alice_client.request("GET", "/Files/Public/sub/ok.txt").content == b"public"


def test_odd_but_legal_names_serve_exactly_themselves(gateway: Gateway, shares_of_alice: dict[str, Share]) -> None:
    share = shares_of_alice["folder"]
    status, body = _raw(gateway.url, "GET", f"/s/{share.token}/...")
    assert (status, body) == (200, b"three dots")
    status, body = _raw(gateway.url, "GET", f"/s/{share.token}/%252e%252e")  # the file literally named "%2e%2e"
    assert (status, body) == (200, b"a name that looks encoded")
