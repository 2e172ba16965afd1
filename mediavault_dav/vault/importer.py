"""Bulk import: a directory tree into a user's ``/Files/`` as one import batch.

Files go through the same two steps as an upload — the blob store's writer, then
``tree.store_file`` under the blob lock — so there is one way to store a file.
Each file is its own transaction, which also updates the batch's counters, so the
``import_batches`` row is exact even if the process is killed.

- **Where**: the tree's folders are recreated below the target folder (default
  ``/Files/<name of the directory>``), created if missing.
- **Counts**: ``imported_files`` are entries whose content was new to the vault,
  ``duplicate_files`` entries whose content the vault already held (no bytes
  stored), ``failed_files`` files that could not be imported (unreadable, a name
  the vault refuses, a different file already under that name); once a batch is
  complete, imported + duplicates + failed = total.
- **Continuing**: running the same import again (same user, directory and target)
  continues the same batch. A file whose entry already exists with the same size
  and modification time (imported files keep their original modification time) is
  skipped without reading it, like rsync's quick check; so an interrupted import
  picks up where it stopped, and a second run of a finished one adds nothing.
  Failures are retried on every run.
- **Never**: symbolic links are not followed, special files (FIFOs, sockets,
  devices) are not opened; both are reported and skipped. An existing different
  file is never overwritten.
- **One at a time**: a batch is held by a PostgreSQL advisory lock while it runs.

Media metadata (dimensions, duration, title, artist) is the media-metadata
module's job; it does not exist yet. When it does, it belongs at ``_after_store``,
which receives the session, the new entry and the source path.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mediavault_dav.blobs import BlobStore
from mediavault_dav.db import maintenance
from mediavault_dav.db.database import Database
from mediavault_dav.vault import blob_references, tree
from mediavault_dav.vault.errors import Conflict, InvalidInput, NotFound, VaultError
from mediavault_dav.vault.names import check_name, split_path

IMPORT_LOCK = 7305050  # with the batch id: pg_try_advisory_lock(IMPORT_LOCK, id)
MAX_RECORDED_ERRORS = 1000
_BLOCK = 1024 * 1024

Progress = Callable[[int, int], None]  # (files handled, bytes read) since the last call


@dataclass
class Batch:
    id: int
    user: str
    source_path: str
    target: str | None
    status: str
    total_files: int
    imported_files: int
    duplicate_files: int
    failed_files: int
    total_bytes: int
    imported_bytes: int
    errors: list[dict[str, str]]
    started_at: datetime
    finished_at: datetime | None


@dataclass
class RunSummary:
    batch: Batch
    already_present: int  # skipped by this run: imported before
    skipped: int  # links and special files, reported in errors


@dataclass(frozen=True)
class _SourceFile:
    relative: str
    path: Path
    size: int
    mtime: datetime


@dataclass(frozen=True)
class _SourceFolder:
    relative: str
    parts: tuple[str, ...]


@dataclass(frozen=True)
class _Unusable:
    relative: str
    reason: str
    counts_as_failure: bool


# What an import writes to, analyzed when it ends.
IMPORTED_TABLES = ("folders", "files", "media_files", "import_batches")


def default_target(source: Path) -> str:
    return f"/Files/{source.name}"


def _target_segments(target: str) -> list[str]:
    if target.rstrip("/") != "/Files" and not target.startswith("/Files/"):
        raise InvalidInput(f"the target must be a folder inside /Files/, got {target!r}")
    return split_path(target.rstrip("/")[len("/Files"):])


def run(database: Database, blobs: BlobStore, *, username: str, source: Path, target: str | None = None,
        progress: Progress | None = None, on_total: Callable[[int, int], None] | None = None) -> RunSummary:
    source = source.expanduser().resolve()
    if not source.is_dir():
        raise InvalidInput(f"{source} is not a directory")
    target = target or default_target(source)
    segments = _target_segments(target)
    with database.transaction() as session:
        user_id = _account_id(session, username)
        folder_id = _ensure_folders(session, user_id, _root_id(session, user_id), segments)
        batch_id = _batch_for(session, user_id, str(source), folder_id)
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as holder:
        # A session-level lock for the whole run: this connection must not time out idle.
        holder.execute(sa.text("SET idle_session_timeout = 0"))
        if not holder.execute(sa.text("SELECT pg_try_advisory_lock(:k, :b)"),
                              {"k": IMPORT_LOCK, "b": batch_id}).scalar_one():
            raise Conflict(f"import batch {batch_id} is running in another process")
        try:
            summary = _run_batch(database, blobs, user_id, batch_id, folder_id, source, progress, on_total)
        finally:
            holder.execute(sa.text("SELECT pg_advisory_unlock(:k, :b)"), {"k": IMPORT_LOCK, "b": batch_id})
            holder.invalidate()  # do not hand the changed session settings to the pool
    # Fresh statistics re-plan a running gateway's lookups in the grown tables at once
    # (db/maintenance.analyze_outdated says why that matters).
    maintenance.analyze(database.engine, IMPORTED_TABLES)
    return summary


def _run_batch(database: Database, blobs: BlobStore, user_id: int, batch_id: int, folder_id: int,
               source: Path, progress: Progress | None,
               on_total: Callable[[int, int], None] | None) -> RunSummary:
    total_files = total_bytes = 0
    for item in _walk(source):
        if isinstance(item, _SourceFile):
            total_files += 1
            total_bytes += item.size
    if on_total is not None:
        on_total(total_files, total_bytes)
    with database.transaction() as session:
        session.execute(sa.text(
            "UPDATE import_batches SET status = 'running', failed_files = 0, errors = '[]'::jsonb, "
            "finished_at = NULL, total_files = :files, total_bytes = :bytes WHERE id = :id"),
            {"files": total_files, "bytes": total_bytes, "id": batch_id})
    already = skipped = 0
    folders: dict[tuple[str, ...], int] = {(): folder_id}
    status = "failed"
    try:
        for item in _walk(source):
            if isinstance(item, _SourceFolder):
                # Depth first: only this folder's ancestors are needed from now on,
                # so the map stays as small as the tree is deep.
                for finished in [key for key in folders if key != item.parts[:len(key)]]:
                    del folders[finished]
                problem = _folder_for(database, user_id, folders, item)
                if problem is not None:
                    _fail(database, batch_id, item.relative, problem, count=False)
                continue
            if isinstance(item, _Unusable):
                _fail(database, batch_id, item.relative, item.reason, count=item.counts_as_failure)
                skipped += not item.counts_as_failure
                continue
            parent = folders.get(tuple(item.relative.split("/")[:-1]))
            if parent is None:
                _fail(database, batch_id, item.relative, "its folder could not be created")
            elif _import_file(database, blobs, user_id, batch_id, parent, item):
                already += 1
            if progress is not None:
                progress(1, item.size)
        status = "completed"
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    finally:
        with database.transaction() as session:
            session.execute(sa.text("UPDATE import_batches SET status = :status, finished_at = now() "
                                    "WHERE id = :id"), {"status": status, "id": batch_id})
    with database.reading() as session:
        return RunSummary(show(session, batch_id), already, skipped)


# --- walking the source --------------------------------------------------------


def _walk(source: Path) -> Iterator[_SourceFile | _SourceFolder | _Unusable]:
    """Depth-first in name order, one directory listing in memory per level."""
    stack: list[tuple[Path, tuple[str, ...]]] = [(source, ())]
    while stack:
        directory, parts = stack.pop()
        if parts:
            yield _SourceFolder("/".join(parts), parts)
        try:
            with os.scandir(directory) as scanned:
                entries = sorted(scanned, key=lambda entry: entry.name)
        except OSError as error:
            yield _Unusable("/".join(parts) or ".", f"cannot list the folder: {error.strerror}", True)
            continue
        subfolders = []
        for entry in entries:
            relative = "/".join((*parts, entry.name))
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError as error:
                yield _Unusable(relative, f"cannot read: {error.strerror}", True)
                continue
            if stat.S_ISLNK(info.st_mode):
                yield _Unusable(relative, "a symbolic link: not followed", False)
            elif stat.S_ISDIR(info.st_mode):
                subfolders.append((Path(entry.path), (*parts, entry.name)))
            elif stat.S_ISREG(info.st_mode):
                yield _SourceFile(relative, Path(entry.path), info.st_size,
                                  datetime.fromtimestamp(info.st_mtime_ns / 1e9, UTC))
            else:
                yield _Unusable(relative, "not a regular file (a device, pipe or socket): skipped", False)
        stack.extend(reversed(subfolders))


# --- the vault side --------------------------------------------------------------


def _account_id(session: Session, username: str) -> int:
    found = session.execute(sa.text("SELECT id FROM users WHERE lower(username) = lower(:name)"),
                            {"name": username.strip()}).scalar()
    if found is None:
        raise NotFound(f"there is no user named {username!r}")
    return int(found)


def _root_id(session: Session, user_id: int) -> int:
    return int(session.execute(sa.text("SELECT id FROM folders WHERE user_id = :u AND parent_id IS NULL"),
                               {"u": user_id}).scalar_one())


def _ensure_folders(session: Session, user_id: int, parent_id: int, names: list[str] | tuple[str, ...]) -> int:
    for name in names:
        existing = session.execute(sa.text(
            "SELECT id FROM folders WHERE user_id = :user AND parent_id = :parent "
            "AND name_key = normalize(:name, NFC)"), {"user": user_id, "parent": parent_id, "name": name}).scalar()
        parent_id = int(existing) if existing is not None else tree.create_folder(session, user_id, parent_id, name).id
    return parent_id


def _folder_for(database: Database, user_id: int, folders: dict[tuple[str, ...], int],
                item: _SourceFolder) -> str | None:
    """Find or create the folder for ``item``; a reason if that is impossible."""
    parent = folders.get(item.parts[:-1])
    if parent is None:
        return "its parent folder could not be created"
    try:
        with database.transaction() as session:
            folders[item.parts] = _ensure_folders(session, user_id, parent,
                                                  [check_name(_decoded(item.parts[-1]))])
    except VaultError as error:
        return f"the folder cannot be created: {error}"
    return None


def _decoded(name: str) -> str:
    """Names that are not valid UTF-8 on disk cannot be stored as text."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput("the name is not valid UTF-8") from None
    return name


