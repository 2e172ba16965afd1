"""What a vault path names, for the commands that point at one thing: shares and grants.

``share create`` and ``grant`` both take a path as its owner sees it (``/Files/Trip``,
``/Albums/Best``, ``/Smart Folders/Recent``, ``/Tags/red``) and store a real
foreign key to the thing it names. This is the one resolution for both; each says
which kinds it accepts and is refused the others with a message that names them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mediavault_dav.vault import albums, smart_folders, tags, tree
from mediavault_dav.vault.errors import Forbidden, InvalidInput, NotFound
from mediavault_dav.vault.housekeeping import is_housekeeping
from mediavault_dav.vault.names import split_path
from mediavault_dav.vault.tree import FileEntry

KINDS = ("folder", "file", "album", "smart_folder", "tag")

# The areas of the namespace a target can be in (DESIGN.md's names).
FILES_AREA = "Files"
_NAMED_AREAS = {"Albums": "album", "Smart Folders": "smart_folder", "Tags": "tag"}
_SPELLING = {"folder": "/Files/...", "file": "/Files/...", "album": "/Albums/<album>",
             "smart_folder": "/Smart Folders/<smart folder>", "tag": "/Tags/<tag>"}


@dataclass(frozen=True)
class Target:
    kind: str  # one of KINDS
    id: int
    path: str  # as its owner sees it: /Files/Trip, /Albums/Trip ...


def _choices(kinds: Collection[str]) -> str:
    spelled = list(dict.fromkeys(_SPELLING[kind] for kind in KINDS if kind in kinds))
    return ", ".join(spelled[:-1]) + " or " + spelled[-1] if len(spelled) > 1 else spelled[0]


def target_for_path(session: Session, user_id: int, path: str, *, kinds: Collection[str] = KINDS,
                    what: str = "a share", verb: str = "share") -> Target:
    """What a user's vault path names, if it is one of ``kinds``.

    ``what`` and ``verb`` name the caller's thing in refusals ("a share names one
    of ...", "share a single file by its /Files/ path").
    """
    segments = split_path(unicodedata.normalize("NFC", path.strip()))
    refusal = f"{what} names one of {_choices(kinds)}"
    if not segments:
        raise InvalidInput(refusal)
    area, rest = segments[0], segments[1:]
    if area == FILES_AREA and {"folder", "file"} & set(kinds):
        entry = tree.resolve(session, user_id, rest)
        shown = "/" + "/".join(segments)
        if entry is None:
            raise NotFound(f"{shown} does not exist")
        if isinstance(entry, FileEntry):
            if is_housekeeping(entry.name):
                raise Forbidden(f"{entry.name!r} is a client's housekeeping file; {what} never shows those")
            return Target("file", entry.id, shown)
        return Target("folder", entry.id, shown)
    kind = _NAMED_AREAS.get(area)
    if kind is None or kind not in kinds or len(rest) != 1:
        hint = f" ({verb} a single file by its /Files/ path)" if kind in kinds and len(rest) > 1 else ""
        raise InvalidInput(refusal + hint)
    name = rest[0]
    if kind == "album":
        return Target(kind, albums.get_album(session, user_id, name).id, f"/Albums/{name}")
    if kind == "smart_folder":
        found = smart_folders.get_smart_folder(session, user_id, name)
        return Target(kind, found.id, f"/Smart Folders/{found.name}")
    tag = tags.get_tag(session, user_id, name)
    return Target(kind, tag.id, f"/Tags/{tag.name}")


_FOLDER_PATH = sa.text(
    """WITH RECURSIVE up(id, parent_id, path) AS (
           SELECT id, parent_id, CASE WHEN parent_id IS NULL THEN '' ELSE '/' || name END
           FROM folders WHERE id = :folder
         UNION ALL
           SELECT f.id, f.parent_id, CASE WHEN f.parent_id IS NULL THEN up.path ELSE '/' || f.name || up.path END
           FROM folders f JOIN up ON f.id = up.parent_id
       )
       SELECT path FROM up WHERE parent_id IS NULL"""
)


def _folder_path(session: Session, folder_id: int) -> str | None:
    path = session.execute(_FOLDER_PATH, {"folder": folder_id}).scalar_one_or_none()
    return None if path is None else "/Files" + path


def describe_target(session: Session, kind: str, target_id: int) -> str:
    """The target's path as its owner sees it now (it follows renames and moves)."""
    if kind == "folder":
        return _folder_path(session, target_id) or "?"
    if kind == "file":
        row = session.execute(sa.text("SELECT folder_id, name FROM files WHERE id = :id"),
                              {"id": target_id}).one_or_none()
        if row is None:
            return "?"
        folder = _folder_path(session, row.folder_id) or "/Files"
        return f"{folder.rstrip('/')}/{row.name}"
    table, area = {"album": ("albums", "Albums"), "smart_folder": ("smart_folders", "Smart Folders"),
                   "tag": ("tags", "Tags")}[kind]
    name = session.execute(sa.text(f"SELECT name FROM {table} WHERE id = :id"), {"id": target_id}).scalar()
    return f"/{area}/{name}"
