"""A password share asks for its password on every method; wrong passwords are throttled."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from mediavault_dav.db.database import Database
from mediavault_dav.server import Gateway
from mediavault_dav.settings import Settings
from mediavault_dav.vault import passwords, share_guard
from mediavault_dav.vault.users import Account
from tests.dav.shares.share_support import Share, activity, make_share, mkcol, put
from tests.support import Client, gateway_with

SHARE_PASSWORD = "open sesame 42"


@pytest.fixture
def protected(gateway: Gateway, alice: Account, alice_client: Client, database: Database) -> Share:
    mkcol(alice_client, "/Files/Shared")
    put(alice_client, "/Files/Shared/a.txt", b"protected content")
    return make_share(database, gateway.url, alice, "/Files/Shared", password=SHARE_PASSWORD)


_REQUESTS = [
    ("GET", "", {}),
    ("GET", "a.txt", {}),
    ("GET", "a.txt", {"Range": "bytes=0-3"}),
    ("GET", "a.txt", {"Range": "bytes=5-"}),
    ("HEAD", "a.txt", {}),
    ("HEAD", "", {}),
    ("PROPFIND", "", {"Depth": "1"}),
    ("PROPFIND", "a.txt", {"Depth": "0"}),
    ("GET", "?download", {}),
    ("GET", "a.txt?download", {}),
    ("GET", "a.txt?preview", {}),
]


@pytest.mark.parametrize(("method", "path", "headers"), _REQUESTS)
def test_every_method_needs_the_password(protected: Share, method: str, path: str, headers: dict[str, str]) -> None:
    url = protected.guest.base_url.rstrip("/") + protected.path + path
    anonymous = requests.request(method, url, headers=headers, timeout=30)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == 'Basic realm="MediaVault share", charset="UTF-8"'
    assert b"protected content" not in anonymous.content
    wrong = requests.request(method, url, headers=headers, auth=("guest", "not it at all"), timeout=30)
    assert wrong.status_code == 401 and b"protected content" not in wrong.content
    right = requests.request(method, url, headers=headers, auth=("any name", SHARE_PASSWORD), timeout=30)
    assert right.status_code in (200, 206, 207), right.status_code


def test_the_password_is_hashed_once_not_per_request(protected: Share) -> None:
    guest = Client(protected.guest.base_url, ("guest", SHARE_PASSWORD))
    before = passwords.verification_count()
    for range_start in range(0, 15, 3):  # a player seeking
        seek = guest.request("GET", protected.path + "a.txt", headers={"Range": f"bytes={range_start}-"})
        assert seek.status_code == 206
    assert passwords.verification_count() == before + 1


@pytest.fixture
def proxied(settings: Settings, database: Database) -> Iterator[Gateway]:
    with gateway_with(settings, database, trusted_proxies=("127.0.0.1/32",)) as running:
        yield running


def test_wrong_passwords_are_throttled_per_network_even_when_the_next_is_right(
        proxied: Gateway, alice: Account, alice_client: Client, database: Database) -> None:
    mkcol(alice_client, "/Files/Shared")
    put(alice_client, "/Files/Shared/a.txt", b"protected content")
    share = make_share(database, proxied.url, alice, "/Files/Shared", password=SHARE_PASSWORD)
    url = proxied.url.rstrip("/") + share.path + "a.txt"

    def attempt(password: str, address: str) -> requests.Response:
        return requests.get(url, auth=("x", password), headers={"X-Forwarded-For": address}, timeout=30)

    for number in range(share_guard.PASSWORD_FAILURE_LIMIT):
        assert attempt(f"guess number {number}", "192.0.2.50").status_code == 401
    before = passwords.verification_count()
    throttled = attempt(SHARE_PASSWORD, "192.0.2.50")
    assert throttled.status_code == 429 and b"protected content" not in throttled.content
    assert throttled.headers["Retry-After"] == str(share_guard.PASSWORD_WINDOW_SECONDS)
    assert passwords.verification_count() == before  # not even checked
    assert attempt(SHARE_PASSWORD, "198.51.100.3").content == b"protected content"
    failed = activity(database, "share.password_failed")
    assert [row.outcome for row in failed] == ["wrong_password"] * share_guard.PASSWORD_FAILURE_LIMIT + ["throttled"]
    assert all(row.resource_id == share.id and row.address == "192.0.2.50" for row in failed)
