"""``mediavault-dav db ...``: upgrade, check, inspect, indexes."""

from __future__ import annotations

import json

import pytest

from mediavault_dav.db.models import SEED_INDEXES, SEED_TABLES
from tests.support import clean_environment, run_cli


def _env(url: str) -> dict[str, str]:
    return clean_environment(DATABASE_URL=url, SESSION_SECRET="s" * 40)


def test_db_upgrade_creates_the_schema_and_check_then_passes(empty_database_url: str) -> None:
    env = _env(empty_database_url)
    before = run_cli("db", "check", env=env)
    assert before.returncode == 1 and "run `mediavault-dav db upgrade`" in before.stdout

    upgraded = run_cli("db", "upgrade", env=env)
    assert upgraded.returncode == 0 and "upgraded from empty to revision" in upgraded.stdout
    assert "already at revision" in run_cli("db", "upgrade", env=env).stdout

    after = run_cli("db", "check", env=env)
    assert after.returncode == 0, after.stdout
    for table in SEED_TABLES:
        assert f"\n{table} " in after.stdout
    assert "seed indexes: all present" in after.stdout


def test_db_check_json_lists_every_table_with_its_privileges(database_url: str) -> None:
    result = run_cli("db", "check", "--json", env=_env(database_url))
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["missing_indexes"] == []
    seed = [table for table in report["tables"] if table["seed_table"]]
    assert len(seed) == 19 and all(table["present"] and not table["missing_privileges"] for table in seed)


def test_db_inspect_shows_columns_and_constraints(database_url: str) -> None:
    result = run_cli("db", "inspect", "sessions", "files", env=_env(database_url))
    assert result.returncode == 0
    assert "primary key sessions_pkey (sid)" in result.stdout
    assert "foreign key fk_files_folder_id_folders (folder_id) -> folders(id) on delete CASCADE" in result.stdout
    described = json.loads(run_cli("db", "inspect", "--json", env=_env(database_url)).stdout)
    assert {table["table"] for table in described} >= set(SEED_TABLES)
    unknown = run_cli("db", "inspect", "nonsense", env=_env(database_url))
    assert unknown.returncode == 1 and "no such table: nonsense" in unknown.stderr


@pytest.mark.parametrize("as_json", [False, True])
def test_db_indexes_lists_every_seed_index(database_url: str, as_json: bool) -> None:
    result = run_cli("db", "indexes", *(["--json"] if as_json else []), env=_env(database_url))
    assert result.returncode == 0
    if as_json:
        rows = json.loads(result.stdout)
        assert {row["name"] for row in rows if row["seed_index"]} == set(SEED_INDEXES)
    else:
        for name in SEED_INDEXES:
            assert name in result.stdout