def _same_moment(a: datetime, b: datetime) -> bool:
    return abs((a - b).total_seconds()) < 1e-5  # PostgreSQL keeps microseconds


def _import_file(database: Database, blobs: BlobStore, user_id: int, batch_id: int, folder_id: int,
                 item: _SourceFile) -> bool:
    """Import one file; True if an earlier run had imported it already."""
    try:
        name = check_name(_decoded(item.path.name))
    except InvalidInput as error:
        _fail(database, batch_id, item.relative, str(error))
        return False
    with database.reading() as session:
        existing = tree.find_file(session, user_id, folder_id, name)
    if existing is not None:
        if existing.size == item.size and _same_moment(existing.modified_at, item.mtime):
            return True
        _fail(database, batch_id, item.relative, "a different file with this name is already in the vault")
        return False
    writer = blobs.writer()
    try:
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        with os.fdopen(os.open(item.path, flags), "rb", buffering=0) as stream:
            while chunk := stream.read(_BLOCK):
                writer.write(chunk)
    except OSError as error:
        writer.abort()
        _fail(database, batch_id, item.relative, f"cannot read: {error.strerror or error}")
        return False
    except BaseException:
        writer.abort()
        raise
    try:
        with database.transaction() as session:
            info = blob_references.publish(session, writer)
            known = session.execute(sa.text("SELECT EXISTS (SELECT 1 FROM media_files WHERE sha256 = :s)"),
                                    {"s": info.sha256}).scalar_one()
            entry = tree.store_file(session, user_id, folder_id, name, info,
                                    mime_type=tree.guess_mime_type(name, None), must_not_exist=True)
            modified = tree.set_modified(session, entry, item.mtime)  # keep the original time
            assert isinstance(modified, tree.FileEntry)
            entry = modified
            _after_store(session, entry, item.path)
            session.execute(sa.text(
                "UPDATE import_batches SET imported_files = imported_files + :new, "
                "duplicate_files = duplicate_files + :dup, imported_bytes = imported_bytes + :bytes "
                "WHERE id = :id"),
                {"new": 0 if known else 1, "dup": 1 if known else 0, "bytes": 0 if known else info.size,
                 "id": batch_id})
    except VaultError as error:
        writer.abort()
        _fail(database, batch_id, item.relative, str(error))
    except BaseException:
        writer.abort()
        raise
    return False


