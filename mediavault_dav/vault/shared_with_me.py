"""What a grantee sees under ``/Shared With Me/``: the owners, and each owner's items.

Read on every request, never cached: a grant that expired a moment ago, was
revoked, or whose owner was disabled is simply not returned, so the next request
no longer reaches it (in every gateway process at once). Each question is one
statement, however many grants there are; an item comes with its target's row
(the folder, file, album or smart folder) and, for folders and files, its
folder's path in the owner's tree — the key of its locks.

Two items of one owner with the same name (a folder ``Trip`` and an album
``Trip``) are shown under distinct names by the rule virtual folders use
(vault/member_names.py): the earliest grant keeps the name.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from mediavault_dav.db.statements import Row, Statement
from mediavault_dav.vault import member_names, permissions
from mediavault_dav.vault.albums import Album
from mediavault_dav.vault.permissions import Action
from mediavault_dav.vault.smart_folders import SmartFolder
from mediavault_dav.vault.tree import (
    FILE_COLUMNS_PREFIXED,
    FOLDER_COLUMNS,
    FileEntry,
    FolderEntry,
    file_from_prefixed_row,
    folder_from_row,
)

ROOT_FOLDER_NAME = "Files"  # how a grant of someone's whole /Files/ is shown


@dataclass(frozen=True)
class SharingOwner:
    id: int
    username: str


_LIVE = "(p.expires_at IS NULL OR p.expires_at > now())"

_OWNERS = Statement(
    f"""SELECT o.id, o.username FROM permissions p JOIN users o ON o.id = p.owner_id AND o.is_active
        WHERE p.grantee_id = :grantee AND {_LIVE}
        GROUP BY o.id, o.username ORDER BY lower(o.username)"""
)


def owners_sharing_with(session: Session, grantee_id: int) -> list[SharingOwner]:
    """Everyone with at least one live grant to ``grantee_id``: one statement."""
    return [SharingOwner(row.id, row.username) for row in _OWNERS.all(session, {"grantee": grantee_id})]


@dataclass(frozen=True)
class SharedItem:
    """One live grant to the signed-in user, with the row of what it grants."""

    grant_id: int
    owner_id: int
    owner: str
    level: str
    kind: str  # folder, file, album, smart_folder
    expires_at: datetime | None
    name: str  # as shown under /Shared With Me/<owner>/ (distinct among the owner's items)
    folder: FolderEntry | None = None
    file: FileEntry | None = None
    album: Album | None = None
    smart_folder: SmartFolder | None = None
    # Below /Files in the owner's tree: the granted folder's path, or the granted file's
    # folder ("" for the root). None for albums and smart folders.
    folder_path: str | None = None

    @property
    def rank(self) -> int:
        return self.grant_id  # the earliest grant keeps a shared name

    @property
    def real_name(self) -> str:
        if self.folder is not None:
            return self.folder.name or ROOT_FOLDER_NAME
        if self.file is not None:
            return self.file.name
        if self.album is not None:
            return self.album.name
        assert self.smart_folder is not None
        return self.smart_folder.name

    @property
    def tree_path(self) -> str | None:
        """The granted folder's or file's own path below /Files, in the owner's tree."""
        if self.file is not None and self.folder_path is not None:
            return f"{self.folder_path}/{self.file.name}"
        return self.folder_path

    def allows(self, action: Action) -> bool:
        return permissions.allows(self.kind, self.level, action)

    def require(self, action: Action) -> None:
        permissions.require(self.kind, self.level, action)


