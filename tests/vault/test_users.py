"""Accounts: creation, uniqueness, password hashing, sign-in."""

from __future__ import annotations

import bcrypt
import pytest
import sqlalchemy as sa

from mediavault_dav.db.database import Database
from mediavault_dav.db.models import Folder, User
from mediavault_dav.vault import users
from mediavault_dav.vault.errors import Conflict, InvalidInput, NotFound
from tests.support import PASSWORD


def test_a_new_user_gets_an_argon2id_hash_and_one_root_folder(database: Database) -> None:
    with database.transaction() as session:
        account = users.add_user(session, "bob", "bob@example.com", PASSWORD)
    with database.transaction() as session:
        stored = session.get(User, account.id)
        roots = session.scalars(sa.select(Folder).where(Folder.user_id == account.id)).all()
    assert stored is not None and stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash
    assert [(root.parent_id, root.name) for root in roots] == [(None, "")]


@pytest.mark.parametrize(("username", "email", "message"), [
    ("bob", "other@example.com", "a user named 'bob' already exists"),
    ("BOB", "other@example.com", "a user named 'BOB' already exists"),
    ("robert", "Bob@Example.com", "another user already has that e-mail address"),
])
def test_names_and_emails_are_unique_regardless_of_case(database: Database, username: str,
                                                       email: str, message: str) -> None:
    with database.transaction() as session:
        users.add_user(session, "bob", "bob@example.com", PASSWORD)
    with pytest.raises(Conflict, match=message), database.transaction() as session:
        users.add_user(session, username, email, PASSWORD)


@pytest.mark.parametrize(("username", "email", "password", "message"), [
    ("a:b", "a@example.com", PASSWORD, "may not contain ':'"),
    ("", "a@example.com", PASSWORD, "1 to 150 characters"),
    ("ann", "not-an-address", PASSWORD, "is not an e-mail address"),
    ("ann", "a@example.com", "short", "at least 8 characters"),
])
def test_bad_account_details_are_refused_with_a_reason(database: Database, username: str, email: str,
                                                      password: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message), database.transaction() as session:
        users.add_user(session, username, email, password)


def test_authenticate_accepts_only_the_right_password_of_an_active_account(database: Database) -> None:
    with database.transaction() as session:
        users.add_user(session, "bob", "bob@example.com", PASSWORD)
    with database.transaction() as session:
        assert users.authenticate(session, "bob", PASSWORD) is not None
        assert users.authenticate(session, "Bob", PASSWORD) is not None  # names are case-insensitive
        assert users.authenticate(session, "bob", PASSWORD + "x") is None
        assert users.authenticate(session, "nobody", PASSWORD) is None
        users.set_active(session, "bob", False)
    with database.transaction() as session:
        assert users.authenticate(session, "bob", PASSWORD) is None


def test_a_legacy_bcrypt_hash_is_accepted_and_replaced_by_argon2id(database: Database) -> None:
    with database.transaction() as session:
        account = users.add_user(session, "old", "old@example.com", "placeholder-password")
        legacy = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
        session.get(User, account.id).password_hash = legacy
    with database.transaction() as session:
        assert users.authenticate(session, "old", PASSWORD) is not None
    with database.transaction() as session:
        assert session.get(User, account.id).password_hash.startswith("$argon2id$")


def test_changing_a_password_makes_the_old_one_useless(database: Database) -> None:
    with database.transaction() as session:
        users.add_user(session, "bob", "bob@example.com", PASSWORD)
        users.set_password(session, "bob", "a brand new password")
    with database.transaction() as session:
        assert users.authenticate(session, "bob", PASSWORD) is None
        assert users.authenticate(session, "bob", "a brand new password") is not None


def test_changing_an_unknown_users_password_says_so(database: Database) -> None:
    with pytest.raises(NotFound, match="no user named 'ghost'"), database.transaction() as session:
        users.set_password(session, "ghost", PASSWORD)


def test_the_first_admin_is_created_once_with_a_random_password(database: Database) -> None:
    with database.transaction() as session:
        created = users.create_first_admin(session)
    with database.transaction() as session:
        again = users.create_first_admin(session)
        assert created is not None
        name, password = created
        account = users.authenticate(session, name, password)
    assert again is None
    assert account is not None and account.is_admin and len(password) >= 20
