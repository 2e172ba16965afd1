"""Backups: the database and the blobs it references, consistent, then restored.

A backup is a directory ``<dest>/mediavault-<UTC time>/``:

- ``database.dump`` — pg_dump, custom format, of one repeatable-read snapshot;
- ``blobs.txt`` — every hash a row of that snapshot names, one per line;
- ``blobs/ab/cd/<sha256>`` — those blobs, each hashed while copied;
- ``manifest.json`` — what it holds, written last.

It is assembled under ``.partial-<name>`` and renamed when complete, so a backup
that was interrupted never looks like one. Order (security.md §3): the blob lock is
taken shared, then the snapshot; pg_dump dumps that snapshot and the referenced
hashes are read from it; the snapshot ends, and the blobs are copied while the lock
still keeps the garbage collector away. Uploads continue meanwhile (they take the
lock shared too): what they add after the snapshot is simply not in this backup,
and every row in the backup has its bytes.

A blob the previous backup in ``dest`` already holds is hard-linked, not copied
(blobs are immutable and named by content, so that is safe): daily backups of a
large vault cost only what changed. Retention deletes complete backups older than
``keep_days`` (never the one just made) and abandoned partial ones.

Restore goes the other way into an empty database and blob directory: the dump's
checksum is checked, every blob is hashed as it is written (through the blob
store's own writer), then pg_restore runs in one transaction.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from mediavault_dav.blobs import BlobStore, LocalBlobStore, StoredBlob
from mediavault_dav.db import dump, maintenance, schema
from mediavault_dav.db.database import Database
from mediavault_dav.settings import Settings
from mediavault_dav.vault import blob_references, fsck
from mediavault_dav.vault.errors import Conflict, InvalidInput

FORMAT = 1
PREFIX = "mediavault-"
PARTIAL = ".partial-"
MANIFEST = "manifest.json"
DUMP_FILE = "database.dump"
BLOB_LIST = "blobs.txt"
_BLOCK = 1024 * 1024

# Every hash a row names, from the snapshot being dumped.
_REFERENCED = "SELECT sha256 FROM media_files UNION SELECT hash FROM files ORDER BY 1"

Progress = Callable[[int], None]  # bytes handled since the last call


@dataclass
class BackupResult:
    path: Path
    blobs: int = 0
    blob_bytes: int = 0
    copied: int = 0
    linked: int = 0
    dump_bytes: int = 0
    damaged: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        data = dict(self.__dict__)
        data["path"] = str(self.path)
        return data


@dataclass
class RestoreResult:
    backup: Path
    blobs: int = 0
    blob_bytes: int = 0
    schema_revision: str | None = None
    missing_after: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        data = dict(self.__dict__)
        data["backup"] = str(self.backup)
        return data


def _blob_path(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256[2:4] / sha256


def _fsync(path: Path) -> None:
    if os.name == "nt" and path.is_dir():
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_BLOCK):
            digest.update(chunk)
    return digest.hexdigest()


# --- backup ------------------------------------------------------------------------


def create_backup(settings: Settings, database_url: str, blobs: LocalBlobStore, dest: Path, *,
                  keep_days: int | None, now: datetime | None = None,
                  progress: Progress | None = None) -> BackupResult:
    started = time.monotonic()
    now = now or datetime.now(UTC)
    dest.mkdir(parents=True, exist_ok=True)
    name = _free_name(dest, now)
    partial = dest / f"{PARTIAL}{name}"
    partial.mkdir()
    result = BackupResult(dest / name)
    previous = _newest_backup(dest)
    target = dump.PgTarget.from_url(database_url, settings)
    try:
        pg_dump = dump.find_tool("pg_dump", settings, dump.server_major(target))
        with dump.SnapshotSession(target, blob_references.BLOB_LOCK) as snapshot:
            snapshot.dump(pg_dump, partial / DUMP_FILE)
            revision = snapshot.scalar("SELECT version_num FROM alembic_version")
            server_version = snapshot.scalar("SHOW server_version")
            with open(partial / BLOB_LIST, "w", encoding="ascii") as listing:
                for (sha,) in snapshot.rows(_REFERENCED):
                    listing.write(sha + "\n")
            snapshot.end_snapshot()
            # Still under the shared lock: gc cannot remove what the snapshot names.
            for sha in _listed(partial / BLOB_LIST):
                _copy_blob(blobs, sha, partial, previous, result, progress)
        manifest = {
            "format": FORMAT, "name": name, "complete": True,
            "created_at": now.isoformat(), "schema_revision": revision,
            "server_version": server_version, "pg_dump_version": dump.tool_version(pg_dump),
            "database_dump": {"file": DUMP_FILE, "bytes": (partial / DUMP_FILE).stat().st_size,
                              "sha256": _sha256_of(partial / DUMP_FILE)},
            "blobs": {"list": BLOB_LIST, "count": result.blobs, "bytes": result.blob_bytes,
                      "damaged_in_vault": result.damaged},
        }
        result.dump_bytes = manifest["database_dump"]["bytes"]  # type: ignore[index]
        for path in (partial / DUMP_FILE, partial / BLOB_LIST):
            _fsync(path)
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        _fsync(partial / MANIFEST)
        os.replace(partial, result.path)
        _fsync(dest)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if keep_days is not None:
        result.pruned = prune(dest, keep_days=keep_days, now=now, keep=result.path)
    result.seconds = round(time.monotonic() - started, 2)
    return result


def _free_name(dest: Path, now: datetime) -> str:
    base = f"{PREFIX}{now:%Y%m%d-%H%M%S}"
    name, counter = base, 2
    while (dest / name).exists() or (dest / f"{PARTIAL}{name}").exists():
        name, counter = f"{base}-{counter}", counter + 1
    return name


def _listed(path: Path) -> Iterator[str]:
    with open(path, encoding="ascii") as listing:
        for line in listing:
            if line.strip():
                yield line.strip()


def _copy_blob(blobs: LocalBlobStore, sha: str, partial: Path, previous: Path | None,
               result: BackupResult, progress: Progress | None) -> None:
    destination = _blob_path(partial / "blobs", sha)
    destination.parent.mkdir(parents=True, exist_ok=True)
    earlier = _blob_path(previous / "blobs", sha) if previous is not None else None
    if earlier is not None and earlier.is_file():
        try:
            os.link(earlier, destination)
            size = destination.stat().st_size
            result.linked += 1
            result.blobs += 1
            result.blob_bytes += size
            if progress:
                progress(size)
            return
        except OSError:
            pass  # another file system, or no hard links: copy instead
    digest, size = hashlib.sha256(), 0
    try:
        with blobs.open(sha) as source, open(destination, "xb") as copy:
            while chunk := source.read(_BLOCK):
                digest.update(chunk)
                copy.write(chunk)
                size += len(chunk)
                if progress:
                    progress(len(chunk))
            copy.flush()
            os.fsync(copy.fileno())
    except FileNotFoundError:
        destination.unlink(missing_ok=True)
        result.damaged.append(f"{sha}: missing from the vault")
        return
    if digest.hexdigest() != sha:
        destination.unlink()
        result.damaged.append(f"{sha}: damaged in the vault (hashes to {digest.hexdigest()})")
        return
    result.copied += 1
    result.blobs += 1
    result.blob_bytes += size


def _read_manifest(path: Path) -> dict[str, object] | None:
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) and manifest.get("complete") is True else None


def _complete_backups(dest: Path) -> Iterator[tuple[Path, datetime]]:
    for entry in sorted(dest.iterdir()):
        if not entry.is_dir() or not entry.name.startswith(PREFIX):
            continue
        manifest = _read_manifest(entry)
        if manifest is None:
            continue
        try:
            created = datetime.fromisoformat(str(manifest["created_at"]))
        except (KeyError, ValueError):
            continue
        yield entry, created


def _newest_backup(dest: Path) -> Path | None:
    backups = sorted(_complete_backups(dest), key=lambda item: item[1])
    return backups[-1][0] if backups else None


def prune(dest: Path, *, keep_days: int, now: datetime, keep: Path) -> list[str]:
    """The seed's retention: delete backups older than ``keep_days``; never ``keep``."""
    cutoff = now - timedelta(days=keep_days)
    removed = []
    for path, created in list(_complete_backups(dest)):
        if path != keep and created < cutoff:
            shutil.rmtree(path)
            removed.append(path.name)
    for entry in dest.iterdir():
        if entry.is_dir() and entry.name.startswith(PARTIAL) and \
                datetime.fromtimestamp(entry.stat().st_mtime, UTC) < cutoff:
            shutil.rmtree(entry, ignore_errors=True)  # an interrupted backup
            removed.append(entry.name)
    return removed


