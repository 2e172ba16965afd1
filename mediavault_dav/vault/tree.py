"""The folder tree: folders and named file entries of one user.

Every function takes the SQLAlchemy session of the caller's transaction and the
user it acts for; a user's rows are only ever selected with that user's id, so
another user's tree is simply not there. Structural changes lock the parent folder
row (FOR NO KEY UPDATE) so two requests cannot create the same name as a file and a
folder at once, and every change is a constant number of statements however large
the folder: MOVE is one UPDATE, DELETE one DELETE (the foreign keys cascade), COPY of
a folder one INSERT per subfolder and one for all files.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mediavault_dav.blobs.store import BlobInfo
from mediavault_dav.vault.errors import Conflict, Forbidden, NotFound, PreconditionFailed
from mediavault_dav.vault.names import check_name

DEFAULT_MIME_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class FolderEntry:
    id: int
    user_id: int
    parent_id: int | None
    name: str
    created_at: datetime
    modified_at: datetime

    @property
    def is_root(self) -> bool:
        return self.parent_id is None


@dataclass(frozen=True)
class FileEntry:
    id: int
    user_id: int
    folder_id: int
    name: str
    hash: str
    size: int
    version: int
    mime_type: str
    media_file_id: int
    created_at: datetime
    modified_at: datetime

    @property
    def etag(self) -> str:
        """Strong validator: changes exactly when content or metadata changes."""
        return f"{self.hash[:20]}-{self.version}"


Entry = FolderEntry | FileEntry

_FOLDER_COLUMNS = "f.id, f.user_id, f.parent_id, f.name, f.created_at, f.modified_at"
_FILE_COLUMNS = (
    "e.id, e.user_id, e.folder_id, e.name, e.hash, e.size_bytes, e.version, m.mime_type, "
    "e.media_file_id, e.created_at, e.modified_at"
)


def _folder(row: sa.Row) -> FolderEntry:
    return FolderEntry(row.id, row.user_id, row.parent_id, row.name, row.created_at, row.modified_at)


def _file(row: sa.Row) -> FileEntry:
    return FileEntry(row.id, row.user_id, row.folder_id, row.name, row.hash, row.size_bytes,
                     row.version, row.mime_type, row.media_file_id, row.created_at, row.modified_at)


# --- reading -----------------------------------------------------------------


_FILE_COLUMNS_PREFIXED = (
    "e.id AS file_id, e.user_id AS file_user_id, e.folder_id AS file_folder_id, e.name AS file_name, "
    "e.hash AS file_hash, e.size_bytes AS file_size_bytes, e.version AS file_version, "
    "m.mime_type AS file_mime_type, e.media_file_id AS file_media_file_id, "
    "e.created_at AS file_created_at, e.modified_at AS file_modified_at"
)


# Built once: sa.text() parses its SQL for bind parameters each time it is called.
_LOCATE = sa.text(
    f"""
    WITH RECURSIVE walk(depth, id) AS (
        SELECT 0, id FROM folders WHERE user_id = :user AND parent_id IS NULL
      UNION ALL
        SELECT w.depth + 1, f.id FROM walk w
        JOIN folders f ON f.parent_id = w.id AND f.user_id = :user
         AND f.name_key = normalize((CAST(:segments AS text[]))[w.depth + 1], NFC)
        WHERE w.depth < :count
    ), deepest AS (
        SELECT depth, id FROM walk ORDER BY depth DESC LIMIT 1
    )
    SELECT deepest.depth, {_FOLDER_COLUMNS}, {_FILE_COLUMNS_PREFIXED}
    FROM deepest JOIN folders f ON f.id = deepest.id
    LEFT JOIN files e ON deepest.depth = :count - 1 AND e.user_id = :user AND e.folder_id = f.id
         AND e.name_key = normalize((CAST(:segments AS text[]))[:count], NFC)
    LEFT JOIN media_files m ON m.id = e.media_file_id
    """
)


@dataclass(frozen=True)
class Located:
    """What a path names, and the folder that would hold it."""

    entry: Entry | None
    parent: FolderEntry | None  # the folder at the path's parent, if it exists


def resolve(session: Session, user_id: int, segments: Sequence[str]) -> Entry | None:
    return locate(session, user_id, segments).entry


def locate(session: Session, user_id: int, segments: Sequence[str]) -> Located:
    """The entry at ``segments`` below the user's root and its parent, in one statement.

    The recursive walk finds the deepest existing folder along the path; when it
    stops one short of the end, that folder is the parent and the last segment is
    looked up as one of its files in the same statement. So a GET costs one round
    trip, and a PUT to a new name learns its parent folder from the same query.
    """
    row = session.execute(
        _LOCATE,
        {"user": user_id, "segments": list(segments), "count": len(segments)},
    ).one_or_none()
    if row is None:
        raise NotFound("the user has no root folder")
    if row.depth == len(segments):
        return Located(_folder(row), None)  # (its parent is not needed: nothing is created in it)
    if row.depth < len(segments) - 1:
        return Located(None, None)
    parent = _folder(row)
    if row.file_id is None:
        return Located(None, parent)
    return Located(FileEntry(row.file_id, row.file_user_id, row.file_folder_id, row.file_name, row.file_hash,
                             row.file_size_bytes, row.file_version, row.file_mime_type,
                             row.file_media_file_id, row.file_created_at, row.file_modified_at), parent)


def find_file(session: Session, user_id: int, folder_id: int, name: str) -> FileEntry | None:
    row = session.execute(
        sa.text(
            f"SELECT {_FILE_COLUMNS} FROM files e JOIN media_files m ON m.id = e.media_file_id "
            "WHERE e.user_id = :user AND e.folder_id = :folder AND e.name_key = normalize(:name, NFC)"
        ),
        {"user": user_id, "folder": folder_id, "name": name},
    ).one_or_none()
    return None if row is None else _file(row)


def list_folder(session: Session, folder: FolderEntry) -> tuple[list[FolderEntry], list[FileEntry]]:
    """The folder's subfolders and files, by name: two statements whatever the size."""
    folders = session.execute(
        sa.text(f"SELECT {_FOLDER_COLUMNS} FROM folders f "
                "WHERE f.user_id = :user AND f.parent_id = :id ORDER BY f.name_key"),
        {"user": folder.user_id, "id": folder.id},
    )
    files = session.execute(
        sa.text(f"SELECT {_FILE_COLUMNS} FROM files e JOIN media_files m ON m.id = e.media_file_id "
                "WHERE e.user_id = :user AND e.folder_id = :id ORDER BY e.name_key"),
        {"user": folder.user_id, "id": folder.id},
    )
    return [_folder(row) for row in folders], [_file(row) for row in files]


