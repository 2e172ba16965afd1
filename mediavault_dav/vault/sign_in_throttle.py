"""Throttling password guesses, per account and per client address, in PostgreSQL.

Every gateway process reads and writes the same ``sign_in_failures`` rows, so a
guesser gains nothing by spreading attempts over nodes. The policy (Nextcloud's
throttler is the model; DAV clients give up after about 30 s):

- the first ``FREE_FAILURES`` failures within ``WINDOW`` cost nothing;
- after that each attempt waits before its password is even checked: 0.5 s, then
  twice as long per further failure, at most ``MAX_DELAY`` (10 s) — the wait comes
  first so a guesser cannot learn the answer sooner by hanging up early;
- from ``BLOCK_AFTER`` failures on, attempts are refused outright for
  ``BLOCK_SECONDS`` (429 with Retry-After), without checking the password;
- a successful sign-in clears the account's and that address's record; a record
  without failures for ``WINDOW`` is forgotten.

An address is counted by network: an IPv4 address alone, an IPv6 /64 (one
customer's prefix). Clients that already hold a session cookie or a remembered
credential never reach the password check, so an account under attack keeps
working on the devices already signed in; only new sign-ins wait.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from sqlalchemy.orm import Session

from mediavault_dav.db.statements import Statement

FREE_FAILURES = 5
BLOCK_AFTER = 10
FIRST_DELAY = 0.5
MAX_DELAY = 10.0
BLOCK_SECONDS = 300
WINDOW_SECONDS = 12 * 3600


@dataclass(frozen=True)
class Verdict:
    delay_seconds: float = 0.0
    refused_for_seconds: int = 0  # > 0: refuse without checking the password


def keys(username: str, client_address: str | None) -> list[str]:
    found = [f"account:{username.strip().lower()[:200]}"]
    network = _network(client_address)
    if network is not None:
        found.append(f"address:{network}")
    return found


def _network(address: str | None) -> str | None:
    try:
        parsed = ipaddress.ip_address(address or "")
    except ValueError:
        return None
    prefix = 32 if parsed.version == 4 else 64
    return str(ipaddress.ip_network(f"{parsed}/{prefix}", strict=False))


_STATE = Statement(
    """SELECT max(failures) AS failures, max(blocked_until) AS blocked_until, now() AS now
       FROM sign_in_failures
       WHERE key = ANY(CAST(:keys AS text[])) AND last_failure_at > now() - make_interval(secs => :window)"""
)

_FAILED = Statement(
    """INSERT INTO sign_in_failures AS f (key, failures, first_failure_at, last_failure_at)
       SELECT key, 1, now(), now() FROM unnest(CAST(:keys AS text[])) AS key
       ON CONFLICT (key) DO UPDATE SET
           failures = CASE WHEN f.last_failure_at <= now() - make_interval(secs => :window)
                           THEN 1 ELSE f.failures + 1 END,
           first_failure_at = CASE WHEN f.last_failure_at <= now() - make_interval(secs => :window)
                                   THEN now() ELSE f.first_failure_at END,
           last_failure_at = now(),
           blocked_until = CASE WHEN f.last_failure_at > now() - make_interval(secs => :window)
                                     AND f.failures + 1 >= :block_after
                                THEN now() + make_interval(secs => :block) END"""
)
_SUCCEEDED = Statement("DELETE FROM sign_in_failures WHERE key = ANY(CAST(:keys AS text[]))")
_FORGET_OLD = Statement(
    "DELETE FROM sign_in_failures WHERE last_failure_at <= now() - make_interval(secs => :window)"
)


def before_attempt(session: Session, attempt_keys: list[str]) -> Verdict:
    """What to do before checking a password for these keys."""
    row = _STATE.first(session, {"keys": attempt_keys, "window": WINDOW_SECONDS})
    if row is None or row.failures is None:
        return Verdict()
    if row.blocked_until is not None and row.blocked_until > row.now:
        return Verdict(refused_for_seconds=max(1, int((row.blocked_until - row.now).total_seconds() + 0.999)))
    if row.failures < FREE_FAILURES:
        return Verdict()
    return Verdict(delay_seconds=min(MAX_DELAY, FIRST_DELAY * 2 ** (row.failures - FREE_FAILURES)))


def failed(session: Session, attempt_keys: list[str]) -> None:
    _FAILED.run(session, {"keys": attempt_keys, "window": WINDOW_SECONDS, "block_after": BLOCK_AFTER,
                          "block": BLOCK_SECONDS})


def succeeded(session: Session, attempt_keys: list[str]) -> None:
    _SUCCEEDED.run(session, {"keys": attempt_keys})


def forget_old(session: Session) -> int:
    """Housekeeping: records without a failure for a whole window."""
    return _FORGET_OLD.run(session, {"window": WINDOW_SECONDS})

