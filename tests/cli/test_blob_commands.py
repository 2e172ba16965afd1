"""``mediavault-dav gc`` and ``fsck`` on a real database and a real blob directory."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from mediavault_dav.blobs import LocalBlobStore
from mediavault_dav.settings import Settings
from tests.support import Client, blob_files, clean_environment, run_cli

TWO_DAYS = 2 * 86400


def _env(settings: Settings) -> dict[str, str]:
    return clean_environment(DATABASE_URL=settings.database_url or "", SESSION_SECRET="s" * 40,
                             MEDIAVAULT_BLOB_DIR=str(settings.blob_root))


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def _blob(settings: Settings, content: bytes) -> Path:
    return LocalBlobStore(settings.blob_root).path_of(hashlib.sha256(content).hexdigest())


def test_gc_spares_a_blob_written_a_moment_ago_and_removes_old_garbage(
        alice_client: Client, settings: Settings) -> None:
    kept, fresh, old = b"still in /Files/", b"deleted a moment ago", b"deleted long ago"
    for name, body in (("kept.txt", kept), ("fresh.txt", fresh), ("old.txt", old)):
        assert alice_client.request("PUT", f"/Files/{name}", data=body).status_code == 201
    assert alice_client.request("DELETE", "/Files/fresh.txt").status_code == 204
    assert alice_client.request("DELETE", "/Files/old.txt").status_code == 204
    _age(_blob(settings, old), TWO_DAYS)
    _age(_blob(settings, kept), TWO_DAYS)  # old, but referenced
    incoming = settings.blob_root / ".incoming"
    abandoned, recent = incoming / "abandoned.part", incoming / "recent.part"
    abandoned.write_bytes(b"x" * 1000)
    recent.write_bytes(b"y" * 10)
    _age(abandoned, TWO_DAYS)

    dry = run_cli("gc", "--dry-run", "--json", env=_env(settings))
    assert dry.returncode == 0, dry.stderr
    planned = json.loads(dry.stdout)
    assert planned["dry_run"] and planned["temporary_files"] == 1 and planned["catalogue_rows"] == 2
    assert _blob(settings, old).exists() and abandoned.exists(), "a dry run removes nothing"

    result = run_cli("gc", env=_env(settings))
    assert result.returncode == 0, result.stderr
    assert "removed 1 blobs (16 B), 2 catalogue rows no entry names, 1 temporary files" in result.stdout
    assert "kept 1 unreferenced blobs younger than 1d" in result.stdout
    assert not _blob(settings, old).exists() and not abandoned.exists()
    assert _blob(settings, fresh).exists() and recent.exists() and _blob(settings, kept).exists()
    assert alice_client.request("GET", "/Files/kept.txt").content == kept

    # With no grace at all the fresh one goes too; the referenced one never does.
    assert run_cli("gc", "--grace", "0", env=_env(settings)).returncode == 0
    assert not _blob(settings, fresh).exists() and _blob(settings, kept).exists()


def test_gc_refuses_a_bad_grace_in_one_line(settings: Settings, database_url: str) -> None:
    result = run_cli("gc", "--grace", "soon", env=_env(settings))
    assert result.returncode == 2 and "'soon' is not a duration" in result.stderr


def test_fsck_finds_a_missing_blob_a_truncated_one_and_with_hashes_a_corrupt_one(
        alice_client: Client, settings: Settings) -> None:
    bodies = {name: os.urandom(50_000) for name in ("gone.bin", "short.bin", "flipped.bin", "fine.bin")}
    alice_client.request("MKCOL", "/Files/Media")
    for name, body in bodies.items():
        assert alice_client.request("PUT", f"/Files/Media/{name}", data=body).status_code == 201
    _blob(settings, bodies["gone.bin"]).unlink()
    with open(_blob(settings, bodies["short.bin"]), "r+b") as handle:
        handle.truncate(100)
    flipped = _blob(settings, bodies["flipped.bin"])
    data = bytearray(flipped.read_bytes())
    data[25_000] ^= 0xFF
    flipped.write_bytes(bytes(data))
    orphan = LocalBlobStore(settings.blob_root).writer()
    orphan.write(b"nobody names me")
    orphan.finish()
    stray = settings.blob_root / "ab" / "notablob.txt"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_text("dropped here by hand")

    quick = run_cli("fsck", env=_env(settings))
    assert quick.returncode == 1
    assert "missing: 1, damaged: 1, strays: 1, orphans: 1" in quick.stdout
    assert "alice:/Files/Media/gone.bin" in quick.stdout and "alice:/Files/Media/short.bin" in quick.stdout
    assert "flipped.bin" not in quick.stdout, "without --verify-hashes only sizes are compared"

    full = json.loads(run_cli("fsck", "--verify-hashes", "--json", env=_env(settings)).stdout)
    assert (full["missing"], full["damaged"], full["strays"], full["orphans"]) == (1, 2, 1, 1)
    kinds = {problem["kind"]: problem["entries"] for problem in full["problems"]}
    assert kinds["hash-mismatch"] == ["alice:/Files/Media/flipped.bin"]
    assert kinds["size-mismatch"] == ["alice:/Files/Media/short.bin"]

    repaired = run_cli("fsck", "--verify-hashes", "--repair", env=_env(settings))
    assert repaired.returncode == 1 and repaired.stdout.count("quarantined to") == 3
    quarantine = settings.blob_root / ".quarantine"
    assert len(list(quarantine.iterdir())) == 3 and not flipped.exists() and not stray.exists()
    after = json.loads(run_cli("fsck", "--verify-hashes", "--json", env=_env(settings)).stdout)
    assert (after["missing"], after["damaged"], after["strays"]) == (3, 0, 0)
    assert alice_client.request("GET", "/Files/Media/fine.bin").content == bodies["fine.bin"]
    assert len(blob_files(settings.blob_root)) >= 2  # fine.bin and the orphan, untouched


def test_fsck_of_a_healthy_vault_exits_zero(alice_client: Client, settings: Settings) -> None:
    for index in range(5):
        alice_client.request("PUT", f"/Files/{index}.txt", data=f"file {index}".encode())
    alice_client.request("COPY", "/Files/0.txt", headers={"Destination": "/Files/copy.txt"})
    result = run_cli("fsck", "--verify-hashes", env=_env(settings))
    assert result.returncode == 0, result.stdout
    assert "5 contents referenced, 5 blobs" in result.stdout and result.stdout.strip().endswith("ok")
