"""A short-lived, in-process memory of verified credentials.

Explorer and Finder send Basic credentials with every request and many clients
ignore cookies; paying a ~50 ms argon2 hash per request would exhaust the worker
threads. After one successful verification, the pair is remembered (keyed by an
HMAC with a per-process random key, so the memory holds no password) together with
a stamp of the stored hash. Every hit is re-validated with one indexed lookup
(``users.account_if_current``), so a changed password or a disabled account stops
working at once, not when the entry expires.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True)
class Remembered:
    user_id: int
    stamp: str
    expires: float


class CredentialCache:
    def __init__(self, ttl_seconds: float = 300.0, max_entries: int = 10_000) -> None:
        self._key = secrets.token_bytes(32)
        self._ttl = ttl_seconds
        self._max = max_entries
        self._entries: OrderedDict[bytes, Remembered] = OrderedDict()
        self._lock = threading.Lock()

    def _digest(self, username: str, password: str) -> bytes:
        message = username.lower().encode() + b"\x00" + password.encode()
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def lookup(self, username: str, password: str) -> Remembered | None:
        digest = self._digest(username, password)
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None:
                return None
            if entry.expires < time.monotonic():
                del self._entries[digest]
                return None
            self._entries.move_to_end(digest)
            return entry

    def remember(self, username: str, password: str, user_id: int, stamp: str) -> None:
        digest = self._digest(username, password)
        with self._lock:
            self._entries[digest] = Remembered(user_id, stamp, time.monotonic() + self._ttl)
            self._entries.move_to_end(digest)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def forget(self, username: str, password: str) -> None:
        with self._lock:
            self._entries.pop(self._digest(username, password), None)