# --- writing -----------------------------------------------------------------


def _lock_folder(session: Session, user_id: int, folder_id: int, *, touch: bool = False) -> None:
    """Serialise name changes inside one folder; Conflict if it is gone.

    ``touch`` also sets its modification time, in the same statement (an UPDATE of a
    non-key column takes the same FOR NO KEY UPDATE row lock).
    """
    statement = ("UPDATE folders SET modified_at = now() WHERE id = :id AND user_id = :user RETURNING id"
                 if touch else
                 "SELECT id FROM folders WHERE id = :id AND user_id = :user FOR NO KEY UPDATE")
    if session.execute(sa.text(statement), {"id": folder_id, "user": user_id}).one_or_none() is None:
        raise Conflict("the parent folder no longer exists")


def _name_taken_by_folder(session: Session, user_id: int, parent_id: int, name: str) -> bool:
    return session.execute(
        sa.text("SELECT 1 FROM folders WHERE user_id = :user AND parent_id = :parent "
                "AND name_key = normalize(:name, NFC)"),
        {"user": user_id, "parent": parent_id, "name": name},
    ).first() is not None


def create_folder(session: Session, user_id: int, parent_id: int, name: str) -> FolderEntry:
    check_name(name)
    _lock_folder(session, user_id, parent_id)
    if _name_taken_by_folder(session, user_id, parent_id, name) or find_file(session, user_id, parent_id, name):
        raise Conflict(f"{name!r} already exists")
    row = session.execute(
        sa.text(f"INSERT INTO folders AS f (user_id, parent_id, name) VALUES (:user, :parent, :name) "
                f"RETURNING {_FOLDER_COLUMNS}"),
        {"user": user_id, "parent": parent_id, "name": name},
    ).one()
    _touch_folder(session, parent_id)
    return _folder(row)


def guess_mime_type(name: str, declared: str | None) -> str:
    """By extension first (clients often send octet-stream), then what the client said."""
    guessed, _ = mimetypes.guess_type(name, strict=False)
    if guessed:
        return guessed
    if declared and "/" in declared and len(declared) < 200:
        return declared.split(";")[0].strip().lower() or DEFAULT_MIME_TYPE
    return DEFAULT_MIME_TYPE


