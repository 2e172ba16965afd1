"""User accounts: creation, listing, passwords, disabling, and signing in.

Every account is created together with the root of its folder tree, so the rest of
the vault can rely on each user having exactly one.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mediavault_dav.db.models import Folder, User
from mediavault_dav.vault import passwords
from mediavault_dav.vault.errors import Conflict, InvalidInput, NotFound

FIRST_ADMIN_NAME = "admin"
_FIRST_ADMIN_LOCK = 7305022  # advisory lock: two servers starting together make one admin
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Account:
    """What callers outside the vault need to know about a user."""

    id: int
    username: str
    email: str
    is_admin: bool
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None


def _account(user: User) -> Account:
    return Account(user.id, user.username, user.email, user.is_admin, user.is_active,
                   user.created_at, user.last_login_at)


def normalise_username(username: str) -> str:
    name = unicodedata.normalize("NFC", username.strip())
    if not 1 <= len(name) <= 150:
        raise InvalidInput("a user name must have 1 to 150 characters")
    if ":" in name or "/" in name or any(unicodedata.category(ch)[0] in "CZ" and ch != " "
                                         for ch in name):
        # ":" cannot travel in HTTP Basic credentials; "/" would read as a path.
        raise InvalidInput("a user name may not contain ':', '/', control characters or line breaks")
    return name


def normalise_email(email: str) -> str:
    address = email.strip()
    if len(address) > 320 or not _EMAIL.match(address):
        raise InvalidInput(f"{address!r} is not an e-mail address")
    return address


def add_user(session: Session, username: str, email: str, password: str, *,
             is_admin: bool = False) -> Account:
    username = normalise_username(username)
    email = normalise_email(email)
    password_hash = passwords.hash_password(password)
    clash = session.execute(
        sa.select(User.username, User.email).where(
            (sa.func.lower(User.username) == username.lower())
            | (sa.func.lower(User.email) == email.lower())
        )
    ).first()
    if clash is not None:
        _raise_clash(clash.username, username)
    user = User(username=username, email=email, password_hash=password_hash, is_admin=is_admin)
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        # Lost a race with a concurrent add of the same name or address.
        session.rollback()
        raise Conflict(f"a user named {username!r} or with the e-mail {email!r} already exists") from None
    session.add(Folder(user_id=user.id, parent_id=None, name=""))
    session.flush()
    return _account(user)


def _raise_clash(existing_username: str, username: str) -> None:
    if existing_username.lower() == username.lower():
        raise Conflict(f"a user named {username!r} already exists")
    raise Conflict("another user already has that e-mail address")


def list_users(session: Session) -> list[Account]:
    return [_account(user) for user in session.scalars(sa.select(User).order_by(User.id))]


def _by_name(session: Session, username: str) -> User:
    user = session.scalar(
        sa.select(User).where(sa.func.lower(User.username) == username.strip().lower())
    )
    if user is None:
        raise NotFound(f"there is no user named {username!r}")
    return user


def get_account(session: Session, username: str) -> Account:
    """The account named ``username`` (any case); NotFound otherwise."""
    return _account(_by_name(session, username))


def set_password(session: Session, username: str, password: str) -> None:
    user = _by_name(session, username)
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = sa.func.now()


def set_active(session: Session, username: str, active: bool) -> None:
    _by_name(session, username).is_active = active


def authenticate(session: Session, username: str, password: str) -> Account | None:
    """The account if the credentials are right and the account enabled, else None.

    Unknown users cost the same hashing time as known ones, and the caller gets the
    same None for every failure, so nothing tells the cases apart.
    """
    try:
        name = normalise_username(username)
    except InvalidInput:
        passwords.verify_nothing()
        return None
    user = session.scalar(sa.select(User).where(sa.func.lower(User.username) == name.lower()))
    if user is None:
        passwords.verify_nothing()
        return None
    matches, new_hash = passwords.verify(password, user.password_hash)
    if not matches or not user.is_active:
        return None
    if new_hash is not None:
        user.password_hash = new_hash  # e.g. a bcrypt hash upgraded to argon2id
    user.last_login_at = sa.func.now()
    session.flush()
    session.refresh(user)
    return _account(user)


def credential_stamp(password_hash: str) -> str:
    """A short fingerprint of the stored hash: it changes whenever the password does."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:32]


def account_if_current(session: Session, user_id: int, stamp: str) -> Account | None:
    """The account, if it is still enabled and its password unchanged since ``stamp``.

    One indexed lookup, no hashing: how cached credentials and sessions are
    re-validated on every request, so a new password or a disabled account takes
    effect at once.
    """
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    if not hmac.compare_digest(credential_stamp(user.password_hash), stamp):
        return None
    return _account(user)


def stamp_of(session: Session, user_id: int) -> str:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("the user no longer exists")
    return credential_stamp(user.password_hash)


def create_first_admin(session: Session) -> tuple[str, str] | None:
    """On a vault without users, create ``admin`` with a random password.

    Returns (username, password) to show once, or None when users exist already.
    """
    session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _FIRST_ADMIN_LOCK})
    if session.scalar(sa.select(sa.func.count()).select_from(User)):
        return None
    password = secrets.token_urlsafe(18)
    add_user(session, FIRST_ADMIN_NAME, "admin@localhost.localdomain", password, is_admin=True)
    return FIRST_ADMIN_NAME, password
