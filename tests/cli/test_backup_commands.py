"""``backup`` and ``restore``: byte-identical round trips, retention, damage, load."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from mediavault_dav.blobs import LocalBlobStore
from mediavault_dav.db.database import Database, SchemaPolicy, open_database
from mediavault_dav.server import Gateway
from mediavault_dav.settings import Settings
from mediavault_dav.vault import fsck, garbage
from mediavault_dav.vault.users import Account
from tests.support import PASSWORD, TEST_SECRET, Client, clean_environment, propfind, run_cli


def _env(url: str, blob_dir: Path, **extra: str) -> dict[str, str]:
    return clean_environment(DATABASE_URL=url, SESSION_SECRET="s" * 40, MEDIAVAULT_BLOB_DIR=str(blob_dir), **extra)


TREE = {
    "/Files/readme.txt": b"hello",
    "/Files/empty.txt": b"",
    "/Files/Photos/2024/beach.jpg": os.urandom(300_000),
    "/Files/Photos/2024/copy of beach.jpg": None,  # same bytes as beach.jpg
    "/Files/Photos/notes.md": "Überall ✓".encode(),
    "/Files/Music/song.flac": os.urandom(1_200_000),
}


def _fill(client: Client) -> dict[str, bytes]:
    for folder in ("/Files/Photos", "/Files/Photos/2024", "/Files/Music"):
        assert client.request("MKCOL", folder).status_code == 201
    stored: dict[str, bytes] = {}
    for path, body in TREE.items():
        content = body if body is not None else TREE["/Files/Photos/2024/beach.jpg"]
        assert client.request("PUT", path, data=content).status_code == 201
        stored[path] = content  # type: ignore[assignment]
    return stored


def _downloads(client: Client, paths: list[str]) -> dict[str, bytes]:
    return {path: client.request("GET", path).content for path in paths}


@pytest.fixture
def restored_settings(empty_database_url: str, tmp_path: Path, settings: Settings) -> Settings:
    return Settings(database_url=empty_database_url, session_secret=TEST_SECRET,
                    data_dir=tmp_path / "restored", port=0, pool_max=4)


def _serve(settings: Settings) -> Iterator[tuple[Gateway, Database]]:
    database = open_database(settings, SchemaPolicy.REQUIRE_CURRENT)
    gateway = Gateway(settings, database)
    gateway.start()
    try:
        yield gateway, database
    finally:
        gateway.stop()
        database.close()


def _never_analyzed(database_url: str) -> list[str]:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(sa.text(
                "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NULL AND last_autoanalyze IS NULL"
                " AND relname IN ('users', 'folders', 'files', 'media_files')")).scalars())
    finally:
        engine.dispose()


def test_backup_then_wipe_then_restore_gives_byte_identical_downloads(
        alice_client: Client, settings: Settings, restored_settings: Settings, tmp_path: Path) -> None:
    stored = _fill(alice_client)
    backups = tmp_path / "backups"
    made = run_cli("backup", str(backups), "--json", env=_env(settings.database_url or "", settings.blob_root))
    assert made.returncode == 0, made.stderr
    result = json.loads(made.stdout)
    assert result["blobs"] == 5 and result["copied"] == 5 and result["damaged"] == []
    backup = Path(result["path"])
    assert sorted(path.name for path in backup.iterdir()) == ["blobs", "blobs.txt", "database.dump", "manifest.json"]

    # The wipe: a new, empty database and an empty blob directory.
    restored = run_cli("restore", str(backup),
                       env=_env(restored_settings.database_url or "", restored_settings.blob_root))
    assert restored.returncode == 0, restored.stderr
    assert _never_analyzed(restored_settings.database_url or "") == []  # pg_restore leaves no statistics
    unique_bytes = sum(len(body) for body in set(stored.values()))
    assert f"5 blobs ({unique_bytes} bytes) verified" in restored.stdout

    for gateway, database in _serve(restored_settings):
        client = Client(gateway.url, ("alice", PASSWORD))
        assert _downloads(client, list(stored)) == stored
        assert set(propfind(client, "/Files/Photos/2024/")) == {
            "/Files/Photos/2024/", "/Files/Photos/2024/beach.jpg", "/Files/Photos/2024/copy of beach.jpg"}
        assert fsck.check(database, LocalBlobStore(restored_settings.blob_root), verify_hashes=True).ok

    again = run_cli("restore", str(backup), env=_env(restored_settings.database_url or "", restored_settings.blob_root))
    assert again.returncode == 1
    assert again.stderr.startswith("mediavault-dav: error: the target database is not empty")


def test_a_second_backup_links_unchanged_blobs_and_retention_prunes_old_ones(
        alice_client: Client, settings: Settings, tmp_path: Path) -> None:
    _fill(alice_client)
    backups = tmp_path / "backups"
    env = _env(settings.database_url or "", settings.blob_root)
    # An old complete backup, an abandoned partial one, and something that is not ours.
    old = backups / "mediavault-20200101-000000"
    old.mkdir(parents=True)
    (old / "manifest.json").write_text(json.dumps({"complete": True, "format": 1,
                                                   "created_at": "2020-01-01T00:00:00+00:00"}))
    partial = backups / ".partial-mediavault-20200102-000000"
    partial.mkdir()
    os.utime(partial, (0, 0))
    unrelated = backups / "notes.txt"
    unrelated.write_text("mine")

    first = json.loads(run_cli("backup", str(backups), "--json", env=env).stdout)
    assert sorted(first["pruned"]) == [partial.name, old.name]
    alice_client.request("PUT", "/Files/new.bin", data=b"new since the first backup")
    second = json.loads(run_cli("backup", str(backups), "--json", env=env).stdout)
    assert (second["copied"], second["linked"]) == (1, 5)
    assert second["pruned"] == [], "the first backup is younger than 7 days"
    assert unrelated.read_text() == "mine"
    names = sorted(path.name for path in backups.iterdir())
    assert names == sorted([Path(first["path"]).name, Path(second["path"]).name, "notes.txt"])


def test_restore_refuses_a_damaged_backup_and_leaves_the_target_empty(
        alice_client: Client, settings: Settings, restored_settings: Settings, tmp_path: Path) -> None:
    stored = _fill(alice_client)
    backups = tmp_path / "backups"
    result = json.loads(run_cli("backup", str(backups), "--json",
                                env=_env(settings.database_url or "", settings.blob_root)).stdout)
    song = hashlib.sha256(stored["/Files/Music/song.flac"]).hexdigest()
    damaged = Path(result["path"]) / "blobs" / song[:2] / song[2:4] / song
    data = bytearray(damaged.read_bytes())
    data[1000] ^= 0xFF
    os.chmod(damaged, 0o600)
    damaged.write_bytes(bytes(data))

    env = _env(restored_settings.database_url or "", restored_settings.blob_root)
    refused = run_cli("restore", result["path"], env=env)
    assert refused.returncode == 1
    assert refused.stderr.strip().startswith(f"mediavault-dav: error: blob {song} in the backup is damaged")
    assert len(refused.stderr.strip().splitlines()) == 1
    assert not any(p.is_file() for p in restored_settings.blob_root.rglob("*") if ".incoming" not in p.parts)
    tables = run_cli("db", "check", "--json", env=env)
    assert json.loads(tables.stdout)["current_revision"] is None, "the database was not touched"

    missing = run_cli("restore", str(tmp_path / "nowhere"), env=env)
    assert missing.returncode == 2 and "does not exist" in missing.stderr


def test_a_backup_taken_while_uploads_and_gc_run_restores_every_file_with_its_bytes(
        alice_client: Client, settings: Settings, database: Database, restored_settings: Settings,
        tmp_path: Path) -> None:
    """F16: files deleted after the snapshot keep their blobs until they are copied."""
    def content(index: int) -> bytes:
        return hashlib.sha256(str(index).encode()).digest() * 2048  # 64 KiB, distinct

    for index in range(150):
        assert alice_client.request("PUT", f"/Files/f{index}.bin", data=content(index)).status_code == 201
    stop = threading.Event()
    failures: list[BaseException] = []

    def churn() -> None:  # new files, dedup hits, and deletions that make garbage
        index = 150
        try:
            while not stop.is_set():
                alice_client.request("PUT", f"/Files/f{index}.bin", data=content(index))
                alice_client.request("PUT", f"/Files/again{index}.bin", data=content(index - 150))
                alice_client.request("DELETE", f"/Files/f{index - 150}.bin")
                index += 1
        except BaseException as error:  # noqa: BLE001
            failures.append(error)

    def collect() -> None:
        try:
            while not stop.is_set():
                garbage.collect(database, LocalBlobStore(settings.blob_root), grace_seconds=0)
        except BaseException as error:  # noqa: BLE001
            failures.append(error)

    workers = [threading.Thread(target=churn), threading.Thread(target=collect)]
    for worker in workers:
        worker.start()
    try:
        made = run_cli("backup", str(tmp_path / "backups"), "--json",
                       env=_env(settings.database_url or "", settings.blob_root))
    finally:
        stop.set()
        for worker in workers:
            worker.join(60)
    assert made.returncode == 0, made.stderr
    assert not failures, failures
    backup = json.loads(made.stdout)
    assert backup["damaged"] == [] and backup["blobs"] >= 150

    restored = run_cli("restore", backup["path"],
                       env=_env(restored_settings.database_url or "", restored_settings.blob_root))
    assert restored.returncode == 0, restored.stderr
    for gateway, database_after in _serve(restored_settings):
        report = fsck.check(database_after, LocalBlobStore(restored_settings.blob_root), verify_hashes=True)
        assert report.ok and report.missing == 0 and report.referenced >= 150
        client = Client(gateway.url, ("alice", PASSWORD))
        names = [path for path in propfind(client, "/Files/") if path.endswith(".bin")]
        assert len(names) >= 150
        for path in names:
            number = int(path.rsplit("/", 1)[1].removeprefix("again").removeprefix("f").removesuffix(".bin"))
            expected = content(number - 150 if "again" in path else number)
            assert client.request("GET", path).content == expected, path


@pytest.mark.slow
def test_restore_into_a_new_data_directory_runs_on_the_embedded_database(
        alice_client: Client, alice: Account, settings: Settings, tmp_path: Path) -> None:
    stored = _fill(alice_client)
    made = json.loads(run_cli("backup", str(tmp_path / "backups"), "--json",
                              env=_env(settings.database_url or "", settings.blob_root)).stdout)
    into = tmp_path / "new-home"
    env = clean_environment(HOME=str(tmp_path))
    restored = run_cli("restore", made["path"], "--into", str(into), env=env, timeout=300)
    assert restored.returncode == 0, restored.stderr
    assert f"mediavault-dav --data-dir {into} serve" in restored.stdout
    embedded = Settings(session_secret=TEST_SECRET, data_dir=into, port=0, pool_max=4)
    database = open_database(embedded, SchemaPolicy.UPGRADE_EMBEDDED)
    gateway = Gateway(embedded, database)
    gateway.start()
    try:
        client = Client(gateway.url, ("alice", PASSWORD))
        assert _downloads(client, list(stored)) == stored
    finally:
        gateway.stop()
        database.close()
    assert (into / "blobs").is_dir() and (into / "postgres" / "PG_VERSION").exists()