def _after_store(session: Session, entry: tree.Entry, source: Path) -> None:
    """Where media metadata will be read once the media-metadata module exists."""


def _fail(database: Database, batch_id: int, relative: str, reason: str, *, count: bool = True) -> None:
    with database.transaction() as session:
        session.execute(sa.text(
            "UPDATE import_batches SET failed_files = failed_files + :n, "
            "errors = CASE WHEN jsonb_array_length(coalesce(errors, '[]'::jsonb)) < :cap "
            "THEN coalesce(errors, '[]'::jsonb) || jsonb_build_array(jsonb_build_object('path', "
            "CAST(:path AS text), 'error', CAST(:reason AS text))) ELSE errors END WHERE id = :id"),
            {"n": 1 if count else 0, "cap": MAX_RECORDED_ERRORS, "path": _printable(relative),
             "reason": reason, "id": batch_id})


def _printable(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


# --- batches -----------------------------------------------------------------------


def _batch_for(session: Session, user_id: int, source: str, folder_id: int) -> int:
    existing = session.execute(sa.text(
        "SELECT id FROM import_batches WHERE user_id = :u AND source_path = :s AND target_folder_id = :f "
        "ORDER BY id DESC LIMIT 1"), {"u": user_id, "s": source, "f": folder_id}).scalar()
    if existing is not None:
        return int(existing)
    return int(session.execute(sa.text(
        "INSERT INTO import_batches (user_id, source_path, target_folder_id, status, errors) "
        "VALUES (:u, :s, :f, 'running', '[]'::jsonb) RETURNING id"),
        {"u": user_id, "s": source, "f": folder_id}).scalar_one())


_BATCH_COLUMNS = """
    b.id, u.username, b.source_path, b.target_folder_id, b.status, b.total_files, b.imported_files,
    b.duplicate_files, b.failed_files, b.total_bytes, b.imported_bytes, b.errors, b.started_at, b.finished_at
"""


def _folder_path(session: Session, folder_id: int | None) -> str | None:
    if folder_id is None:
        return None
    names = session.execute(sa.text(
        """
        WITH RECURSIVE up(id, parent_id, name, depth) AS (
            SELECT id, parent_id, name, 0 FROM folders WHERE id = :id
          UNION ALL
            SELECT f.id, f.parent_id, f.name, up.depth + 1 FROM folders f JOIN up ON f.id = up.parent_id
        )
        SELECT name FROM up WHERE parent_id IS NOT NULL ORDER BY depth DESC
        """), {"id": folder_id}).scalars().all()
    return "/Files/" + "/".join(names)


def _batch(session: Session, row: sa.Row) -> Batch:
    return Batch(row.id, row.username, row.source_path, _folder_path(session, row.target_folder_id), row.status,
                 row.total_files, row.imported_files, row.duplicate_files, row.failed_files, row.total_bytes,
                 row.imported_bytes, list(row.errors or []), row.started_at, row.finished_at)


def show(session: Session, batch_id: int) -> Batch:
    row = session.execute(sa.text(f"SELECT {_BATCH_COLUMNS} FROM import_batches b JOIN users u "
                                   "ON u.id = b.user_id WHERE b.id = :id"), {"id": batch_id}).one_or_none()
    if row is None:
        raise NotFound(f"there is no import batch {batch_id}")
    return _batch(session, row)


def list_batches(session: Session, username: str | None = None) -> list[Batch]:
    rows = session.execute(sa.text(
        f"SELECT {_BATCH_COLUMNS} FROM import_batches b JOIN users u ON u.id = b.user_id "
        "WHERE CAST(:user AS text) IS NULL OR lower(u.username) = lower(CAST(:user AS text)) "
        "ORDER BY b.id"), {"user": username}).all()
    return [_batch(session, row) for row in rows]
