"""Tokens: 256 bits, stored only as a hash; one answer for unknown, revoked and expired; guessers get 429."""

from __future__ import annotations

import hashlib
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests
import sqlalchemy as sa

from mediavault_dav.db.database import Database
from mediavault_dav.server import Gateway
from mediavault_dav.settings import Settings
from mediavault_dav.vault import share_guard, shares
from mediavault_dav.vault.users import Account
from tests.dav.shares.share_support import activity, make_share, mkcol, put
from tests.support import Client, gateway_with


@pytest.fixture
def proxied(settings: Settings, database: Database) -> Iterator[Gateway]:
    """A gateway that believes X-Forwarded-For from loopback: each test client can be its own address."""
    with gateway_with(settings, database, trusted_proxies=("127.0.0.1/32",)) as running:
        yield running


def _get(gateway: Gateway, path: str, address: str) -> requests.Response:
    return requests.get(gateway.url.rstrip("/") + path, headers={"X-Forwarded-For": address}, timeout=30)


@pytest.fixture
def folder(alice_client: Client) -> None:
    mkcol(alice_client, "/Files/Shared")
    put(alice_client, "/Files/Shared/a.txt", b"shared")


def test_tokens_have_256_bits_and_only_their_hash_is_stored(gateway: Gateway, alice: Account, folder: None,
                                                            database: Database) -> None:
    made = [make_share(database, gateway.url, alice, "/Files/Shared") for _ in range(5)]
    assert len({share.token for share in made}) == 5
    for share in made:
        assert shares.TOKEN_PATTERN.match(share.token)  # 43 URL-safe characters = 256 bits
    with database.transaction() as session:
        rows = session.execute(sa.text("SELECT * FROM share_links ORDER BY id")).mappings().all()
    for share, row in zip(made, rows, strict=True):
        assert row["token_hash"] == hashlib.sha256(share.token.encode()).hexdigest()
        assert not any(share.token in str(value) for value in row.values())


def test_unknown_revoked_and_expired_shares_get_the_same_404(proxied: Gateway, alice: Account, folder: None,
                                                             database: Database) -> None:
    revoked = make_share(database, proxied.url, alice, "/Files/Shared")
    expired = make_share(database, proxied.url, alice, "/Files/Shared")
    with database.transaction() as session:
        shares.revoke_share(session, shares.get_share_by_id(session, revoked.id))
        session.execute(sa.text("UPDATE share_links SET expires_at = :past WHERE id = :id"),
                        {"past": datetime.now(UTC) - timedelta(minutes=1), "id": expired.id})
    unknown = shares.new_token()
    answers = [_get(proxied, f"/s/{token}/a.txt", f"10.0.0.{number}")
               for number, token in enumerate((unknown, revoked.token, expired.token, "short", ""), start=1)]
    first = answers[0]
    assert first.status_code == 404
    for answer in answers:
        assert answer.status_code == 404
        assert answer.content == first.content
        assert sorted((k, v) for k, v in answer.headers.items() if k != "Date") == \
               sorted((k, v) for k, v in first.headers.items() if k != "Date")
    assert b"shared" not in first.content
    misses = activity(database, "share.miss")
    assert len(misses) == 5 and all(row.outcome == "not_found" and row.user_id is None for row in misses)


def test_the_404s_take_about_the_same_time(proxied: Gateway, alice: Account, folder: None,
                                           database: Database) -> None:
    revoked = make_share(database, proxied.url, alice, "/Files/Shared")
    expired = make_share(database, proxied.url, alice, "/Files/Shared")
    with database.transaction() as session:
        session.execute(sa.text("UPDATE share_links SET revoked_at = now() WHERE id = :id"), {"id": revoked.id})
        session.execute(sa.text("UPDATE share_links SET expires_at = now() - interval '1 hour' WHERE id = :id"),
                        {"id": expired.id})
    tokens = {"unknown": shares.new_token(), "revoked": revoked.token, "expired": expired.token}
    timings: dict[str, list[float]] = {kind: [] for kind in tokens}
    session = requests.Session()
    for round_number in range(15):  # interleaved, each from its own address (no throttling)
        for kind, token in tokens.items():
            started = time.perf_counter()
            answer = session.get(f"{proxied.url.rstrip('/')}/s/{token}/a.txt", timeout=30,
                                 headers={"X-Forwarded-For": f"10.1.{round_number}.{len(timings[kind])}"})
            timings[kind].append(time.perf_counter() - started)
            assert answer.status_code == 404
    medians = {kind: statistics.median(values) for kind, values in timings.items()}
    # Same statement, same work: no difference a guesser could measure (generous bounds for a busy machine).
    assert max(medians.values()) - min(medians.values()) < max(0.004, 0.3 * min(medians.values())), medians


def test_a_network_that_keeps_guessing_is_answered_429_for_a_while(
        proxied: Gateway, alice: Account, folder: None, database: Database) -> None:
    share = make_share(database, proxied.url, alice, "/Files/Shared")
    guesser, neighbour = "192.0.2.7", "198.51.100.9"
    for _ in range(share_guard.MISS_LIMIT):
        assert _get(proxied, f"/s/{shares.new_token()}/", guesser).status_code == 404
    shut_out = _get(proxied, f"/s/{shares.new_token()}/", guesser)
    assert shut_out.status_code == 429
    assert shut_out.headers["Retry-After"] == str(share_guard.MISS_WINDOW_SECONDS)
    # A right guess now would look the same: valid tokens are refused too.
    assert _get(proxied, share.path + "a.txt", guesser).status_code == 429
    # Other networks are not affected.
    assert _get(proxied, share.path + "a.txt", neighbour).content == b"shared"
    # The memory is in PostgreSQL (every gateway process agrees): once the misses age out, it is over.
    with database.transaction() as session:
        session.execute(sa.text("UPDATE activity_logs SET created_at = created_at - make_interval(secs => :s) "
                                "WHERE action = 'share.miss'"), {"s": share_guard.MISS_WINDOW_SECONDS + 1})
    assert _get(proxied, share.path + "a.txt", guesser).content == b"shared"
    throttled = [row for row in activity(database, "share.miss") if row.outcome == "throttled"]
    assert len(throttled) == 2 and {row.address for row in throttled} == {guesser}


def test_ipv6_guesses_are_counted_per_64(proxied: Gateway, alice: Account, folder: None, database: Database) -> None:
    for number in range(share_guard.MISS_LIMIT):
        assert _get(proxied, f"/s/{shares.new_token()}/", f"2001:db8:1:2::{number + 1:x}").status_code == 404
    assert _get(proxied, f"/s/{shares.new_token()}/", "2001:db8:1:2:ffff::1").status_code == 429
    assert _get(proxied, f"/s/{shares.new_token()}/", "2001:db8:1:3::1").status_code == 404
