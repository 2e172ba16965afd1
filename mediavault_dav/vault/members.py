"""Files as members of a virtual folder (album, tag, category, smart folder).

Every virtual folder is "the user's files that satisfy a condition": an album joins
``album_files``, a smart folder is a compiled rule. This module turns such a
condition into the one statement that lists the members, with each member's folder
path (so a member can name its canonical place in ``/Files/``, which locks and
playlists need) — one round trip whether the folder holds 10 files or 10,000.

Housekeeping files (``._*``, ``.DS_Store``, ``desktop.ini``, ``Thumbs.db``) are
stored so clients work, and never shown here. Members with the same name are
shown under distinct names (``member_names``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mediavault_dav.vault import member_names
from mediavault_dav.vault.housekeeping import shown_sql
from mediavault_dav.vault.tree import FileEntry

# Housekeeping files never appear in a virtual folder.
_SHOWN = shown_sql("e.name_key")

_FILE_COLUMNS = (
    "e.id, e.user_id, e.folder_id, e.name, e.name_key, e.hash, e.size_bytes, e.version, m.mime_type, "
    "e.media_file_id, e.created_at, e.modified_at, m.md5, m.sha1"
)


@dataclass(frozen=True)
class MemberSource:
    """Which of a user's files a virtual folder holds, as SQL over ``files e`` and
    ``media_files m``. ``joins``/``condition``/``order`` are fixed text written in
    this package (or compiled from validated rules); values travel in ``params``."""

    user_id: int
    condition: str
    params: Mapping[str, Any] = field(default_factory=dict)
    joins: str = ""
    extra_columns: str = ""  # e.g. ", af.position, af.added_at"
    order: str = "name_key, id"
    # Who keeps a shared name: the earliest member (albums and tags: the first added).
    rank: str = "e.id"


@dataclass(frozen=True)
class Member:
    name: str  # as shown in the virtual folder (disambiguated when needed)
    entry: FileEntry
    folder_path: str  # below /Files: "" for the root folder, "/Music/Live" otherwise
    position: int | None = None
    added_at: datetime | None = None
    rank: int = 0  # among members of one name, the lowest rank keeps the name

    @property
    def real_name(self) -> str:
        return self.entry.name

    @property
    def tree_path(self) -> str:
        """The file's path below /Files, e.g. "/Music/song.mp3"."""
        return f"{self.folder_path}/{self.entry.name}"


def _statement(source: MemberSource, extra_condition: str = "") -> sa.TextClause:
    return sa.text(f"""
        WITH RECURSIVE members AS (
            SELECT {_FILE_COLUMNS}, {source.rank} AS member_rank{source.extra_columns}
            FROM files e JOIN media_files m ON m.id = e.media_file_id {source.joins}
            WHERE e.user_id = :user AND {_SHOWN} AND ({source.condition}) {extra_condition}
        ), up(start_id, parent_id, path) AS (
            SELECT f.id, f.parent_id, CASE WHEN f.parent_id IS NULL THEN '' ELSE '/' || f.name END
            FROM folders f WHERE f.id IN (SELECT folder_id FROM members)
          UNION ALL
            SELECT up.start_id, f.parent_id,
                   CASE WHEN f.parent_id IS NULL THEN up.path ELSE '/' || f.name || up.path END
            FROM up JOIN folders f ON f.id = up.parent_id
        )
        SELECT members.*, up.path AS folder_path
        FROM members JOIN up ON up.start_id = members.folder_id AND up.parent_id IS NULL
        ORDER BY {source.order}
    """)


def rows(session: Session, source: MemberSource, extra_condition: str = "",
         extra_params: Mapping[str, Any] | None = None) -> list[tuple[Member, Mapping[str, Any]]]:
    """Members under their real names, each with its whole row (for ``extra_columns``)."""
    params = {**source.params, **(extra_params or {}), "user": source.user_id}
    found: list[tuple[Member, Mapping[str, Any]]] = []
    for row in session.execute(_statement(source, extra_condition), params):
        entry = FileEntry(id=row.id, user_id=row.user_id, folder_id=row.folder_id, name=row.name,
                          hash=row.hash, size=row.size_bytes, version=row.version,
                          mime_type=row.mime_type, media_file_id=row.media_file_id,
                          created_at=row.created_at, modified_at=row.modified_at, md5=row.md5, sha1=row.sha1)
        mapping = cast(Mapping[str, Any], row._mapping)  # keyed by column name
        found.append((Member(row.name, entry, row.folder_path, mapping.get("position"), mapping.get("added_at"),
                             row.member_rank), mapping))
    return found


def _rows(session: Session, source: MemberSource, extra_condition: str = "",
          extra_params: Mapping[str, Any] | None = None) -> list[Member]:
    return [member for member, _ in rows(session, source, extra_condition, extra_params)]


def _named(members: list[Member]) -> list[Member]:
    names = member_names.assign(members)
    return [member if name == member.name else dataclasses.replace(member, name=name)
            for member, name in zip(members, names, strict=True)]


def list_members(session: Session, source: MemberSource) -> list[Member]:
    """Every member, with distinct shown names, in one statement."""
    return _named(_rows(session, source))


def find_member(session: Session, source: MemberSource, name: str) -> Member | None:
    """The member shown as ``name``, reading only the rows that decide it."""
    wanted = member_names.candidates(name)
    condition = "AND (e.name_key = :candidate_name"
    params: dict[str, Any] = {"candidate_name": wanted.name}
    if wanted.base is not None:
        condition += (" OR e.name_key = :candidate_base OR (starts_with(e.name_key, :candidate_prefix)"
                      " AND right(e.name_key, :candidate_extension_length) = :candidate_extension)")
        params.update(candidate_base=wanted.base, candidate_prefix=wanted.numbered_prefix,
                      candidate_extension=wanted.extension,
                      candidate_extension_length=len(wanted.extension))
    members = _rows(session, source, condition + ")", params)
    index = member_names.pick(members, name)
    return None if index is None else _named(members)[index]
