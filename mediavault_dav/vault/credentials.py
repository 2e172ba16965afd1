"""A short-lived, in-process memory of verified sign-ins.

Explorer and Finder send Basic credentials with every request and many clients
ignore cookies; paying a ~50 ms argon2 hash per request would exhaust the worker
threads. After one successful verification the sign-in is remembered, keyed by an
HMAC with a per-process random key (so the memory holds no password or session id),
with the account and a stamp of its stored hash. A hit younger than
``REVALIDATE_SECONDS`` is trusted as is; an older one is re-validated with one
indexed lookup (``users.account_if_current``) before it is trusted again. So a
changed password or a disabled account stops working within two seconds, not when
the entry expires, and a busy client costs one database lookup every two seconds
rather than one per request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, replace

from mediavault_dav.vault.users import Account

REVALIDATE_SECONDS = 2.0


@dataclass(frozen=True)
class Remembered:
    account: Account
    stamp: str
    expires: float
    validated_at: float

    @property
    def is_fresh(self) -> bool:
        return time.monotonic() - self.validated_at < REVALIDATE_SECONDS


class CredentialCache:
    def __init__(self, ttl_seconds: float = 300.0, max_entries: int = 10_000) -> None:
        self._key = secrets.token_bytes(32)
        self._ttl = ttl_seconds
        self._max = max_entries
        self._entries: OrderedDict[bytes, Remembered] = OrderedDict()
        self._lock = threading.Lock()

    def _digest(self, secret: str) -> bytes:
        return hmac.new(self._key, secret.encode(), hashlib.sha256).digest()

    def lookup(self, secret: str) -> Remembered | None:
        digest = self._digest(secret)
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None:
                return None
            if entry.expires < time.monotonic():
                del self._entries[digest]
                return None
            self._entries.move_to_end(digest)
            return entry

    def remember(self, secret: str, account: Account, stamp: str) -> None:
        digest = self._digest(secret)
        now = time.monotonic()
        with self._lock:
            self._entries[digest] = Remembered(account, stamp, now + self._ttl, now)
            self._entries.move_to_end(digest)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def revalidated(self, secret: str, account: Account) -> None:
        """Record that the entry was just checked against the database."""
        digest = self._digest(secret)
        with self._lock:
            entry = self._entries.get(digest)
            if entry is not None:
                self._entries[digest] = replace(entry, account=account, validated_at=time.monotonic())

    def forget(self, secret: str) -> None:
        with self._lock:
            self._entries.pop(self._digest(secret), None)


def basic_secret(username: str, password: str) -> str:
    return "basic\x00" + username.lower() + "\x00" + password


def session_secret(sid: str) -> str:
    return "session\x00" + sid
