"""Password hashing uses libpass's passlib, argon2id, and bcrypt for old hashes."""

from __future__ import annotations

import importlib.metadata

import pytest

from mediavault_dav.vault import passwords


def test_libpass_provides_passlib_and_the_old_passlib_is_not_installed() -> None:
    assert importlib.metadata.version("libpass") >= "1.9.3"
    with pytest.raises(importlib.metadata.PackageNotFoundError):
        importlib.metadata.distribution("passlib")


def test_hashes_are_argon2id_with_the_chosen_cost() -> None:
    stored = passwords.hash_password("a good password")
    assert stored.startswith("$argon2id$v=19$m=32768,t=2,p=1$")
    assert passwords.verify("a good password", stored) == (True, None)
    assert passwords.verify("a bad password", stored)[0] is False


def test_a_malformed_stored_hash_is_a_mismatch_not_a_crash() -> None:
    assert passwords.verify("anything", "not-a-hash") == (False, None)


def test_an_absurdly_long_password_is_refused_without_hashing() -> None:
    assert passwords.verify("x" * 5000, passwords.hash_password("a good password")) == (False, None)