_MEDIA_UPSERT = """
    INSERT INTO media_files (uploaded_by, sha256, size_bytes, mime_type)
    VALUES (:user, :sha256, :size, :mime)
    ON CONFLICT ON CONSTRAINT uq_media_files_uploaded_by_sha256 DO UPDATE
       SET size_bytes = EXCLUDED.size_bytes  -- a no-op that makes RETURNING see the row
    RETURNING id, mime_type
"""

# No folder of that name may exist; evaluated after the parent row is locked.
_NO_FOLDER_CLASH = """NOT EXISTS (SELECT 1 FROM folders c WHERE c.user_id = :user AND c.parent_id = :folder
                               AND c.name_key = normalize(:name, NFC))"""

_WRITE_FILE = {
    # If-Match and friends: replace only the version the client saw.
    "compare_and_swap": f"""
        UPDATE files AS e SET hash = :hash, media_file_id = media.id, size_bytes = :size,
               version = e.version + 1, modified_at = now()
        FROM media
        WHERE e.user_id = :user AND e.folder_id = :folder AND e.name_key = normalize(:name, NFC)
          AND e.version = :version AND {_NO_FOLDER_CLASH}""",
    # If-None-Match: *
    "create_only": f"""
        INSERT INTO files AS e (user_id, folder_id, name, hash, media_file_id, size_bytes)
        SELECT :user, :folder, :name, :hash, media.id, :size FROM media WHERE {_NO_FOLDER_CLASH}
        ON CONFLICT ON CONSTRAINT uq_files_user_id_folder_id_name_key DO NOTHING""",
    "create_or_replace": f"""
        INSERT INTO files AS e (user_id, folder_id, name, hash, media_file_id, size_bytes)
        SELECT :user, :folder, :name, :hash, media.id, :size FROM media WHERE {_NO_FOLDER_CLASH}
        ON CONFLICT ON CONSTRAINT uq_files_user_id_folder_id_name_key DO UPDATE
           SET hash = EXCLUDED.hash, media_file_id = EXCLUDED.media_file_id,
               size_bytes = EXCLUDED.size_bytes, version = e.version + 1, modified_at = now()""",
}


def store_file(
    session: Session,
    user_id: int,
    folder_id: int,
    name: str,
    blob: BlobInfo,
    *,
    mime_type: str,
    expected_version: int | None = None,
    must_not_exist: bool = False,
) -> FileEntry:
    """Create or replace the entry ``name`` in one switch; the blob is already safe.

    ``expected_version`` (from If-Match and friends, checked when the request began)
    is re-checked here, in the committing transaction: the entry is replaced only if
    nobody changed it since. ``must_not_exist`` (If-None-Match: *) likewise. Two
    statements: lock (and touch) the parent folder, then catalogue the content in
    ``media_files`` and write the entry together.
    """
    check_name(name)
    _lock_folder(session, user_id, folder_id, touch=True)
    mode = ("compare_and_swap" if expected_version is not None
            else "create_only" if must_not_exist else "create_or_replace")
    row = session.execute(
        sa.text(f"""
            WITH media AS ({_MEDIA_UPSERT}),
            written AS ({_WRITE_FILE[mode]}
                RETURNING e.id, e.user_id, e.folder_id, e.name, e.hash, e.size_bytes, e.version,
                          e.media_file_id, e.created_at, e.modified_at)
            SELECT written.*, media.mime_type FROM written, media
        """),
        {"user": user_id, "folder": folder_id, "name": name, "hash": blob.sha256, "sha256": blob.sha256,
         "size": blob.size, "mime": mime_type, "version": expected_version},
    ).one_or_none()
    if row is None:
        if _name_taken_by_folder(session, user_id, folder_id, name):
            raise Conflict(f"{name!r} is a folder")
        raise PreconditionFailed("the file was changed by someone else meanwhile")
    return FileEntry(row.id, row.user_id, row.folder_id, row.name, row.hash, row.size_bytes,
                     row.version, row.mime_type, row.media_file_id, row.created_at, row.modified_at)


def _file_by_id(session: Session, user_id: int, file_id: int) -> FileEntry:
    row = session.execute(
        sa.text(f"SELECT {_FILE_COLUMNS} FROM files e JOIN media_files m ON m.id = e.media_file_id "
                "WHERE e.user_id = :user AND e.id = :id"),
        {"user": user_id, "id": file_id},
    ).one_or_none()
    if row is None:
        raise NotFound("the file no longer exists")
    return _file(row)


