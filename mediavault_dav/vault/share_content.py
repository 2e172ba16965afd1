"""What a share shows a guest: its target, the folders and files inside, one name at a time.

Every lookup starts from the share's target and only ever walks down from it, by
id, within its owner's rows: a path inside a share cannot name anything outside
it, whatever it spells (the path normaliser has already refused ``..``, encoded
separators and NUL before a request gets here). Housekeeping files (``._*``,
``.DS_Store``, ``desktop.ini``, ``Thumbs.db``; ``housekeeping.is_housekeeping``) are
neither listed nor reachable by name.

- a **folder** share shows that folder and everything below it;
- a **file** share is a folder holding that one file, so that a browser, rclone
  and a mounted drive all see a folder, as for every other share;
- an **album**, **smart folder** or **tag** share is a flat folder of its members,
  named as in the owner's ``/Albums/`` ... (``members``: duplicates numbered).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mediavault_dav.db.statements import Statement
from mediavault_dav.vault import albums, smart_folders, tags, tree
from mediavault_dav.vault.albums import Album
from mediavault_dav.vault.housekeeping import is_housekeeping
from mediavault_dav.vault.members import Member
from mediavault_dav.vault.names import name_key
from mediavault_dav.vault.shares import OpenedShare
from mediavault_dav.vault.smart_folders import SmartFolder
from mediavault_dav.vault.tags import Tag
from mediavault_dav.vault.tree import FileEntry, FolderEntry

ROOT_FOLDER_NAME = "Files"  # what a share of the whole tree is called


@dataclass(frozen=True)
class Target:
    """The thing a share points at, loaded."""

    kind: str
    name: str  # what a guest sees as the share's name
    owner_id: int
    modified_at: datetime
    folder: FolderEntry | None = None
    file: FileEntry | None = None
    album: Album | None = None
    smart_folder: SmartFolder | None = None
    tag: Tag | None = None

    @property
    def is_flat(self) -> bool:
        """A folder of members (album, smart folder, tag, the file of a file share)."""
        return self.folder is None


@dataclass(frozen=True)
class Shown:
    """A file as a share shows it: under the name it has there."""

    name: str
    entry: FileEntry


# --- the target ------------------------------------------------------------------------

_FOLDER_BY_ID = Statement(f"SELECT {tree.FOLDER_COLUMNS} FROM folders f WHERE f.id = :id AND f.user_id = :user")
_FILE_BY_ID = Statement(
    f"SELECT {tree.FILE_COLUMNS_PREFIXED} FROM files e JOIN media_files m ON m.id = e.media_file_id "
    "WHERE e.id = :id AND e.user_id = :user"
)
_ALBUM_BY_ID = Statement(
    "SELECT id, user_id, name, description, cover_file_id, created_at, updated_at FROM albums "
    "WHERE id = :id AND user_id = :user"
)
_SMART_FOLDER_BY_ID = Statement(
    "SELECT id, user_id, name, rules, created_at, updated_at FROM smart_folders WHERE id = :id AND user_id = :user"
)
_TAG_BY_ID = Statement("SELECT id, user_id, name, color, created_at FROM tags WHERE id = :id AND user_id = :user")


def load_target(session: Session, share: OpenedShare) -> Target | None:
    """The share's target (None if it vanished in the moment since the share was read)."""
    parameters = {"id": share.target_id, "user": share.owner_id}
    if share.kind == "folder":
        row = _FOLDER_BY_ID.first(session, parameters)
        if row is None:
            return None
        folder = tree.folder_from_row(row)
        return Target("folder", folder.name or ROOT_FOLDER_NAME, share.owner_id, folder.modified_at, folder=folder)
    if share.kind == "file":
        row = _FILE_BY_ID.first(session, parameters)
        if row is None or is_housekeeping(row.file_name):
            return None
        file = tree.file_from_prefixed_row(row)
        return Target("file", file.name, share.owner_id, file.modified_at, file=file)
    if share.kind == "album":
        row = _ALBUM_BY_ID.first(session, parameters)
        if row is None:
            return None
        album = Album(row.id, row.user_id, row.name, row.description, row.cover_file_id, row.created_at,
                      row.updated_at)
        return Target("album", album.name, share.owner_id, album.updated_at, album=album)
    if share.kind == "smart_folder":
        row = _SMART_FOLDER_BY_ID.first(session, parameters)
        if row is None:
            return None
        found = SmartFolder(row.id, row.user_id, row.name, row.rules, row.created_at, row.updated_at)
        return Target("smart_folder", found.name, share.owner_id, found.updated_at, smart_folder=found)
    row = _TAG_BY_ID.first(session, parameters)
    if row is None:
        return None
    tag = Tag(row.id, row.user_id, row.name, row.color, row.created_at)
    return Target("tag", tag.name, share.owner_id, tag.created_at, tag=tag)


