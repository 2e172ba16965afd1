"""Sign-in: one slow hash, then a session cookie or a cached credential; changes bite at once."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests
import sqlalchemy as sa

from mediavault_dav.dav.auth import COOKIE_NAME
from mediavault_dav.db.database import Database
from mediavault_dav.server import Gateway
from mediavault_dav.settings import Settings
from mediavault_dav.vault import passwords, users
from mediavault_dav.vault.credentials import REVALIDATE_SECONDS
from mediavault_dav.vault.users import Account
from tests.support import PASSWORD, Client, gateway_with


def _propfind(client: Client, **kwargs) -> requests.Response:  # noqa: ANN003
    return client.request("PROPFIND", "/Files/", headers={"Depth": "0", **kwargs.pop("headers", {})}, **kwargs)


def _sign_in(client: Client) -> str:
    """The session cookie's value after one Basic sign-in."""
    response = _propfind(client)
    assert response.status_code == 207
    return response.cookies[COOKIE_NAME]


def test_the_first_sign_in_issues_a_signed_session_cookie_backed_by_the_sessions_table(
        alice_client: Client, database: Database, settings: Settings) -> None:
    response = _propfind(alice_client)
    header = response.headers["Set-Cookie"]
    assert header.startswith(f"{COOKIE_NAME}=s%3A")
    for attribute in ("HttpOnly", "Secure", "Path=/", f"Max-Age={settings.session_ttl_ms // 1000}"):
        assert attribute in header
    with database.transaction() as session:
        row = session.execute(sa.text(
            "SELECT sess, expire - (now() AT TIME ZONE 'UTC') AS remaining FROM sessions")).one()
    assert row.sess["cookie"]["originalMaxAge"] == settings.session_ttl_ms
    assert row.sess["mediavault"]["username"] == "alice"
    assert abs(row.remaining.total_seconds() - settings.session_ttl_ms / 1000) < 60


def test_a_cookie_alone_signs_in_without_hashing(alice_client: Client) -> None:
    cookie = _sign_in(alice_client)
    before = passwords.verification_count()
    anonymous = Client(alice_client.base_url, None)
    for _ in range(5):
        assert _propfind(anonymous, cookies={COOKIE_NAME: cookie}).status_code == 207
    assert passwords.verification_count() == before


def test_a_client_that_ignores_cookies_is_hashed_once(alice_client: Client) -> None:
    before = passwords.verification_count()
    for _ in range(10):
        response = _propfind(alice_client)
        assert response.status_code == 207
    assert passwords.verification_count() == before + 1
    # A wrong password is never answered from the cache.
    wrong = Client(alice_client.base_url, ("alice", "not the password"))
    assert _propfind(wrong).status_code == 401
    assert passwords.verification_count() == before + 2


@pytest.mark.parametrize("change", ["password", "disable"])
def test_a_changed_password_or_disabled_account_stops_cookie_and_cache_within_seconds(
        alice_client: Client, database: Database, change: str) -> None:
    cookie = _sign_in(alice_client)
    assert _propfind(alice_client).status_code == 207  # now cached too
    with database.transaction() as session:
        if change == "password":
            users.set_password(session, "alice", "a brand new password")
        else:
            users.set_active(session, "alice", False)
    time.sleep(REVALIDATE_SECONDS + 0.2)  # "within seconds", not at cache expiry (300 s)
    anonymous = Client(alice_client.base_url, None)
    assert _propfind(anonymous, cookies={COOKIE_NAME: cookie}).status_code == 401
    assert _propfind(alice_client).status_code == 401
    if change == "password":
        assert _propfind(Client(alice_client.base_url, ("alice", "a brand new password"))).status_code == 207


@pytest.mark.parametrize("forged", [
    "s%3Aabc.def", "garbage", "s%3A", "s%3Aonly-an-id",
])
def test_a_forged_or_malformed_cookie_is_ignored(anonymous_client: Client, forged: str) -> None:
    response = _propfind(anonymous_client, headers={"Cookie": f"{COOKIE_NAME}={forged}"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_a_cookie_signed_with_another_secret_is_refused(alice_client: Client) -> None:
    cookie = _sign_in(alice_client)
    sid = requests.utils.unquote(cookie)[2:].rpartition(".")[0]
    tampered = requests.utils.quote(f"s:{sid}.{'A' * 43}", safe="")
    assert _propfind(Client(alice_client.base_url, None), cookies={COOKIE_NAME: tampered}).status_code == 401


def test_an_expired_session_is_not_accepted(alice_client: Client, database: Database) -> None:
    cookie = _sign_in(alice_client)
    with database.transaction() as session:
        session.execute(sa.text("UPDATE sessions SET expire = (now() AT TIME ZONE 'UTC') - interval '1 second'"))
    assert _propfind(Client(alice_client.base_url, None), cookies={COOKIE_NAME: cookie}).status_code == 401


def test_a_cookie_for_alice_does_not_override_basic_credentials_for_bob(
        alice_client: Client, bob: Account) -> None:
    cookie = _sign_in(alice_client)
    bob_client = Client(alice_client.base_url, ("bob", PASSWORD))
    bob_client.request("PUT", "/Files/bob.txt", data=b"bob")
    response = bob_client.request("GET", "/Files/bob.txt", cookies={COOKIE_NAME: cookie})
    assert response.status_code == 200 and response.content == b"bob"


@pytest.fixture
def plain_cookie_gateway(settings: Settings, database: Database) -> Iterator[Gateway]:
    with gateway_with(settings, database, secure_cookies=False) as running:
        yield running


def test_secure_cookies_false_drops_the_secure_flag(plain_cookie_gateway: Gateway, alice: Account) -> None:
    response = _propfind(Client(plain_cookie_gateway.url, (alice.username, PASSWORD)))
    assert "Secure" not in response.headers["Set-Cookie"]
