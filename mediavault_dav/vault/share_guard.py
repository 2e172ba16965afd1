"""How share links defend themselves: throttling guesses, and checking share passwords.

A share token has 256 bits, so guessing one is hopeless; throttling is there to
make trying expensive and visible, and to protect share passwords, which are
chosen by people. Both counters are rows of ``activity_logs`` (every share access
is logged anyway), so every gateway process on the database sees the same
numbers and nothing new has to be kept or cleaned up:

- a client network that got ``MISS_LIMIT`` "no such share" answers (unknown,
  revoked or expired tokens) within ``MISS_WINDOW_SECONDS`` is answered 429 for
  everything under ``/s/`` — valid tokens included, or the difference would tell
  it which guess was right — until its misses fall out of the window. Its 429s
  are misses too, so a client that keeps guessing stays shut out;
- a client network that gave ``PASSWORD_FAILURE_LIMIT`` wrong passwords for one
  share within ``PASSWORD_WINDOW_SECONDS`` is answered 429 for that share, right
  password or not, likewise.

A client network is one IPv4 address or one IPv6 /64 (an IPv6 client usually
controls a whole /64, so counting single addresses would not slow it down).

Share passwords are argon2id hashes like account passwords. A browser or a
mounted drive resends the password with every request (a video being seeked
makes dozens), so a verified password is remembered in this process for a few
minutes, keyed by an HMAC with a per-process random key over the share, its
stored hash and the password: nothing in memory is the password, and a new hash
(or a revoked share, which is never looked up that far) needs a new check.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import threading
import time
from collections import OrderedDict

from mediavault_dav.vault import passwords

MISS_LIMIT = 20
MISS_WINDOW_SECONDS = 600
PASSWORD_FAILURE_LIMIT = 10
PASSWORD_WINDOW_SECONDS = 900
IPV6_PREFIX = 64


def client_network(address: str | None) -> str | None:
    """The network a client's guesses are counted for (CIDR), or None if unknown."""
    if not address:
        return None
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return f"{parsed.ipv4_mapped}/32"
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_PREFIX}", strict=False))
    return f"{parsed}/32"


class SharePasswords:
    """Verifies share passwords, paying the slow hash once per share and password."""

    def __init__(self, ttl_seconds: float = 300.0, max_entries: int = 10_000) -> None:
        self._key = secrets.token_bytes(32)
        self._ttl = ttl_seconds
        self._max = max_entries
        self._verified: OrderedDict[bytes, float] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, share_id: int, password_hash: str, password: str) -> bool:
        digest = hmac.new(self._key, f"{share_id}\x00{password_hash}\x00{password}".encode(),
                          hashlib.sha256).digest()
        now = time.monotonic()
        with self._lock:
            expires = self._verified.get(digest)
            if expires is not None and expires > now:
                self._verified.move_to_end(digest)
                return True
        matches, _ = passwords.verify(password, password_hash)
        if matches:
            with self._lock:
                self._verified[digest] = now + self._ttl
                while len(self._verified) > self._max:
                    self._verified.popitem(last=False)
        return matches
