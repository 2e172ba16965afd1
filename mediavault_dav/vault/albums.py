"""Albums: a user's curated collections of files.

An album holds references to ``files`` rows (``album_files``), never copies:
removing a member leaves the file alone, deleting the album leaves every file
alone, and deleting a file takes it out of every album (ON DELETE CASCADE).

A file uploaded *into* an album has to live somewhere in the folder tree. It is
stored in ``/Files/Albums/<album name>/`` (created when first needed), so the
album's own uploads are together and easy to find; renaming the album later does
not move them. Members are listed by their ``position`` (set by the user; unset
positions last) and then in the order they were added.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mediavault_dav.vault import tree
from mediavault_dav.vault.errors import Conflict, Forbidden, InvalidInput, NotFound
from mediavault_dav.vault.housekeeping import is_housekeeping
from mediavault_dav.vault.members import Member, MemberSource, find_member, list_members
from mediavault_dav.vault.names import check_name
from mediavault_dav.vault.tree import FileEntry, FolderEntry

UPLOAD_FOLDER = "Albums"  # /Files/Albums/<album>/ holds files uploaded into albums
MAX_POSITION = 1_000_000_000

_COLUMNS = "a.id, a.user_id, a.name, a.description, a.cover_file_id, a.created_at, a.updated_at"


@dataclass(frozen=True)
class Album:
    id: int
    user_id: int
    name: str
    description: str | None
    cover_file_id: int | None
    created_at: datetime
    updated_at: datetime


def _album(row: sa.Row) -> Album:
    return Album(row.id, row.user_id, row.name, row.description, row.cover_file_id,
                 row.created_at, row.updated_at)


def list_albums(session: Session, user_id: int) -> list[Album]:
    rows = session.execute(
        sa.text(f"SELECT {_COLUMNS} FROM albums a WHERE a.user_id = :user ORDER BY a.name_key"),
        {"user": user_id},
    )
    return [_album(row) for row in rows]


def find_album(session: Session, user_id: int, name: str) -> Album | None:
    row = session.execute(
        sa.text(f"SELECT {_COLUMNS} FROM albums a WHERE a.user_id = :user AND a.name_key = normalize(:name, NFC)"),
        {"user": user_id, "name": name},
    ).one_or_none()
    return None if row is None else _album(row)


def get_album(session: Session, user_id: int, name: str) -> Album:
    album = find_album(session, user_id, name)
    if album is None:
        raise NotFound(f"there is no album named {name!r}")
    return album


def create_album(session: Session, user_id: int, name: str, description: str | None = None) -> Album:
    check_name(name)
    row = session.execute(
        sa.text(f"""INSERT INTO albums AS a (user_id, name, description) VALUES (:user, :name, :description)
                    ON CONFLICT ON CONSTRAINT uq_albums_user_id_name_key DO NOTHING RETURNING {_COLUMNS}"""),
        {"user": user_id, "name": name, "description": description},
    ).one_or_none()
    if row is None:
        raise Conflict(f"an album named {name!r} already exists")
    return _album(row)


def rename_album(session: Session, album: Album, new_name: str, *, replace: bool) -> bool:
    """Rename; with ``replace`` an album already using the name is deleted first
    (its files stay). Returns True if one was replaced."""
    check_name(new_name)
    existing = find_album(session, album.user_id, new_name)
    replaced = False
    if existing is not None and existing.id != album.id:
        if not replace:
            raise Conflict(f"an album named {new_name!r} already exists")
        delete_album(session, existing)
        replaced = True
    session.execute(
        sa.text("UPDATE albums SET name = :name, updated_at = now() WHERE id = :id AND user_id = :user"),
        {"name": new_name, "id": album.id, "user": album.user_id},
    )
    return replaced


def delete_album(session: Session, album: Album) -> None:
    """The album and its memberships; never a file."""
    session.execute(sa.text("DELETE FROM albums WHERE id = :id AND user_id = :user"),
                    {"id": album.id, "user": album.user_id})


def _source(album: Album) -> MemberSource:
    return MemberSource(
        user_id=album.user_id,
        joins="JOIN album_files af ON af.file_id = e.id",
        condition="af.album_id = :album",
        params={"album": album.id},
        extra_columns=", af.position, af.added_at",
        order="position NULLS LAST, added_at, id",
        rank="af.id",
    )


def album_members(session: Session, album: Album) -> list[Member]:
    """The album's files in album order: one statement."""
    return list_members(session, _source(album))


