"""``mediavault-dav smart-folder ...`` against an external database (DATABASE_URL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mediavault_dav.db.database import Database
from mediavault_dav.vault.users import Account
from tests.dav.virtual_support import count, names, put
from tests.support import Client, clean_environment, run_cli


@pytest.fixture
def env(database_url: str) -> dict[str, str]:
    return clean_environment(DATABASE_URL=database_url, SESSION_SECRET="s" * 40)


def _rules(tmp_path: Path, rules: object, name: str = "rules.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(rules) if not isinstance(rules, str) else rules)
    return str(path)


def test_create_list_show_update_delete(env: dict[str, str], alice_client: Client, alice: Account,
                                        tmp_path: Path, database: Database) -> None:
    put(alice_client, "/Files/a.jpg", b"a")
    put(alice_client, "/Files/b.png", b"b")
    created = run_cli("smart-folder", "create", "Pictures", "--user", "alice",
                      "--rules", _rules(tmp_path, {"extension": "jpg"}), env=env)
    assert created.returncode == 0, created.stderr
    assert "created smart folder 'Pictures' for alice" in created.stdout
    assert names(alice_client, "/Smart Folders/Pictures/") == ["a.jpg"]

    listed = json.loads(run_cli("smart-folder", "list", "--user", "alice", "--json", env=env).stdout)
    assert [(entry["name"], entry["files"], entry["rules"]) for entry in listed] == [
        ("Pictures", 1, {"extension": "jpg"})]
    table = run_cli("smart-folder", "list", "--user", "alice", env=env).stdout
    assert table.splitlines()[0].split() == ["NAME", "FILES", "UPDATED"] and "Pictures" in table

    updated = run_cli("smart-folder", "update", "Pictures", "--user", "alice", "--rename", "Images",
                      "--rules", "-", env=env, input='{"extension": ["jpg", "png"]}')
    assert updated.returncode == 0, updated.stderr
    shown = json.loads(run_cli("smart-folder", "show", "Images", "--user", "alice", "--json", env=env).stdout)
    assert shown["files"] == ["/Files/a.jpg", "/Files/b.png"]
    assert names(alice_client, "/Smart Folders/") == ["Images"]
    assert "files (2):" in run_cli("smart-folder", "show", "Images", "--user", "alice", env=env).stdout

    assert run_cli("smart-folder", "delete", "Images", "--user", "alice", env=env).returncode == 0
    assert names(alice_client, "/Smart Folders/") == []
    assert count(database, "SELECT count(*) FROM files") == 2


@pytest.mark.parametrize(("rules", "message"), [
    ({"extension": "jpg", "colour": "red"}, "rules: an object holds exactly one field or combinator"),
    ({"all": [{"colour": "red"}]}, "rules.all[0]: unknown field 'colour'; valid fields: name, extension, mime"),
    ({"size": {"minimum": 3}}, "rules.size: unknown key 'minimum'; valid keys: min, max"),
    ({"category": "Holiday snaps"}, "there is no category 'Holiday snaps'; categories: Archives, Audio, Documents"),
    ('{"extension": ', "the rules file is not JSON"),
])
def test_bad_rule_files_are_refused_and_nothing_is_stored(env: dict[str, str], alice: Account, tmp_path: Path,
                                                          database: Database, rules: object, message: str) -> None:
    result = run_cli("smart-folder", "create", "Broken", "--user", "alice",
                     "--rules", _rules(tmp_path, rules), env=env)
    assert result.returncode == 1
    assert result.stderr.startswith("mediavault-dav: error: ") and message in result.stderr, result.stderr
    assert count(database, "SELECT count(*) FROM smart_folders") == 0


def test_clear_errors_for_unknown_users_folders_and_duplicates(env: dict[str, str], alice: Account,
                                                               tmp_path: Path) -> None:
    rules = _rules(tmp_path, {"name": "*"})
    assert "no user named 'nobody'" in run_cli("smart-folder", "list", "--user", "nobody", env=env).stderr
    assert "no smart folder named 'Nope'" in run_cli("smart-folder", "show", "Nope", "--user", "alice", env=env).stderr
    assert run_cli("smart-folder", "create", "All", "--user", "alice", "--rules", rules, env=env).returncode == 0
    again = run_cli("smart-folder", "create", "All", "--user", "alice", "--rules", rules, env=env)
    assert again.returncode == 1 and "already exists" in again.stderr
    nothing = run_cli("smart-folder", "update", "All", "--user", "alice", env=env)
    assert nothing.returncode != 0 and "nothing to change" in nothing.stderr