# --- one path inside a share ---------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """What a path inside a share names: a folder of the shared tree, or a file."""

    folder: FolderEntry | None = None  # None with file None: the share's own (flat) root
    file: Shown | None = None


def locate(session: Session, target: Target, segments: Sequence[str]) -> Found | None:
    """What ``segments`` (below the share's root) name, or None."""
    if target.folder is not None:
        return _locate_below(session, target.folder, segments)
    if not segments:
        return Found()
    if len(segments) > 1:
        return None
    shown = find_member(session, target, segments[0])
    return None if shown is None else Found(file=shown)


def _locate_below(session: Session, root: FolderEntry, segments: Sequence[str]) -> Found | None:
    if not segments:
        return Found(folder=root)
    located = tree.locate_below(session, root, segments)  # nothing above the shared folder can be named
    if isinstance(located.entry, FolderEntry):
        return Found(folder=located.entry)
    if located.entry is None or is_housekeeping(located.entry.name):
        return None
    return Found(file=Shown(located.entry.name, located.entry))


# --- listing ----------------------------------------------------------------------------------


def folder_contents(session: Session, folder: FolderEntry) -> tuple[list[FolderEntry], list[Shown]]:
    """A shared folder's subfolders and files, by name; housekeeping files left out."""
    folders, files = tree.list_folder(session, folder)
    return folders, [Shown(file.name, file) for file in files if not is_housekeeping(file.name)]


def members(session: Session, target: Target) -> list[Shown]:
    """The files of a flat share, under the names they have there."""
    if target.file is not None:
        return [Shown(target.file.name, target.file)]
    return [Shown(member.name, member.entry) for member in _members(session, target)]


def _members(session: Session, target: Target) -> list[Member]:
    if target.album is not None:
        return albums.album_members(session, target.album)
    if target.smart_folder is not None:
        return smart_folders.smart_folder_members(session, target.smart_folder)
    assert target.tag is not None
    return tags.tag_members(session, target.tag)


def find_member(session: Session, target: Target, name: str) -> Shown | None:
    if target.file is not None:
        return Shown(target.file.name, target.file) if name_key(name) == name_key(target.file.name) else None
    if target.album is not None:
        found = albums.find_album_member(session, target.album, name)
    elif target.smart_folder is not None:
        found = smart_folders.find_smart_folder_member(session, target.smart_folder, name)
    else:
        assert target.tag is not None
        found = tags.find_tag_member(session, target.tag, name)
    return None if found is None else Shown(found.name, found.entry)


# --- everything below a point, for one archive -----------------------------------------------------


@dataclass(frozen=True)
class ArchiveItem:
    """A folder (``file`` None; ``path`` ends with "/") or a file, relative to the archive's root."""

    path: str
    modified_at: datetime
    file: FileEntry | None = None


_SUBTREE_FILES = sa.text(
    f"""
    WITH RECURSIVE down(id, path, modified_at) AS (
        SELECT id, CAST('' AS text), modified_at FROM folders WHERE id = :root AND user_id = :user
      UNION ALL
        SELECT f.id, down.path || f.name || '/', f.modified_at
        FROM folders f JOIN down ON f.parent_id = down.id WHERE f.user_id = :user
    )
    SELECT down.path AS folder_path, down.modified_at AS folder_modified_at, {tree.FILE_COLUMNS_PREFIXED}
    FROM down
    LEFT JOIN files e ON e.folder_id = down.id AND e.user_id = :user
    LEFT JOIN media_files m ON m.id = e.media_file_id
    ORDER BY down.path, e.name_key
    """
)


def archive_items(session: Session, target: Target, folder: FolderEntry | None) -> list[ArchiveItem]:
    """Every folder and file below ``folder`` (or the flat share's members): one statement.

    Memory holds one small row per entry, never file contents.
    """
    if folder is None:
        return [ArchiveItem(shown.name, shown.entry.modified_at, shown.entry) for shown in members(session, target)]
    items: list[ArchiveItem] = []
    seen_folders: set[str] = set()
    for row in session.execute(_SUBTREE_FILES, {"root": folder.id, "user": folder.user_id}):
        path = row.folder_path
        if path and path not in seen_folders:
            seen_folders.add(path)
            items.append(ArchiveItem(path, row.folder_modified_at))
        if row.file_id is not None and not is_housekeeping(row.file_name):
            items.append(ArchiveItem(path + row.file_name, row.file_modified_at, tree.file_from_prefixed_row(row)))
    return items
