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
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from mediavault_dav.blobs.store import BlobInfo
from mediavault_dav.db.statements import Executes, Row, Statement
from mediavault_dav.vault.category_choice import CATEGORY_FOR_MIME_SQL
from mediavault_dav.vault.checksums import Checksums
from mediavault_dav.vault.errors import Conflict, Forbidden, NotFound, PreconditionFailed
from mediavault_dav.vault.housekeeping import is_housekeeping
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
    # Bumped whenever an entry is added, removed, renamed or rewritten inside the
    # folder, or its modification time is set: what its ETag is made of.
    version: int

    @property
    def is_root(self) -> bool:
        return self.parent_id is None

    @property
    def etag(self) -> str:
        """Strong validator of the folder's listing: changes when a member comes,
        goes, is renamed or gets new content (not for changes deeper down)."""
        return f"{self.id}.{self.version}"


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
    md5: str | None  # None only for contents catalogued before checksums were kept
    sha1: str | None

    @property
    def etag(self) -> str:
        """Strong validator made of the content and the modification time, so it
        changes exactly when one of them does (a rename, a lock or a dead property
        leave it alone) and is the same after a restart."""
        return f"{self.hash[:20]}-{_microseconds(self.modified_at):x}"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _microseconds(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


Entry = FolderEntry | FileEntry

FOLDER_COLUMNS = "f.id, f.user_id, f.parent_id, f.name, f.created_at, f.modified_at, f.version"
_FILE_COLUMNS = (
    "e.id, e.user_id, e.folder_id, e.name, e.hash, e.size_bytes, e.version, m.mime_type, "
    "e.media_file_id, e.created_at, e.modified_at, m.md5, m.sha1"
)


def folder_from_row(row: Row) -> FolderEntry:
    return FolderEntry(row.id, row.user_id, row.parent_id, row.name, row.created_at, row.modified_at,
                       row.version)


def _file(row: Row) -> FileEntry:
    return FileEntry(row.id, row.user_id, row.folder_id, row.name, row.hash, row.size_bytes,
                     row.version, row.mime_type, row.media_file_id, row.created_at, row.modified_at,
                     row.md5, row.sha1)


def file_from_prefixed_row(row: Row) -> FileEntry:
    """A file from a row of ``FILE_COLUMNS_PREFIXED`` (beside a folder's columns)."""
    return FileEntry(row.file_id, row.file_user_id, row.file_folder_id, row.file_name, row.file_hash,
                     row.file_size_bytes, row.file_version, row.file_mime_type, row.file_media_file_id,
                     row.file_created_at, row.file_modified_at, row.file_md5, row.file_sha1)


# --- reading -----------------------------------------------------------------


FILE_COLUMNS_PREFIXED = (
    "e.id AS file_id, e.user_id AS file_user_id, e.folder_id AS file_folder_id, e.name AS file_name, "
    "e.hash AS file_hash, e.size_bytes AS file_size_bytes, e.version AS file_version, "
    "m.mime_type AS file_mime_type, e.media_file_id AS file_media_file_id, "
    "e.created_at AS file_created_at, e.modified_at AS file_modified_at, "
    "m.md5 AS file_md5, m.sha1 AS file_sha1"
)


def _locate_statement(start: str) -> Statement:
    """The path walk, from the folder ``start`` selects (it binds ``:user``)."""
    return Statement(
        f"""
        WITH RECURSIVE walk(depth, id) AS (
            SELECT 0, id FROM folders WHERE {start}
          UNION ALL
            SELECT w.depth + 1, f.id FROM walk w
            JOIN folders f ON f.parent_id = w.id AND f.user_id = :user
             AND f.name_key = normalize((CAST(:segments AS text[]))[w.depth + 1], NFC)
            WHERE w.depth < :count
        ), deepest AS (
            SELECT depth, id FROM walk ORDER BY depth DESC LIMIT 1
        )
        SELECT deepest.depth, {FOLDER_COLUMNS}, {FILE_COLUMNS_PREFIXED}
        FROM deepest JOIN folders f ON f.id = deepest.id
        LEFT JOIN files e ON deepest.depth = :count - 1 AND e.user_id = :user AND e.folder_id = f.id
             AND e.name_key = normalize((CAST(:segments AS text[]))[:count], NFC)
        LEFT JOIN media_files m ON m.id = e.media_file_id
        """
    )


_LOCATE = _locate_statement("user_id = :user AND parent_id IS NULL")
# The same walk from a given folder of the user: paths below a folder shared with someone.
_LOCATE_BELOW = _locate_statement("id = :start AND user_id = :user")


@dataclass(frozen=True)
class Located:
    """What a path names, and the folder that would hold it."""

    entry: Entry | None
    parent: FolderEntry | None  # the folder at the path's parent, if it exists


def resolve(session: Session, user_id: int, segments: Sequence[str]) -> Entry | None:
    return locate(session, user_id, segments).entry


def locate(session: Executes, user_id: int, segments: Sequence[str]) -> Located:
    """The entry at ``segments`` below the user's root and its parent, in one statement.

    The recursive walk finds the deepest existing folder along the path; when it
    stops one short of the end, that folder is the parent and the last segment is
    looked up as one of its files in the same statement. So a GET costs one round
    trip, and a PUT to a new name learns its parent folder from the same query.
    """
    row = _LOCATE.first(session, {"user": user_id, "segments": list(segments), "count": len(segments)})
    if row is None:
        raise NotFound("the user has no root folder")
    return _located(row, segments)


def locate_below(session: Executes, folder: FolderEntry, segments: Sequence[str]) -> Located:
    """As ``locate``, for a path below ``folder`` (in its owner's tree), in one statement.

    Nothing above ``folder`` can be named: the walk starts there and only goes down.
    """
    row = _LOCATE_BELOW.first(session, {"user": folder.user_id, "start": folder.id, "segments": list(segments),
                                        "count": len(segments)})
    if row is None:
        return Located(None, None)  # the folder itself is gone
    return _located(row, segments)


def _located(row: Row, segments: Sequence[str]) -> Located:
    if row.depth == len(segments):
        return Located(folder_from_row(row), None)  # (its parent is not needed: nothing is created in it)
    if row.depth < len(segments) - 1:
        return Located(None, None)
    parent = folder_from_row(row)
    if row.file_id is None:
        return Located(None, parent)
    return Located(file_from_prefixed_row(row), parent)


_FIND_FILE = Statement(
    f"SELECT {_FILE_COLUMNS} FROM files e JOIN media_files m ON m.id = e.media_file_id "
    "WHERE e.user_id = :user AND e.folder_id = :folder AND e.name_key = normalize(:name, NFC)"
)


def find_file(session: Session, user_id: int, folder_id: int, name: str) -> FileEntry | None:
    row = _FIND_FILE.first(session, {"user": user_id, "folder": folder_id, "name": name})
    return None if row is None else _file(row)


_LIST_FOLDERS = Statement(
    f"SELECT {FOLDER_COLUMNS} FROM folders f WHERE f.user_id = :user AND f.parent_id = :id ORDER BY f.name_key"
)
_LIST_FILES = Statement(
    f"SELECT {_FILE_COLUMNS} FROM files e JOIN media_files m ON m.id = e.media_file_id "
    "WHERE e.user_id = :user AND e.folder_id = :id ORDER BY e.name_key"
)


def list_folder(session: Session, folder: FolderEntry) -> tuple[list[FolderEntry], list[FileEntry]]:
    """The folder's subfolders and files, by name: two statements whatever the size."""
    parameters = {"user": folder.user_id, "id": folder.id}
    folders = _LIST_FOLDERS.all(session, parameters)
    files = _LIST_FILES.all(session, parameters)
    return [folder_from_row(row) for row in folders], [_file(row) for row in files]


# --- writing -----------------------------------------------------------------


_LOCK_FOLDER = Statement("SELECT id FROM folders WHERE id = :id AND user_id = :user FOR NO KEY UPDATE")
# An UPDATE of a non-key column takes the same FOR NO KEY UPDATE row lock.
_LOCK_AND_TOUCH_FOLDER = Statement(
    "UPDATE folders SET modified_at = now(), version = version + 1 WHERE id = :id AND user_id = :user RETURNING id"
)


def _lock_folder(session: Session, user_id: int, folder_id: int, *, touch: bool = False) -> None:
    """Serialise name changes inside one folder; Conflict if it is gone.

    ``touch`` also sets its modification time, in the same statement.
    """
    statement = _LOCK_AND_TOUCH_FOLDER if touch else _LOCK_FOLDER
    if statement.first(session, {"id": folder_id, "user": user_id}) is None:
        raise Conflict("the parent folder no longer exists")


_FOLDER_NAMED = Statement(
    f"SELECT {FOLDER_COLUMNS} FROM folders f WHERE f.user_id = :user AND f.parent_id = :parent "
    "AND f.name_key = normalize(:name, NFC)"
)


def _name_taken_by_folder(session: Session, user_id: int, parent_id: int, name: str) -> bool:
    return _FOLDER_NAMED.first(session, {"user": user_id, "parent": parent_id, "name": name}) is not None


_INSERT_FOLDER = Statement(
    f"INSERT INTO folders AS f (user_id, parent_id, name) VALUES (:user, :parent, :name) RETURNING {FOLDER_COLUMNS}"
)


def create_folder(session: Session, user_id: int, parent_id: int, name: str) -> FolderEntry:
    check_name(name)
    _lock_folder(session, user_id, parent_id)
    if _name_taken_by_folder(session, user_id, parent_id, name) or find_file(session, user_id, parent_id, name):
        raise Conflict(f"{name!r} already exists")
    row = _INSERT_FOLDER.first(session, {"user": user_id, "parent": parent_id, "name": name})
    _touch_folder(session, parent_id)
    return folder_from_row(row)


def guess_mime_type(name: str, declared: str | None) -> str:
    """By extension first (clients often send octet-stream), then what the client said.

    Housekeeping files are never typed by their extension: ``._photo.jpg`` is
    Finder's metadata, not a JPEG, and must not pass for one.
    """
    if is_housekeeping(name):
        return DEFAULT_MIME_TYPE
    guessed, _ = mimetypes.guess_type(name, strict=False)
    if guessed:
        return guessed
    if declared and "/" in declared and len(declared) < 200:
        return declared.split(";")[0].strip().lower() or DEFAULT_MIME_TYPE
    return DEFAULT_MIME_TYPE


# New content takes its category from its content type (vault/category_choice.py).
_MEDIA_UPSERT = f"""
    INSERT INTO media_files (uploaded_by, sha256, size_bytes, mime_type, category_id, md5, sha1)
    VALUES (:user, :sha256, :size, :mime, {CATEGORY_FOR_MIME_SQL}, :md5, :sha1)
    ON CONFLICT ON CONSTRAINT uq_media_files_uploaded_by_sha256 DO UPDATE
       SET size_bytes = EXCLUDED.size_bytes,  -- a no-op that makes RETURNING see the row
           category_id = COALESCE(media_files.category_id, EXCLUDED.category_id),
           md5 = coalesce(media_files.md5, EXCLUDED.md5),
           sha1 = coalesce(media_files.sha1, EXCLUDED.sha1)
    RETURNING id, mime_type, md5, sha1
"""
# The client's modification time (X-OC-Mtime) or, without one, the moment of the write.
_MODIFIED = "coalesce(CAST(:modified AS timestamptz), now())"

# No folder of that name may exist; evaluated after the parent row is locked.
_NO_FOLDER_CLASH = """NOT EXISTS (SELECT 1 FROM folders c WHERE c.user_id = :user AND c.parent_id = :folder
                               AND c.name_key = normalize(:name, NFC))"""

_WRITE_FILE = {
    # If-Match and friends: replace only the version the client saw.
    "compare_and_swap": f"""
        UPDATE files AS e SET hash = :hash, media_file_id = media.id, size_bytes = :size,
               version = e.version + 1, modified_at = {_MODIFIED}
        FROM media
        WHERE e.user_id = :user AND e.folder_id = :folder AND e.name_key = normalize(:name, NFC)
          AND e.version = :version AND {_NO_FOLDER_CLASH}""",
    # If-None-Match: *
    "create_only": f"""
        INSERT INTO files AS e (user_id, folder_id, name, hash, media_file_id, size_bytes, modified_at)
        SELECT :user, :folder, :name, :hash, media.id, :size, {_MODIFIED} FROM media WHERE {_NO_FOLDER_CLASH}
        ON CONFLICT ON CONSTRAINT uq_files_user_id_folder_id_name_key DO NOTHING""",
    "create_or_replace": f"""
        INSERT INTO files AS e (user_id, folder_id, name, hash, media_file_id, size_bytes, modified_at)
        SELECT :user, :folder, :name, :hash, media.id, :size, {_MODIFIED} FROM media WHERE {_NO_FOLDER_CLASH}
        ON CONFLICT ON CONSTRAINT uq_files_user_id_folder_id_name_key DO UPDATE
           SET hash = EXCLUDED.hash, media_file_id = EXCLUDED.media_file_id,
               size_bytes = EXCLUDED.size_bytes, version = e.version + 1, modified_at = EXCLUDED.modified_at""",
}
_STORE_FILE = {
    mode: Statement(f"""
        WITH media AS ({_MEDIA_UPSERT}),
        written AS ({write}
            RETURNING e.id, e.user_id, e.folder_id, e.name, e.hash, e.size_bytes, e.version,
                      e.media_file_id, e.created_at, e.modified_at)
        SELECT written.*, media.mime_type, media.md5, media.sha1 FROM written, media
    """)
    for mode, write in _WRITE_FILE.items()
}


def store_file(
    session: Session,
    user_id: int,
    folder_id: int,
    name: str,
    blob: BlobInfo,
    *,
    mime_type: str,
    checksums: Checksums | None = None,
    modified_at: datetime | None = None,
    expected_version: int | None = None,
    must_not_exist: bool = False,
) -> FileEntry:
    """Create or replace the entry ``name`` in one switch; the blob is already safe.

    ``checksums`` are the content's MD5 and SHA-1 (kept with the catalogue row if
    it has none yet); ``modified_at`` the modification time the client gave (else
    now).

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
    row = _STORE_FILE[mode].first(
        session,
        {"user": user_id, "folder": folder_id, "name": name, "hash": blob.sha256, "sha256": blob.sha256,
         "size": blob.size, "mime": mime_type, "version": expected_version, "modified": modified_at,
         "md5": checksums.md5 if checksums else None, "sha1": checksums.sha1 if checksums else None},
    )
    if row is None:
        if _name_taken_by_folder(session, user_id, folder_id, name):
            raise Conflict(f"{name!r} is a folder")
        raise PreconditionFailed("the file was changed by someone else meanwhile")
    return _file(row)


_FILE_BY_ID = Statement(
    f"SELECT {_FILE_COLUMNS} FROM files e JOIN media_files m ON m.id = e.media_file_id "
    "WHERE e.user_id = :user AND e.id = :id"
)
_TOUCH_FOLDER = Statement("UPDATE folders SET modified_at = now(), version = version + 1 WHERE id = :id")
_SET_FILE_MODIFIED = Statement(
    "UPDATE files SET modified_at = :when, version = version + 1 WHERE id = :id AND user_id = :user"
)
_SET_FOLDER_MODIFIED = Statement(
    f"UPDATE folders AS f SET modified_at = :when, version = version + 1 WHERE id = :id AND user_id = :user "
    f"RETURNING {FOLDER_COLUMNS}"
)


def _file_by_id(session: Session, user_id: int, file_id: int) -> FileEntry:
    row = _FILE_BY_ID.first(session, {"user": user_id, "id": file_id})
    if row is None:
        raise NotFound("the file no longer exists")
    return _file(row)


def _touch_folder(session: Session, folder_id: int) -> None:
    _TOUCH_FOLDER.run(session, {"id": folder_id})


def set_modified(session: Session, entry: Entry, when: datetime) -> Entry:
    """Set an entry's modification time (X-OC-Mtime, Win32LastModifiedTime ...)."""
    parameters = {"when": when, "id": entry.id, "user": entry.user_id}
    if isinstance(entry, FileEntry):
        _SET_FILE_MODIFIED.run(session, parameters)
        return _file_by_id(session, entry.user_id, entry.id)
    row = _SET_FOLDER_MODIFIED.first(session, parameters)
    if row is None:
        raise NotFound("the folder no longer exists")
    return folder_from_row(row)


_DELETE_FOLDER = Statement("DELETE FROM folders WHERE id = :id AND user_id = :user")
_DELETE_FILE = Statement("DELETE FROM files WHERE id = :id AND user_id = :user")


def delete(session: Session, entry: Entry) -> None:
    """Delete a file, or a folder with everything below it (one statement)."""
    parameters = {"id": entry.id, "user": entry.user_id}
    if isinstance(entry, FolderEntry):
        if entry.is_root:
            raise Forbidden("the root folder cannot be deleted")
        _DELETE_FOLDER.run(session, parameters)
        parent = entry.parent_id
    else:
        _DELETE_FILE.run(session, parameters)
        parent = entry.folder_id
    if parent is not None:
        _touch_folder(session, parent)


def _existing(session: Session, user_id: int, folder_id: int, name: str) -> Entry | None:
    folder = _FOLDER_NAMED.first(session, {"user": user_id, "parent": folder_id, "name": name})
    if folder is not None:
        return folder_from_row(folder)
    return find_file(session, user_id, folder_id, name)


def _prepare_target(session: Session, source: Entry, folder_id: int, name: str, replace: bool,
                    user_id: int | None = None) -> bool:
    """Lock the target folder (of ``user_id``, by default the source's owner), clear an
    existing target if allowed. True if one existed."""
    check_name(name)
    user_id = source.user_id if user_id is None else user_id
    _lock_folder(session, user_id, folder_id)
    existing = _existing(session, user_id, folder_id, name)
    if existing is None:
        return False
    if not replace:
        raise PreconditionFailed(f"{name!r} already exists")
    if isinstance(existing, FolderEntry) and user_id == source.user_id:
        source_folder = source.id if isinstance(source, FolderEntry) else source.folder_id
        if _is_inside(session, user_id, source_folder, existing.id):
            # Replacing the target would delete the source with it.
            raise Forbidden("the target contains the source")
    delete(session, existing)
    return True


_IS_INSIDE = Statement(
    """
    WITH RECURSIVE up(id, parent_id) AS (
        SELECT id, parent_id FROM folders WHERE id = :start AND user_id = :user
      UNION ALL
        SELECT f.id, f.parent_id FROM folders f JOIN up ON f.id = up.parent_id
    )
    SELECT 1 FROM up WHERE id = :ancestor
    """
)


def _is_inside(session: Session, user_id: int, folder_id: int, ancestor_id: int) -> bool:
    """Is ``folder_id`` the folder ``ancestor_id`` or below it?"""
    return _IS_INSIDE.first(session, {"start": folder_id, "ancestor": ancestor_id, "user": user_id}) is not None


# A move changes names, not contents: the moved entry keeps its modification time
# and its ETag (what sync clients compare), as rename(2) does. The folders it left
# and entered change (their listings did).
_MOVE_FOLDER = Statement(
    "UPDATE folders SET parent_id = :folder, name = :name WHERE id = :id AND user_id = :user"
)
_MOVE_FILE = Statement(
    "UPDATE files SET folder_id = :folder, name = :name WHERE id = :id AND user_id = :user"
)


def move(session: Session, entry: Entry, folder_id: int, name: str, *, replace: bool) -> bool:
    """Rename and/or move in one UPDATE. Returns True if a target was replaced."""
    if isinstance(entry, FolderEntry):
        if entry.is_root:
            raise Forbidden("the root folder cannot be moved")
        if _is_inside(session, entry.user_id, folder_id, entry.id):
            raise Forbidden("a folder cannot be moved into itself")
    replaced = _prepare_target(session, entry, folder_id, name, replace)
    statement = _MOVE_FOLDER if isinstance(entry, FolderEntry) else _MOVE_FILE
    statement.run(session, {"folder": folder_id, "name": name, "id": entry.id, "user": entry.user_id})
    old_parent = entry.parent_id if isinstance(entry, FolderEntry) else entry.folder_id
    for touched in {folder_id, old_parent}:
        if touched is not None:
            _touch_folder(session, touched)
    return replaced


# A copy keeps the original's modification time, as a folder copy does below.
_COPY_FILE = Statement(
    "INSERT INTO files (user_id, folder_id, name, hash, media_file_id, size_bytes, modified_at) "
    "SELECT user_id, :folder, :name, hash, media_file_id, size_bytes, modified_at FROM files "
    "WHERE id = :id AND user_id = :user RETURNING id"
)
_COPY_FILE_PROPERTIES = Statement(
    "INSERT INTO dav_properties (file_id, name, value) "
    "SELECT :new, name, value FROM dav_properties WHERE file_id = :old"
)


def copy(session: Session, entry: Entry, folder_id: int, name: str, *, replace: bool,
         recursive: bool = True) -> bool:
    """Copy without copying bytes: new rows naming the same contents.

    Returns True if a target was replaced. Dead properties are copied too.
    """
    if isinstance(entry, FolderEntry) and _is_inside(session, entry.user_id, folder_id, entry.id):
        raise Forbidden("a folder cannot be copied into itself")
    replaced = _prepare_target(session, entry, folder_id, name, replace)
    if isinstance(entry, FileEntry):
        copied = _COPY_FILE.first(session, {"folder": folder_id, "name": name, "id": entry.id,
                                            "user": entry.user_id})
        assert copied is not None  # an INSERT ... RETURNING of one row
        _COPY_FILE_PROPERTIES.run(session, {"new": copied.id, "old": entry.id})
    else:
        _copy_folder(session, entry, folder_id, name, recursive)
    _touch_folder(session, folder_id)
    return replaced


_SUBTREE = Statement(
    """
    WITH RECURSIVE down(id, parent_id, name, depth) AS (
        SELECT id, parent_id, name, 0 FROM folders WHERE id = :root AND user_id = :user
      UNION ALL
        SELECT f.id, f.parent_id, f.name, d.depth + 1 FROM folders f JOIN down d ON f.parent_id = d.id
    )
    SELECT id, parent_id, name FROM down ORDER BY depth
    """
)
_JUST_THE_FOLDER = Statement("SELECT id, parent_id, name FROM folders WHERE id = :root AND user_id = :user")
_INSERT_FOLDER_ID = Statement(
    "INSERT INTO folders (user_id, parent_id, name) VALUES (:user, :parent, :name) RETURNING id"
)
# The three below map each copied folder (old id) to its copy (new id).
_COPY_FOLDER_FILES = Statement(
    """
    INSERT INTO files (user_id, folder_id, name, hash, media_file_id, size_bytes, created_at, modified_at)
    SELECT e.user_id, m.new_id, e.name, e.hash, e.media_file_id, e.size_bytes, now(), e.modified_at
    FROM files e JOIN unnest(CAST(:old AS bigint[]), CAST(:new AS bigint[])) AS m(old_id, new_id)
      ON e.folder_id = m.old_id
    WHERE e.user_id = :user
    """
)
_COPY_FOLDER_PROPERTIES = Statement(
    """
    INSERT INTO dav_properties (folder_id, name, value)
    SELECT m.new_id, p.name, p.value
    FROM dav_properties p JOIN unnest(CAST(:old AS bigint[]), CAST(:new AS bigint[])) AS m(old_id, new_id)
      ON p.folder_id = m.old_id
    """
)
_COPY_FOLDER_FILE_PROPERTIES = Statement(
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
)


def _copy_folder(session: Session, source: FolderEntry, folder_id: int, name: str,
                 recursive: bool, target_user: int | None = None) -> None:
    user = source.user_id
    subtree = (_SUBTREE if recursive else _JUST_THE_FOLDER).all(session, {"root": source.id, "user": user})
    mapping: dict[int, int] = {}
    for row in subtree:
        parent = folder_id if row.id == source.id else mapping[row.parent_id]
        inserted = _INSERT_FOLDER_ID.first(
            session, {"user": target_user or user, "parent": parent,
                      "name": name if row.id == source.id else row.name},
        )
        assert inserted is not None  # an INSERT ... RETURNING of one row
        mapping[row.id] = inserted.id
    params = {"old": list(mapping), "new": list(mapping.values()), "user": user}
    if target_user is not None and target_user != user:
        params["target"] = target_user
        _CATALOGUE_FOLDER_CONTENTS.run(session, params)
        _COPY_FOLDER_FILES_ACROSS.run(session, params)
    else:
        _COPY_FOLDER_FILES.run(session, params)
    _COPY_FOLDER_PROPERTIES.run(session, params)
    _COPY_FOLDER_FILE_PROPERTIES.run(session, params)


# --- copies between users ------------------------------------------------------------
# A file shared with someone (vault/permissions.py) can be copied into their own
# tree. The copy is theirs: a catalogue row of theirs on the same blob (no byte is
# copied), counted against their quota by the triggers on ``files``. The metadata
# already read for the content comes along.

_CATALOGUE_COLUMNS = ("sha256, size_bytes, mime_type, category_id, md5, sha1, width, height, duration_seconds, "
                      "title, artist, metadata_read_at")
_CATALOGUE_CONFLICT = """ON CONFLICT ON CONSTRAINT uq_media_files_uploaded_by_sha256 DO UPDATE
       SET size_bytes = EXCLUDED.size_bytes,  -- a no-op that makes RETURNING see the row
           md5 = coalesce(media_files.md5, EXCLUDED.md5), sha1 = coalesce(media_files.sha1, EXCLUDED.sha1)"""
_COPY_FILE_ACROSS = Statement(
    f"""
    WITH media AS (
        INSERT INTO media_files (uploaded_by, {_CATALOGUE_COLUMNS})
        SELECT :target, {_CATALOGUE_COLUMNS} FROM media_files WHERE id = :media
        {_CATALOGUE_CONFLICT}
        RETURNING id
    )
    INSERT INTO files (user_id, folder_id, name, hash, media_file_id, size_bytes, modified_at)
    SELECT :target, :folder, :name, e.hash, media.id, e.size_bytes, e.modified_at
    FROM files e, media WHERE e.id = :id AND e.user_id = :user
    RETURNING id
    """
)
# Every content of the copied folders, catalogued for the target user (once each).
_CATALOGUE_FOLDER_CONTENTS = Statement(
    f"""
    INSERT INTO media_files (uploaded_by, {_CATALOGUE_COLUMNS})
    SELECT :target, {_CATALOGUE_COLUMNS} FROM media_files
    WHERE id IN (SELECT e.media_file_id FROM files e
                 JOIN unnest(CAST(:old AS bigint[])) AS copied(id) ON e.folder_id = copied.id
                 WHERE e.user_id = :user)
    {_CATALOGUE_CONFLICT}
    """
)
_COPY_FOLDER_FILES_ACROSS = Statement(
    """
    INSERT INTO files (user_id, folder_id, name, hash, media_file_id, size_bytes, created_at, modified_at)
    SELECT :target, m.new_id, e.name, e.hash, theirs.id, e.size_bytes, now(), e.modified_at
    FROM files e JOIN unnest(CAST(:old AS bigint[]), CAST(:new AS bigint[])) AS m(old_id, new_id)
      ON e.folder_id = m.old_id
    JOIN media_files theirs ON theirs.uploaded_by = :target AND theirs.sha256 = e.hash
    WHERE e.user_id = :user
    """
)


def copy_across(session: Session, entry: Entry, folder: FolderEntry, name: str, *, replace: bool,
                recursive: bool = True) -> bool:
    """Copy ``entry`` into ``folder`` of another user (or the same: then ``copy``).

    New rows only, never bytes: the copies name the same blobs through catalogue
    rows of the folder's owner, whose quota they count against. Dead properties
    come along, as with ``copy``. Returns True if a target was replaced.
    """
    if folder.user_id == entry.user_id:
        return copy(session, entry, folder.id, name, replace=replace, recursive=recursive)
    replaced = _prepare_target(session, entry, folder.id, name, replace, user_id=folder.user_id)
    if isinstance(entry, FileEntry):
        copied = _COPY_FILE_ACROSS.first(session, {"target": folder.user_id, "media": entry.media_file_id,
                                                   "folder": folder.id, "name": name, "id": entry.id,
                                                   "user": entry.user_id})
        if copied is None:
            raise NotFound("the file no longer exists")
        _COPY_FILE_PROPERTIES.run(session, {"new": copied.id, "old": entry.id})
    else:
        _copy_folder(session, entry, folder.id, name, recursive, target_user=folder.user_id)
    _touch_folder(session, folder.id)
    return replaced
