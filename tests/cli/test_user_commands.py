"""``mediavault-dav user ...`` against an external database (DATABASE_URL)."""

from __future__ import annotations

import json

import pytest

from tests.support import clean_environment, run_cli


@pytest.fixture
def env(database_url: str) -> dict[str, str]:
    return clean_environment(DATABASE_URL=database_url, SESSION_SECRET="s" * 40)


def _add(env: dict[str, str], name: str, email: str, password: str = "a good password"):
    return run_cli("user", "add", name, "--email", email, "--password-stdin", env=env, input=password + "\n")


def test_user_add_then_list_as_json(env: dict[str, str]) -> None:
    assert _add(env, "carol", "carol@example.com").returncode == 0
    admin = run_cli("user", "add", "dave", "--email", "dave@example.com", "--admin", "--password-stdin",
                    env=env, input="another password\n")
    assert admin.returncode == 0 and "as administrator" in admin.stdout
    listed = run_cli("user", "list", "--json", env=env)
    accounts = {entry["username"]: entry for entry in json.loads(listed.stdout)}
    assert accounts["carol"]["is_admin"] is False and accounts["dave"]["is_admin"] is True


def test_a_second_user_with_the_same_email_is_a_clear_error(env: dict[str, str]) -> None:
    assert _add(env, "carol", "carol@example.com").returncode == 0
    again = _add(env, "caroline", "CAROL@example.com")
    assert again.returncode == 1
    assert again.stderr == "mediavault-dav: error: another user already has that e-mail address\n"


def test_a_short_password_is_refused_before_anything_is_stored(env: dict[str, str]) -> None:
    result = _add(env, "erin", "erin@example.com", password="short")
    assert result.returncode == 1 and "at least 8 characters" in result.stderr
    assert "erin" not in run_cli("user", "list", env=env).stdout


def test_without_a_terminal_the_password_must_come_from_stdin(env: dict[str, str]) -> None:
    result = run_cli("user", "add", "frank", "--email", "frank@example.com", env=env, input="")
    assert result.returncode == 1 and "--password-stdin" in result.stderr


def test_passwd_and_disable_change_how_a_user_signs_in(env: dict[str, str], database) -> None:
    from mediavault_dav.vault import users

    assert _add(env, "gina", "gina@example.com").returncode == 0
    assert run_cli("user", "passwd", "gina", "--password-stdin", env=env, input="the new password\n").returncode == 0
    with database.transaction() as session:
        assert users.authenticate(session, "gina", "the new password") is not None
    assert run_cli("user", "disable", "gina", env=env).returncode == 0
    with database.transaction() as session:
        assert users.authenticate(session, "gina", "the new password") is None
    missing = run_cli("user", "disable", "nobody", env=env)
    assert missing.returncode == 1 and "no user named 'nobody'" in missing.stderr