def _touch_folder(session: Session, folder_id: int) -> None:
    session.execute(sa.text("UPDATE folders SET modified_at = now() WHERE id = :id"), {"id": folder_id})


def set_modified(session: Session, entry: Entry, when: datetime) -> Entry:
    """Set an entry's modification time (X-OC-Mtime, Win32LastModifiedTime ...)."""
    if isinstance(entry, FileEntry):
        session.execute(
            sa.text("UPDATE files SET modified_at = :when, version = version + 1 "
                    "WHERE id = :id AND user_id = :user"),
            {"when": when, "id": entry.id, "user": entry.user_id},
        )
        return _file_by_id(session, entry.user_id, entry.id)
    session.execute(
        sa.text("UPDATE folders SET modified_at = :when WHERE id = :id AND user_id = :user"),
        {"when": when, "id": entry.id, "user": entry.user_id},
    )
    return entry


def delete(session: Session, entry: Entry) -> None:
    """Delete a file, or a folder with everything below it (one statement)."""
    if isinstance(entry, FolderEntry):
        if entry.is_root:
            raise Forbidden("the root folder cannot be deleted")
        session.execute(sa.text("DELETE FROM folders WHERE id = :id AND user_id = :user"),
                        {"id": entry.id, "user": entry.user_id})
        parent = entry.parent_id
    else:
        session.execute(sa.text("DELETE FROM files WHERE id = :id AND user_id = :user"),
                        {"id": entry.id, "user": entry.user_id})
        parent = entry.folder_id
    if parent is not None:
        _touch_folder(session, parent)


def _existing(session: Session, user_id: int, folder_id: int, name: str) -> Entry | None:
    folder = session.execute(
        sa.text(f"SELECT {_FOLDER_COLUMNS} FROM folders f WHERE f.user_id = :user "
                "AND f.parent_id = :parent AND f.name_key = normalize(:name, NFC)"),
        {"user": user_id, "parent": folder_id, "name": name},
    ).one_or_none()
    if folder is not None:
        return _folder(folder)
    return find_file(session, user_id, folder_id, name)


def _prepare_target(session: Session, source: Entry, folder_id: int, name: str, replace: bool) -> bool:
    """Lock the target folder, clear an existing target if allowed. True if one existed."""
    check_name(name)
    user_id = source.user_id
    _lock_folder(session, user_id, folder_id)
    existing = _existing(session, user_id, folder_id, name)
    if existing is None:
        return False
    if not replace:
        raise PreconditionFailed(f"{name!r} already exists")
    if isinstance(existing, FolderEntry):
        source_folder = source.id if isinstance(source, FolderEntry) else source.folder_id
        if _is_inside(session, user_id, source_folder, existing.id):
            # Replacing the target would delete the source with it.
            raise Forbidden("the target contains the source")
    delete(session, existing)
    return True


def _is_inside(session: Session, user_id: int, folder_id: int, ancestor_id: int) -> bool:
    """Is ``folder_id`` the folder ``ancestor_id`` or below it?"""
    return session.execute(
        sa.text(
            """
            WITH RECURSIVE up(id, parent_id) AS (
                SELECT id, parent_id FROM folders WHERE id = :start AND user_id = :user
              UNION ALL
                SELECT f.id, f.parent_id FROM folders f JOIN up ON f.id = up.parent_id
            )
            SELECT 1 FROM up WHERE id = :ancestor
            """
        ),
        {"start": folder_id, "ancestor": ancestor_id, "user": user_id},
    ).first() is not None


def move(session: Session, entry: Entry, folder_id: int, name: str, *, replace: bool) -> bool:
    """Rename and/or move in one UPDATE. Returns True if a target was replaced."""
    if isinstance(entry, FolderEntry):
        if entry.is_root:
            raise Forbidden("the root folder cannot be moved")
        if _is_inside(session, entry.user_id, folder_id, entry.id):
            raise Forbidden("a folder cannot be moved into itself")
    replaced = _prepare_target(session, entry, folder_id, name, replace)
    table, parent_column = ("folders", "parent_id") if isinstance(entry, FolderEntry) else ("files", "folder_id")
    session.execute(
        sa.text(f"UPDATE {table} SET {parent_column} = :folder, name = :name, modified_at = now() "
                + (", version = version + 1 " if table == "files" else "")
                + "WHERE id = :id AND user_id = :user"),
        {"folder": folder_id, "name": name, "id": entry.id, "user": entry.user_id},
    )
    old_parent = entry.parent_id if isinstance(entry, FolderEntry) else entry.folder_id
    for touched in {folder_id, old_parent}:
        if touched is not None:
            _touch_folder(session, touched)
    return replaced