_ITEMS = Statement(
    f"""
    WITH RECURSIVE granted AS (
        SELECT p.id AS grant_id, p.owner_id AS grant_owner_id, o.username AS grant_owner, p.level AS grant_level,
               p.expires_at AS grant_expires_at, p.folder_id AS granted_folder, p.file_id AS granted_file,
               p.album_id AS granted_album, p.smart_folder_id AS granted_smart_folder
        FROM permissions p JOIN users o ON o.id = p.owner_id AND o.is_active
        WHERE p.grantee_id = :grantee AND lower(o.username) = lower(:owner) AND {_LIVE}
    ), placed AS (
        SELECT coalesce(g.granted_folder, placed_file.folder_id) AS folder_id
        FROM granted g LEFT JOIN files placed_file ON placed_file.id = g.granted_file
    ), up(start_id, parent_id, path) AS (
        SELECT f.id, f.parent_id, CASE WHEN f.parent_id IS NULL THEN '' ELSE '/' || f.name END
        FROM folders f WHERE f.id IN (SELECT folder_id FROM placed)
      UNION ALL
        SELECT up.start_id, f.parent_id, CASE WHEN f.parent_id IS NULL THEN up.path ELSE '/' || f.name || up.path END
        FROM up JOIN folders f ON f.id = up.parent_id
    )
    SELECT g.*, {FOLDER_COLUMNS}, {FILE_COLUMNS_PREFIXED},
           a.id AS album_id, a.user_id AS album_user_id, a.name AS album_name, a.description AS album_description,
           a.cover_file_id AS album_cover_file_id, a.created_at AS album_created_at,
           a.updated_at AS album_updated_at,
           s.id AS smart_id, s.user_id AS smart_user_id, s.name AS smart_name, s.rules AS smart_rules,
           s.created_at AS smart_created_at, s.updated_at AS smart_updated_at,
           up.path AS folder_path
    FROM granted g
    LEFT JOIN folders f ON f.id = g.granted_folder AND f.user_id = g.grant_owner_id
    LEFT JOIN files e ON e.id = g.granted_file AND e.user_id = g.grant_owner_id
    LEFT JOIN media_files m ON m.id = e.media_file_id
    LEFT JOIN albums a ON a.id = g.granted_album AND a.user_id = g.grant_owner_id
    LEFT JOIN smart_folders s ON s.id = g.granted_smart_folder AND s.user_id = g.grant_owner_id
    LEFT JOIN up ON up.start_id = coalesce(g.granted_folder, e.folder_id) AND up.parent_id IS NULL
    ORDER BY g.grant_id
    """
)


def _item(row: Row) -> SharedItem | None:
    item = SharedItem(row.grant_id, row.grant_owner_id, row.grant_owner, row.grant_level, "", row.grant_expires_at,
                      "", folder_path=row.folder_path)
    if row.granted_folder is not None and row.id is not None:
        return dataclasses.replace(item, kind="folder", folder=folder_from_row(row))
    if row.granted_file is not None and row.file_id is not None:
        return dataclasses.replace(item, kind="file", file=file_from_prefixed_row(row))
    if row.granted_album is not None and row.album_id is not None:
        album = Album(row.album_id, row.album_user_id, row.album_name, row.album_description,
                      row.album_cover_file_id, row.album_created_at, row.album_updated_at)
        return dataclasses.replace(item, kind="album", album=album, folder_path=None)
    if row.granted_smart_folder is not None and row.smart_id is not None:
        smart = SmartFolder(row.smart_id, row.smart_user_id, row.smart_name, row.smart_rules,
                            row.smart_created_at, row.smart_updated_at)
        return dataclasses.replace(item, kind="smart_folder", smart_folder=smart, folder_path=None)
    return None  # a target of another user: never shown (grants are made for the owner's own things)


def shared_items(session: Session, grantee_id: int, owner: str) -> list[SharedItem]:
    """The live grants of ``owner`` (a user name, any case) to ``grantee_id``, with
    distinct shown names: one statement. Empty for an unknown or disabled owner."""
    found = [item for item in map(_item, _ITEMS.all(session, {"grantee": grantee_id, "owner": owner}))
             if item is not None]
    names = member_names.assign(found)
    return [dataclasses.replace(item, name=name) for item, name in zip(found, names, strict=True)]