# --- restore -----------------------------------------------------------------------


def restore_backup(settings: Settings, database: Database, database_url: str, blobs: LocalBlobStore,
                   backup: Path, *, progress: Progress | None = None) -> RestoreResult:
    started = time.monotonic()
    manifest = _read_manifest(backup)
    if manifest is None:
        raise InvalidInput(f"{backup} is not a complete MediaVault backup (no complete {MANIFEST})")
    if manifest.get("format") != FORMAT:
        raise InvalidInput(f"{backup} has backup format {manifest.get('format')}, this gateway reads {FORMAT}")
    dumped = manifest["database_dump"]
    assert isinstance(dumped, dict)
    if _sha256_of(backup / DUMP_FILE) != dumped["sha256"]:
        raise InvalidInput(f"{backup / DUMP_FILE} does not match its checksum: the backup is damaged")
    _require_empty(database, blobs)
    result = RestoreResult(backup)
    target = dump.PgTarget.from_url(database_url, settings)
    needed = max(dump.server_major(target), int(manifest.get("pg_dump_version") or 0))  # type: ignore[call-overload]
    pg_restore = dump.find_tool("pg_restore", settings, needed)
    blob_facts = manifest.get("blobs")
    listed_damage = blob_facts.get("damaged_in_vault", []) if isinstance(blob_facts, dict) else []
    damaged = {entry.split(":", 1)[0] for entry in listed_damage}
    try:
        for sha in _listed(backup / BLOB_LIST):
            if sha in damaged:
                continue  # already lost in the vault when the backup was taken; fsck names it
            size = _restore_blob(blobs, backup, sha, progress)
            result.blobs += 1
            result.blob_bytes += size
        dump.restore(target, pg_restore, backup / DUMP_FILE)
    except BaseException:
        for sha in _listed(backup / BLOB_LIST):  # the directory was empty: these are ours
            blobs.delete(sha)
        raise
    # pg_restore leaves the planner without statistics; without them a path lookup
    # plans a scan of the whole folder (db/maintenance.analyze_outdated).
    maintenance.analyze(database.engine)
    result.schema_revision = schema.current_revision(database.engine)
    result.missing_after = fsck.check(database, blobs).missing
    result.seconds = round(time.monotonic() - started, 2)
    return result