def copy(session: Session, entry: Entry, folder_id: int, name: str, *, replace: bool,
         recursive: bool = True) -> bool:
    """Copy without copying bytes: new rows naming the same contents.

    Returns True if a target was replaced. Dead properties are copied too.
    """
    if isinstance(entry, FolderEntry) and _is_inside(session, entry.user_id, folder_id, entry.id):
        raise Forbidden("a folder cannot be copied into itself")
    replaced = _prepare_target(session, entry, folder_id, name, replace)
    if isinstance(entry, FileEntry):
        new_id = session.execute(
            sa.text("INSERT INTO files (user_id, folder_id, name, hash, media_file_id, size_bytes) "
                    "SELECT user_id, :folder, :name, hash, media_file_id, size_bytes FROM files "
                    "WHERE id = :id AND user_id = :user RETURNING id"),
            {"folder": folder_id, "name": name, "id": entry.id, "user": entry.user_id},
        ).scalar_one()
        session.execute(
            sa.text("INSERT INTO dav_properties (file_id, name, value) "
                    "SELECT :new, name, value FROM dav_properties WHERE file_id = :old"),
            {"new": new_id, "old": entry.id},
        )
    else:
        _copy_folder(session, entry, folder_id, name, recursive)
    _touch_folder(session, folder_id)
    return replaced


def _copy_folder(session: Session, source: FolderEntry, folder_id: int, name: str,
                 recursive: bool) -> None:
    user = source.user_id
    if recursive:
        query = """
            WITH RECURSIVE down(id, parent_id, name, depth) AS (
                SELECT id, parent_id, name, 0 FROM folders WHERE id = :root AND user_id = :user
              UNION ALL
                SELECT f.id, f.parent_id, f.name, d.depth + 1 FROM folders f JOIN down d ON f.parent_id = d.id
            )
            SELECT id, parent_id, name FROM down ORDER BY depth"""
    else:
        query = "SELECT id, parent_id, name FROM folders WHERE id = :root AND user_id = :user"
    subtree = session.execute(sa.text(query), {"root": source.id, "user": user}).all()
    mapping: dict[int, int] = {}
    for row in subtree:
        parent = folder_id if row.id == source.id else mapping[row.parent_id]
        mapping[row.id] = session.execute(
            sa.text("INSERT INTO folders (user_id, parent_id, name) VALUES (:user, :parent, :name) RETURNING id"),
            {"user": user, "parent": parent, "name": name if row.id == source.id else row.name},
        ).scalar_one()
    old_ids, new_ids = list(mapping), list(mapping.values())
    params = {"old": old_ids, "new": new_ids, "user": user}
    session.execute(
        sa.text(
            """
            INSERT INTO files (user_id, folder_id, name, hash, media_file_id, size_bytes, created_at, modified_at)
            SELECT e.user_id, m.new_id, e.name, e.hash, e.media_file_id, e.size_bytes, now(), e.modified_at
            FROM files e JOIN unnest(CAST(:old AS bigint[]), CAST(:new AS bigint[])) AS m(old_id, new_id)
              ON e.folder_id = m.old_id
            WHERE e.user_id = :user
            """
        ),
        params,
    )
    session.execute(
        sa.text(
            """
            INSERT INTO dav_properties (folder_id, name, value)
            SELECT m.new_id, p.name, p.value
            FROM dav_properties p JOIN unnest(CAST(:old AS bigint[]), CAST(:new AS bigint[])) AS m(old_id, new_id)
              ON p.folder_id = m.old_id
            """
        ),
        params,
    )
    session.execute(
        sa.text(
            """
            INSERT INTO dav_properties (file_id, name, value)
            SELECT copied.id, p.name, p.value
            FROM dav_properties p
            JOIN files original ON original.id = p.file_id
            JOIN unnest(CAST(:old AS bigint[]), CAST(:new AS bigint[])) AS m(old_id, new_id)
              ON original.folder_id = m.old_id
            JOIN files copied ON copied.folder_id = m.new_id AND copied.name_key = original.name_key
            WHERE original.user_id = :user
            """
        ),
        params,
    )
