"""``quota``, ``setting`` and ``audit``: the administrator's policy and the trail of every admin change."""

from __future__ import annotations

import getpass
import json

import pytest
import sqlalchemy as sa

from mediavault_dav.db.database import Database
from mediavault_dav.vault import quotas, system_settings
from mediavault_dav.vault.users import Account
from tests.support import clean_environment, run_cli


@pytest.fixture
def env(database_url: str) -> dict[str, str]:
    return clean_environment(DATABASE_URL=database_url, SESSION_SECRET="s" * 40)


def _admin_rows(database: Database) -> list[sa.Row]:
    with database.reading() as session:
        return list(session.execute(sa.text(
            "SELECT username, action, resource_type, resource_id, outcome, details FROM activity_logs "
            "WHERE username LIKE 'cli:%' ORDER BY id")))


def test_quota_set_and_show(env: dict[str, str], alice: Account, database: Database) -> None:
    assert run_cli("quota", "set", "alice", "2 GiB", env=env).returncode == 0
    shown = json.loads(run_cli("quota", "show", "--user", "alice", "--json", env=env).stdout)
    assert shown == [{"user": "alice", "used_bytes": 0, "limit_bytes": 2 * 1024**3,
                      "available_bytes": 2 * 1024**3, "max_upload_bytes": None}]
    assert run_cli("quota", "set", "alice", "unlimited", env=env).returncode == 0
    with database.reading() as session:
        assert quotas.usage(session, alice.id).limit is None
    bad = run_cli("quota", "set", "alice", "lots", env=env)
    assert bad.returncode == 1 and "GiB" in bad.stderr


def test_settings_are_typed_and_a_bad_value_stores_nothing(env: dict[str, str], database: Database) -> None:
    assert run_cli("setting", "set", "default_quota_bytes", "10 GB", env=env).returncode == 0
    assert run_cli("setting", "set", "audit_retention_days", "90", env=env).returncode == 0
    listed = json.loads(run_cli("setting", "list", "--json", env=env).stdout)
    assert listed == {"default_quota_bytes": 10 * 1000**3, "max_upload_bytes": None, "audit_retention_days": 90}
    refused = run_cli("setting", "set", "audit_retention_days", "forever", env=env)
    assert refused.returncode == 1 and "whole number of days" in refused.stderr
    unknown = run_cli("setting", "set", "colour", "blue", env=env)
    assert unknown.returncode == 1 and "audit_retention_days" in unknown.stderr  # lists the real ones
    assert run_cli("setting", "reset", "default_quota_bytes", env=env).returncode == 0
    with database.reading() as session:
        assert system_settings.get(session, system_settings.DEFAULT_QUOTA_BYTES) is None
        assert system_settings.get(session, system_settings.AUDIT_RETENTION_DAYS) == 90


def test_every_admin_change_is_one_audit_row_naming_the_operator(env: dict[str, str], database: Database) -> None:
    assert run_cli("user", "add", "carol", "--email", "carol@example.com", "--password-stdin",
                   env=env, input="a good password\n").returncode == 0
    assert run_cli("user", "disable", "carol", env=env).returncode == 0
    assert run_cli("quota", "set", "carol", "1 GB", env=env).returncode == 0
    assert run_cli("setting", "set", "max_upload_bytes", "5 GB", env=env).returncode == 0
    assert run_cli("user", "disable", "nobody", env=env).returncode == 1  # refused: no change, no row
    rows = _admin_rows(database)
    assert [row.action for row in rows] == ["admin.user.add", "admin.user.disable", "admin.quota.set",
                                            "admin.setting.set"]
    assert {row.username for row in rows} == {f"cli:{getpass.getuser()}"}
    assert rows[0].resource_type == "user" and rows[0].details["username"] == "carol"
    assert "password" not in json.dumps([row.details for row in rows])


def test_audit_lists_filters_and_prunes_by_the_retention_setting(env: dict[str, str], database: Database) -> None:
    assert run_cli("user", "add", "carol", "--email", "carol@example.com", "--password-stdin",
                   env=env, input="a good password\n").returncode == 0
    with database.transaction() as session:
        session.execute(sa.text(
            "INSERT INTO activity_logs (username, action, outcome, created_at) VALUES "
            "('old', 'put', 'success', now() - interval '400 days'), "
            "('recent', 'put', 'success', now() - interval '2 days')"))
    everything = json.loads(run_cli("audit", "--json", env=env).stdout)
    assert {entry["username"] for entry in everything} >= {"old", "recent"}
    admin = json.loads(run_cli("audit", "--action", "admin", "--json", env=env).stdout)
    assert [entry["action"] for entry in admin] == ["admin.user.add"]
    since = json.loads(run_cli("audit", "--since", "7d", "--action", "put", "--json", env=env).stdout)
    assert [entry["username"] for entry in since] == ["recent"]
    pruned = run_cli("audit", "prune", env=env)
    assert pruned.returncode == 0 and "removed 1 audit rows" in pruned.stdout
    remaining = {entry["username"] for entry in json.loads(run_cli("audit", "--json", env=env).stdout)}
    assert "old" not in remaining and "recent" in remaining


def test_share_changes_are_audit_rows_too(env: dict[str, str], alice: Account, database: Database) -> None:
    created = run_cli("share", "create", "--user", "alice", "/Files", "--json", env=env)
    assert created.returncode == 0, created.stderr
    link = json.loads(created.stdout)
    assert run_cli("share", "revoke", str(link["id"]), env=env).returncode == 0
    rows = [row for row in _admin_rows(database) if row.action.startswith("share.")]
    assert [(row.action, row.resource_type, row.resource_id) for row in rows] == [
        ("share.create", "share_link", link["id"]), ("share.revoke", "share_link", link["id"])]
    assert link["url"].split("/s/")[1].split("/")[0] not in json.dumps([row.details for row in rows])  # no token