def _require_empty(database: Database, blobs: BlobStore) -> None:
    with database.reading() as session:
        tables = session.execute(sa.text(
            "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()")).scalar_one()
    if tables:
        raise Conflict(f"the target database is not empty ({tables} tables): restore needs an empty one")
    if next((item for item in blobs.blobs() if isinstance(item, StoredBlob)), None) is not None:
        raise Conflict("the target blob directory is not empty: restore needs an empty one")


def _restore_blob(blobs: LocalBlobStore, backup: Path, sha: str, progress: Progress | None) -> int:
    source = _blob_path(backup / "blobs", sha)
    writer = blobs.writer()
    digest, size = hashlib.sha256(), 0
    try:
        with open(source, "rb") as stream:
            while chunk := stream.read(_BLOCK):
                digest.update(chunk)
                writer.write(chunk)
                size += len(chunk)
                if progress:
                    progress(len(chunk))
    except FileNotFoundError:
        writer.abort()
        raise InvalidInput(f"blob {sha} is listed but missing from the backup") from None
    except BaseException:
        writer.abort()
        raise
    if digest.hexdigest() != sha:
        writer.abort()
        raise InvalidInput(f"blob {sha} in the backup is damaged (its content hashes to {digest.hexdigest()})")
    writer.finish()
    return size
