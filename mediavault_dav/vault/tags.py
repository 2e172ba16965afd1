"""Tags: labels a user puts on files; a tag's folder lists the files carrying it.

Tags are per user and compared like every other name (NFC, case preserved). A file
is tagged by COPYing it into the tag's folder or by setting its ``tags`` property;
untagging never touches the file. Deleting a tag removes only the label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mediavault_dav.vault.errors import Conflict, Forbidden, InvalidInput, NotFound
from mediavault_dav.vault.housekeeping import is_housekeeping
from mediavault_dav.vault.members import Member, MemberSource, find_member, list_members
from mediavault_dav.vault.names import check_name, name_key
from mediavault_dav.vault.tree import FileEntry

MAX_TAGS_PER_FILE = 100
_COLUMNS = "t.id, t.user_id, t.name, t.color, t.created_at"


@dataclass(frozen=True)
class Tag:
    id: int
    user_id: int
    name: str
    color: str | None
    created_at: datetime


def _tag(row: sa.Row) -> Tag:
    return Tag(row.id, row.user_id, row.name, row.color, row.created_at)


def list_tags(session: Session, user_id: int) -> list[Tag]:
    rows = session.execute(sa.text(f"SELECT {_COLUMNS} FROM tags t WHERE t.user_id = :user ORDER BY t.name_key"),
                           {"user": user_id})
    return [_tag(row) for row in rows]


def find_tag(session: Session, user_id: int, name: str) -> Tag | None:
    row = session.execute(
        sa.text(f"SELECT {_COLUMNS} FROM tags t WHERE t.user_id = :user AND t.name_key = normalize(:name, NFC)"),
        {"user": user_id, "name": name},
    ).one_or_none()
    return None if row is None else _tag(row)


def get_tag(session: Session, user_id: int, name: str) -> Tag:
    tag = find_tag(session, user_id, name)
    if tag is None:
        raise NotFound(f"there is no tag named {name!r}")
    return tag


def create_tag(session: Session, user_id: int, name: str) -> Tag:
    check_name(name)
    row = session.execute(
        sa.text(f"""INSERT INTO tags AS t (user_id, name) VALUES (:user, :name)
                    ON CONFLICT ON CONSTRAINT uq_tags_user_id_name_key DO NOTHING RETURNING {_COLUMNS}"""),
        {"user": user_id, "name": name},
    ).one_or_none()
    if row is None:
        raise Conflict(f"a tag named {name!r} already exists")
    return _tag(row)


def rename_tag(session: Session, tag: Tag, new_name: str, *, replace: bool) -> bool:
    """Rename; with ``replace`` a tag already using the name is deleted first."""
    check_name(new_name)
    existing = find_tag(session, tag.user_id, new_name)
    replaced = False
    if existing is not None and existing.id != tag.id:
        if not replace:
            raise Conflict(f"a tag named {new_name!r} already exists")
        delete_tag(session, existing)
        replaced = True
    session.execute(sa.text("UPDATE tags SET name = :name WHERE id = :id AND user_id = :user"),
                    {"name": new_name, "id": tag.id, "user": tag.user_id})
    return replaced


def delete_tag(session: Session, tag: Tag) -> None:
    """The label and its uses; never a file."""
    session.execute(sa.text("DELETE FROM tags WHERE id = :id AND user_id = :user"),
                    {"id": tag.id, "user": tag.user_id})


def _source(tag: Tag) -> MemberSource:
    return MemberSource(user_id=tag.user_id, joins="JOIN file_tags ft ON ft.file_id = e.id",
                        condition="ft.tag_id = :tag", params={"tag": tag.id}, rank="ft.id")


def tag_members(session: Session, tag: Tag) -> list[Member]:
    return list_members(session, _source(tag))


def find_tag_member(session: Session, tag: Tag, name: str) -> Member | None:
    return find_member(session, _source(tag), name)


def tag_file(session: Session, tag: Tag, file: FileEntry) -> bool:
    """Put the tag on a file of its owner; False if it was already there."""
    if file.user_id != tag.user_id:
        raise NotFound("the file no longer exists")
    if is_housekeeping(file.name):
        raise Forbidden(f"{file.name!r} is a client's housekeeping file; tags never show those")
    added = session.execute(
        sa.text("""INSERT INTO file_tags (file_id, tag_id)
                   SELECT id, :tag FROM files WHERE id = :file AND user_id = :user
                   ON CONFLICT ON CONSTRAINT uq_file_tags_file_id_tag_id DO NOTHING RETURNING id"""),
        {"tag": tag.id, "file": file.id, "user": tag.user_id},
    ).one_or_none()
    return added is not None


def untag_file(session: Session, tag: Tag, file_id: int) -> None:
    session.execute(sa.text("DELETE FROM file_tags WHERE tag_id = :tag AND file_id = :file"),
                    {"tag": tag.id, "file": file_id})


def set_file_tags(session: Session, file: FileEntry, names: Sequence[str]) -> list[str]:
    """Make ``names`` exactly the file's tags, creating tags that do not exist yet.

    Three statements whatever the number of tags. Returns the names as stored.
    """
    wanted: dict[str, str] = {}
    for name in names:
        check_name(name)
        wanted.setdefault(name_key(name), name)
    if len(wanted) > MAX_TAGS_PER_FILE:
        raise InvalidInput(f"a file may carry at most {MAX_TAGS_PER_FILE} tags")
    if wanted and is_housekeeping(file.name):
        raise Forbidden(f"{file.name!r} is a client's housekeeping file; tags never show those")
    session.execute(
        sa.text("""INSERT INTO tags (user_id, name) SELECT :user, name FROM unnest(CAST(:names AS text[])) AS name
                   ON CONFLICT ON CONSTRAINT uq_tags_user_id_name_key DO NOTHING"""),
        {"user": file.user_id, "names": list(wanted.values())},
    )
    session.execute(
        sa.text("""DELETE FROM file_tags ft USING tags t
                   WHERE ft.file_id = :file AND t.id = ft.tag_id AND t.name_key <> ALL(CAST(:keys AS text[]))"""),
        {"file": file.id, "keys": list(wanted)},
    )
    session.execute(
        sa.text("""INSERT INTO file_tags (file_id, tag_id)
                   SELECT :file, t.id FROM tags t WHERE t.user_id = :user AND t.name_key = ANY(CAST(:keys AS text[]))
                   ON CONFLICT ON CONSTRAINT uq_file_tags_file_id_tag_id DO NOTHING"""),
        {"file": file.id, "user": file.user_id, "keys": list(wanted)},
    )
    return sorted(wanted.values(), key=name_key)
