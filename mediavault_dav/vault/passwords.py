"""Password hashing through the passlib API (installed from libpass).

argon2id with 32 MiB, 2 passes, 1 lane: about 50 ms here, above OWASP's minimum
(19 MiB, t=2, p=1). bcrypt hashes from older MediaVault installations are accepted
and replaced by argon2id at the next successful sign-in (``deprecated="auto"``).
"""

from __future__ import annotations

import threading

from passlib.context import CryptContext

from mediavault_dav.vault.errors import InvalidInput

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024  # bounds hashing work for hostile input

_context = CryptContext(
    schemes=["argon2", "bcrypt"],
    deprecated="auto",
    argon2__type="ID",
    argon2__memory_cost=32 * 1024,
    argon2__rounds=2,
    argon2__parallelism=1,
)


def check_acceptable(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"the password must have at most {MAX_PASSWORD_LENGTH} characters")


def hash_password(password: str) -> str:
    check_acceptable(password)
    return _context.hash(password)


_count_lock = threading.Lock()
_counted = 0


def _count() -> None:
    global _counted
    with _count_lock:
        _counted += 1


def verification_count() -> int:
    """How many slow hashes this process has computed (tests count them)."""
    return _counted


def verify(password: str, stored_hash: str) -> tuple[bool, str | None]:
    """(matches, replacement hash or None). Never raises for a malformed hash."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return False, None
    _count()
    try:
        return _context.verify_and_update(password, stored_hash)
    except (ValueError, TypeError):
        return False, None


def verify_nothing() -> None:
    """Spend the time a real verification would, so unknown users are not told apart."""
    _count()
    _context.dummy_verify()
