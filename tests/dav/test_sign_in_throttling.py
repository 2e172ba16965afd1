"""Password guessing is slowed, then refused, per account and per client address.

Earlier failures are put in place through the ``sign_in_failures`` rows themselves
(as the gateway would have left them) so the tests need not wait out every delay.
"""

from __future__ import annotations

import statistics
import time

import sqlalchemy as sa

from mediavault_dav.db.database import Database
from mediavault_dav.vault import sign_in_throttle
from mediavault_dav.vault.users import Account
from tests.support import Client

WRONG = "not the password at all"


def _propfind(client: Client) -> tuple[int, float, dict[str, str], bytes]:
    started = time.perf_counter()
    response = client.request("PROPFIND", "/Files/", headers={"Depth": "0"})
    return response.status_code, time.perf_counter() - started, dict(response.headers), response.content


def _as(client: Client, user: str, password: str) -> Client:
    return Client(client.base_url, (user, password))


def _set_failures(database: Database, key: str, failures: int) -> None:
    with database.transaction() as session:
        session.execute(sa.text(
            "INSERT INTO sign_in_failures (key, failures, first_failure_at, last_failure_at) "
            "VALUES (:key, :failures, now(), now()) ON CONFLICT (key) DO UPDATE SET failures = :failures"),
            {"key": key, "failures": failures})


def _rows(database: Database) -> dict[str, tuple[int, bool]]:
    with database.transaction() as session:
        rows = session.execute(sa.text(
            "SELECT key, failures, blocked_until > now() AS blocked FROM sign_in_failures")).all()
    return {row.key: (row.failures, bool(row.blocked)) for row in rows}


def test_the_first_failures_are_answered_at_once_then_each_attempt_waits(
        alice_client: Client, alice: Account, database: Database) -> None:
    guesser = _as(alice_client, "alice", WRONG)
    for _ in range(sign_in_throttle.FREE_FAILURES):
        status, seconds, _, _ = _propfind(guesser)
        assert status == 401 and seconds < sign_in_throttle.FIRST_DELAY
    status, seconds, _, _ = _propfind(guesser)
    assert status == 401 and seconds >= sign_in_throttle.FIRST_DELAY
    # The wait comes before the check: the right password waits too, then works.
    status, seconds, _, _ = _propfind(alice_client)
    assert status == 207 and seconds >= 2 * sign_in_throttle.FIRST_DELAY
    assert "account:alice" not in _rows(database)  # a success clears the record


def test_after_too_many_failures_sign_ins_are_refused_for_a_while_even_with_the_password(
        alice_client: Client, alice: Account, database: Database) -> None:
    _set_failures(database, "account:alice", sign_in_throttle.BLOCK_AFTER - 1)
    guesser = _as(alice_client, "alice", WRONG)
    status, _, _, _ = _propfind(guesser)
    assert status == 401
    assert _rows(database)["account:alice"] == (sign_in_throttle.BLOCK_AFTER, True)
    for client in (guesser, alice_client):
        status, seconds, headers, body = _propfind(client)
        assert status == 429 and seconds < sign_in_throttle.FIRST_DELAY
        assert 0 < int(headers["Retry-After"]) <= sign_in_throttle.BLOCK_SECONDS
        assert b"too many failed sign-ins" in body
    # The block ends (as if its time had passed): the password works again, the record goes.
    with database.transaction() as session:
        session.execute(sa.text("UPDATE sign_in_failures SET blocked_until = now() - interval '1 second', "
                                "failures = 0"))
    status, _, _, _ = _propfind(alice_client)
    assert status == 207
    assert _rows(database) == {}


def test_a_client_address_is_throttled_across_accounts(
        alice_client: Client, alice: Account, database: Database) -> None:
    # Spraying one password over many names from one address counts against the address.
    for number in range(sign_in_throttle.FREE_FAILURES):
        status, _, _, _ = _propfind(_as(alice_client, f"someone{number}", WRONG))
        assert status == 401
    assert _rows(database)["address:127.0.0.1/32"][0] == sign_in_throttle.FREE_FAILURES
    status, seconds, _, _ = _propfind(_as(alice_client, "yet-another", WRONG))
    assert status == 401 and seconds >= sign_in_throttle.FIRST_DELAY


def test_an_unknown_user_and_a_wrong_password_look_the_same(
        alice_client: Client, alice: Account, database: Database) -> None:
    answers: dict[str, list[tuple[int, float, bytes]]] = {"unknown": [], "wrong": []}
    for _ in range(4):  # stays under the free failures of each account
        for kind, client in (("unknown", _as(alice_client, "nobody-here", WRONG)),
                             ("wrong", _as(alice_client, "alice", WRONG))):
            status, seconds, headers, body = _propfind(client)
            answers[kind].append((status, seconds, body))
            assert headers["WWW-Authenticate"] == 'Basic realm="MediaVault", charset="UTF-8"'
        with database.transaction() as session:  # keep the shared address under its free failures
            session.execute(sa.text("DELETE FROM sign_in_failures WHERE key LIKE 'address:%'"))
    assert {(status, body) for status, _, body in answers["unknown"]} == \
        {(status, body) for status, _, body in answers["wrong"]}
    unknown = statistics.median(seconds for _, seconds, _ in answers["unknown"])
    wrong = statistics.median(seconds for _, seconds, _ in answers["wrong"])
    assert 0.6 < unknown / wrong < 1.6, (unknown, wrong)


def test_every_password_check_is_in_the_audit_trail(alice_client: Client, alice: Account,
                                                     database: Database) -> None:
    assert _propfind(_as(alice_client, "alice", WRONG))[0] == 401
    assert _propfind(alice_client)[0] == 207
    assert _propfind(alice_client)[0] == 207  # remembered: no new check, no new row
    with database.transaction() as session:
        rows = session.execute(sa.text(
            "SELECT user_id, username, action, outcome, host(client_address) AS address, user_agent "
            "FROM activity_logs WHERE action = 'sign_in' ORDER BY id")).all()
    assert [(row.username, row.outcome) for row in rows] == [("alice", "failure"), ("alice", "success")]
    assert rows[0].user_id is None and rows[1].user_id == alice.id
    assert {row.address for row in rows} == {"127.0.0.1"}
    assert all(row.user_agent.startswith("python-requests/") for row in rows)