def find_album_member(session: Session, album: Album, name: str) -> Member | None:
    return find_member(session, _source(album), name)


def add_file(session: Session, album: Album, file: FileEntry) -> bool:
    """Add a file of the album's owner; False if it was already a member."""
    if file.user_id != album.user_id:
        raise NotFound("the file no longer exists")
    if is_housekeeping(file.name):
        raise Forbidden(f"{file.name!r} is a client's housekeeping file; albums never show those")
    added = session.execute(
        sa.text("""INSERT INTO album_files (album_id, file_id)
                   SELECT :album, id FROM files WHERE id = :file AND user_id = :user
                   ON CONFLICT ON CONSTRAINT uq_album_files_album_id_file_id DO NOTHING RETURNING id"""),
        {"album": album.id, "file": file.id, "user": album.user_id},
    ).one_or_none()
    _touch(session, album)
    return added is not None


def remove_file(session: Session, album: Album, file_id: int) -> None:
    """Take a file out of the album; the file itself stays where it is."""
    session.execute(sa.text("DELETE FROM album_files WHERE album_id = :album AND file_id = :file"),
                    {"album": album.id, "file": file_id})
    _touch(session, album)


def set_position(session: Session, album: Album, file_id: int, position: int | None) -> None:
    if position is not None and not 0 <= position <= MAX_POSITION:
        raise InvalidInput(f"a position is a whole number from 0 to {MAX_POSITION}")
    session.execute(
        sa.text("UPDATE album_files SET position = :position WHERE album_id = :album AND file_id = :file"),
        {"position": position, "album": album.id, "file": file_id},
    )
    _touch(session, album)


def set_cover(session: Session, album: Album, file_id: int | None) -> None:
    """The album's cover: one of its members, or none."""
    if file_id is not None:
        member = session.execute(
            sa.text("SELECT 1 FROM album_files WHERE album_id = :album AND file_id = :file"),
            {"album": album.id, "file": file_id},
        ).first()
        if member is None:
            raise InvalidInput("the cover must be a file of the album")
    session.execute(sa.text("UPDATE albums SET cover_file_id = :file, updated_at = now() WHERE id = :id"),
                    {"file": file_id, "id": album.id})


def cover_name(session: Session, album: Album) -> str | None:
    if album.cover_file_id is None:
        return None
    return session.execute(sa.text("SELECT name FROM files WHERE id = :id AND user_id = :user"),
                           {"id": album.cover_file_id, "user": album.user_id}).scalar_one_or_none()


def upload_folder(session: Session, album: Album) -> FolderEntry:
    """``/Files/Albums/<album>/``, created if missing: where uploads into the album go."""
    path = [UPLOAD_FOLDER, album.name]
    folder = tree.resolve(session, album.user_id, [])
    assert isinstance(folder, FolderEntry)
    for depth in (1, 2):
        existing = tree.resolve(session, album.user_id, path[:depth])
        if existing is None:
            try:
                with session.begin_nested():  # another upload may create it at the same moment
                    existing = tree.create_folder(session, album.user_id, folder.id, path[depth - 1])
            except Conflict:
                existing = tree.resolve(session, album.user_id, path[:depth])
        if not isinstance(existing, FolderEntry):
            raise Conflict(f"/Files/{'/'.join(path[:depth])} is not a folder; uploads into the album need it")
        folder = existing
    return folder


def _touch(session: Session, album: Album) -> None:
    session.execute(sa.text("UPDATE albums SET updated_at = now() WHERE id = :id"), {"id": album.id})
