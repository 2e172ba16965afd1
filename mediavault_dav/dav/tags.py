"""``/Tags/``: one folder per tag, listing the files that carry it.

MKCOL in /Tags/ creates a tag, MOVE renames it, DELETE removes the tag (never a
file). Inside: COPY of a file tags it, DELETE of a member untags it, MOVE to
another tag or album moves the label. New files are not uploaded here (a tag is
not a place): upload into /Files/ or an album and copy the file in.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from mediavault_dav.dav.changes import changing
from mediavault_dav.dav.files import CREATED_KEY
from mediavault_dav.dav.virtual import Area, MemberCollection, dav_errors, refuse, renamed_within, timestamp
from mediavault_dav.vault import tags
from mediavault_dav.vault.members import Member
from mediavault_dav.vault.tags import Tag
from mediavault_dav.vault.tree import FileEntry


class TagsCollection(Area):
    display_name = "Tags"
    refusal = "only tags (folders) can be created in /Tags/"

    def items(self, session: Session) -> list[Tag]:
        return tags.list_tags(session, self.provider.user_id(self.environ))

    def find_item(self, session: Session, name: str) -> Tag | None:
        return tags.find_tag(session, self.provider.user_id(self.environ), name)

    def folder(self, item: Tag) -> TagCollection:
        return TagCollection(self.child_path(item.name), self.environ, item)

    def create_collection(self, name: str) -> TagCollection:
        with dav_errors(), changing(self.provider.database, self.environ, "mkcol", self.child_path(name)) as change:
            tag = tags.create_tag(change.session, self.provider.user_id(self.environ), name)
            change.resource_type, change.resource_id, change.status_code = "tag", tag.id, 201
        created = self.folder(tag)
        self.provider.remember(created.path, created, self.environ)
        return created


class TagCollection(MemberCollection):
    writable = True
    kind = "tag"
    refusal = ("a tag folder lists tagged files: copy a file here to tag it "
               "(upload new files into /Files/ or an album)")

    def __init__(self, path: str, environ: dict[str, Any], tag: Tag) -> None:
        super().__init__(path, environ)
        self.tag = tag

    def get_display_name(self) -> str:
        return self.tag.name

    def get_creation_date(self) -> float:
        return timestamp(self.tag.created_at)

    def get_last_modified(self) -> float:
        return timestamp(self.tag.created_at)

    def members(self, session: Session) -> list[Member]:
        return tags.tag_members(session, self.tag)

    def find(self, session: Session, name: str) -> Member | None:
        return tags.find_tag_member(session, self.tag, name)

    def add(self, session: Session, entry: FileEntry) -> None:
        tags.tag_file(session, self.tag, entry)

    def remove(self, session: Session, file_id: int) -> None:
        tags.untag_file(session, self.tag, file_id)

    def handle_delete(self) -> bool:
        """Deletes the tag; the files keep everything else."""
        with dav_errors(), changing(self.provider.database, self.environ, "delete", self.path) as change:
            change.resource_type, change.resource_id, change.status_code = "tag", self.tag.id, 204
            tags.delete_tag(change.session, self.tag)
        return True

    def handle_move(self, dest_path: str) -> bool:
        new_name = renamed_within("/Tags/", dest_path)
        with dav_errors(), changing(self.provider.database, self.environ, "move", self.path) as change:
            change.resource_type, change.resource_id = "tag", self.tag.id
            change.details = {"destination": dest_path}
            replaced = tags.rename_tag(change.session, self.tag, new_name,
                                       replace=self.environ.get("HTTP_OVERWRITE", "T") == "T")
        self.environ[CREATED_KEY] = not replaced
        return True

    def handle_copy(self, dest_path: str, *, depth_infinity: bool) -> bool:
        refuse("a tag cannot be copied; copy its files into another tag")
