"""What every virtual folder has in common: listing, member files, refusals.

A virtual folder (an album, a tag, a category, a smart folder) shows files that
live in ``/Files/``. Its members are ``MemberFile`` resources: the same file as in
``/Files/`` (same bytes, ETag, dead properties), seen under the virtual path. A
member's reference URL (the key of locks) is its canonical ``/Files/`` path, so a
lock taken through an album protects the file everywhere.

Listing a virtual folder is one statement for the members (vault/members.py)
plus one for their dead properties, whatever their number; PROPFIND streams them
(dav/propfind.py). Every write a kind of folder does not support is a 403 with a
short reason; nothing is changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import quote

from sqlalchemy.orm import Session
from wsgidav import util
from wsgidav.dav_error import HTTP_FORBIDDEN, HTTP_NOT_FOUND, DAVError
from wsgidav.dav_provider import DAVCollection, DAVNonCollection, _DAVResource

from mediavault_dav.blobs import BlobInfo
from mediavault_dav.dav.changes import changing
from mediavault_dav.dav.errors import to_dav_error
from mediavault_dav.dav.files import CREATED_KEY, FILES_ROOT, FileResource, PendingUpload, Upload
from mediavault_dav.dav.quota import QuotaProperties
from mediavault_dav.vault import member_names, properties, tree
from mediavault_dav.vault.errors import VaultError
from mediavault_dav.vault.members import Member
from mediavault_dav.vault.names import name_key
from mediavault_dav.vault.tree import FileEntry

if TYPE_CHECKING:
    from mediavault_dav.dav.provider import MediaVaultProvider


def refuse(reason: str) -> NoReturn:
    raise DAVError(HTTP_FORBIDDEN, reason)


@contextmanager
def dav_errors() -> Iterator[None]:
    """Vault errors as their HTTP status (WsgiDAV turns anything else into a 500)."""
    try:
        yield
    except VaultError as error:
        raise to_dav_error(error) from None


@dataclass(frozen=True)
class Listing:
    items: list[Any]  # what the members are built from (rows)
    entries: list[FileEntry]  # the files among them, for property prefetching
    dead: dict[properties.EntryKey, dict[str, bytes]]


def timestamp(moment: datetime) -> float:
    return moment.timestamp()


class VirtualCollection(QuotaProperties, DAVCollection):
    """A collection listed from one load, never locked, read-only unless a subclass allows."""

    provider: MediaVaultProvider
    refusal = "this folder is read-only"

    def __init__(self, path: str, environ: dict[str, Any]) -> None:
        super().__init__(path, environ)
        self._members: list[_DAVResource] | None = None

    # --- listing --------------------------------------------------------------

    def load_listing(self) -> Listing:
        raise NotImplementedError

    def build_member(self, item: Any, listing: Listing) -> _DAVResource:
        raise NotImplementedError

    def iter_members(self, listing: Listing) -> Iterator[_DAVResource]:
        for item in listing.items:
            yield self.build_member(item, listing)

    def get_member_list(self) -> list[_DAVResource]:
        if self._members is None:
            self._members = list(self.iter_members(self.load_listing()))
        return self._members

    def get_member_names(self) -> list[str]:
        return [member.name for member in self.get_member_list()]

    def get_member(self, name: str) -> _DAVResource | None:
        key = name_key(name)
        for member in self.get_member_list():
            if name_key(member.name) == key:
                return member
        return None

    # --- identity ---------------------------------------------------------------

    def get_ref_url(self) -> str:
        return f"/~{self.provider.user_id(self.environ)}" + super().get_ref_url()

    def prevent_locking(self) -> bool:
        return True

    def get_etag(self) -> None:
        return None

    def child_path(self, name: str) -> str:
        return self.path.rstrip("/") + "/" + name

    # --- writes: refused unless a subclass says otherwise ----------------------------

    def create_empty_resource(self, name: str) -> DAVNonCollection:
        refuse(self.refusal)

    def create_collection(self, name: str) -> DAVCollection:
        refuse(self.refusal)

    def handle_delete(self) -> bool:
        refuse(self.refusal)

    def handle_copy(self, dest_path: str, *, depth_infinity: bool) -> bool:
        refuse(self.refusal)

    def handle_move(self, dest_path: str) -> bool:
        refuse(self.refusal)

    def delete(self) -> None:
        refuse(self.refusal)

    def support_recursive_delete(self) -> bool:
        return False


class MemberCollection(VirtualCollection):
    """A virtual folder of files. Read-only unless ``writable`` (albums, tags)."""

    writable = False
    kind = "virtual folder"
    member_properties: tuple[str, ...] = ()

    # --- what a kind of folder provides -----------------------------------------------

    def owner_id(self) -> int:
        """Whose files this folder holds (an album shared with the user is its owner's)."""
        return self.provider.user_id(self.environ)

    def members(self, session: Session) -> list[Member]:
        raise NotImplementedError

    def find(self, session: Session, name: str) -> Member | None:
        raise NotImplementedError

    def add(self, session: Session, entry: FileEntry) -> None:
        refuse(self.refusal)

    def remove(self, session: Session, file_id: int) -> None:
        refuse(self.refusal)

    def member_property(self, member: Member, name: str) -> Any:
        raise DAVError(HTTP_NOT_FOUND)

    def set_member_property(self, member: Member, name: str, value: Any, *, dry_run: bool) -> None:
        refuse(self.refusal)

    # --- listing -----------------------------------------------------------------

    def load_listing(self) -> Listing:
        """Members and their dead properties: two statements whatever the size."""
        with dav_errors(), self.provider.database.transaction() as session:
            found = self.members(session)
            dead = properties.load(session, [("file", member.entry.id) for member in found])
        return Listing(found, [member.entry for member in found], dead)

    def build_member(self, item: Any, listing: Listing) -> MemberFile:
        member = self.make_member(item)
        member.prefetch(listing.dead.get(("file", item.entry.id), {}))
        return member

    def make_member(self, member: Member, parent_path: str | None = None) -> MemberFile:
        """The member as a resource, at ``parent_path`` (default: this folder; Explorer's parts differ)."""
        return MemberFile(util.join_uri(parent_path or self.path, member.name), self.environ, member, self)

    def iter_members(self, listing: Listing) -> Iterator[_DAVResource]:
        from mediavault_dav.dav import explorer_parts  # (it builds on this module)

        if explorer_parts.for_explorer(self.environ, listing):  # more than Explorer can open at once
            yield from explorer_parts.parts(self, listing)
        else:
            yield from super().iter_members(listing)

    def get_member(self, name: str) -> _DAVResource | None:
        from mediavault_dav.dav import explorer_parts

        number = explorer_parts.part_number(name)
        if number is not None:
            return explorer_parts.PartCollection(self, number, name)
        with dav_errors(), self.provider.database.reading() as session:
            found = self.find(session, name)
        return None if found is None else self.make_member(found)

    # --- membership changes (writable kinds) -------------------------------------------

    def check_writable(self) -> None:
        if not self.writable:
            refuse(self.refusal)

    def add_copy(self, entry: FileEntry, name: str) -> bool:
        """COPY of a file to ``<this folder>/<name>``: it becomes a member. True if new."""
        self.check_writable()
        if entry.user_id != self.owner_id():
            refuse(f"only its owner's files can be added to a {self.kind}: copy the file into "
                   "/Files/ first, then add that copy")
        with dav_errors(), changing(self.provider.database, self.environ, "copy", self.child_path(name)) as change:
            change.about(entry)
            change.details = {"into": self.path}
            created = self.add_in(change.session, entry, name)
        self.environ[CREATED_KEY] = created
        return created

    def add_in(self, session: Session, entry: FileEntry, name: str) -> bool:
        wanted = member_names.candidates(name)
        if name_key(entry.name) not in (wanted.name, wanted.base):
            refuse(f"in a {self.kind} a file keeps its own name: copy it as {entry.name!r}")
        existing = self.find(session, name)
        if existing is not None and existing.entry.id == entry.id:
            return False
        if existing is not None:  # Overwrite: T (WsgiDAV has refused F already)
            self.remove(session, existing.entry.id)
        self.add(session, entry)
        return existing is None

    def remove_member(self, member: Member) -> None:
        self.check_writable()
        with dav_errors(), changing(self.provider.database, self.environ, "delete",
                                    self.child_path(member.name)) as change:
            change.about(member.entry)
            change.details = {"from": self.path}
            self.remove(change.session, member.entry.id)


class MemberFile(FileResource):
    """A file of ``/Files/`` seen in a virtual folder."""

    def __init__(self, path: str, environ: dict[str, Any], member: Member, collection: MemberCollection) -> None:
        super().__init__(path, environ, member.entry)
        self.member = member
        self.collection = collection

    def get_ref_url(self) -> str:
        # The canonical place: a lock taken here protects the file in /Files/ too.
        return f"/~{self.entry.user_id}" + quote(FILES_ROOT + self.member.folder_path + "/" + self.entry.name)

    def get_display_name(self) -> str:
        return self.member.name

    def prevent_locking(self) -> bool:
        return not self.collection.writable

    # --- properties -----------------------------------------------------------------

    def get_property_value(self, name: str) -> Any:
        if name in self.collection.member_properties:
            return self.collection.member_property(self.member, name)
        return super().get_property_value(name)

    def set_property_value(self, name: str, value: Any, *, dry_run: bool = False) -> Any:
        self.collection.check_writable()
        if name in self.collection.member_properties:
            return self.collection.set_member_property(self.member, name, value, dry_run=dry_run)
        return super().set_property_value(name, value, dry_run=dry_run)

    def set_last_modified(self, dest_path: str, time_stamp: Any, *, dry_run: bool) -> bool:
        self.collection.check_writable()
        return super().set_last_modified(dest_path, time_stamp, dry_run=dry_run)

    # --- writes ---------------------------------------------------------------------

    def begin_write(self, *, content_type: str | None = None) -> Upload:
        # Saving over a member saves the file itself (it is the same file).
        self.collection.check_writable()
        return super().begin_write(content_type=content_type)

    def handle_delete(self) -> bool:
        """Takes the file out of this folder; the file itself stays in /Files/."""
        self.collection.remove_member(self.member)
        return True

    def handle_move(self, dest_path: str) -> bool:
        """To another album or tag: the membership moves; the file stays where it is."""
        self.collection.check_writable()
        target = self.provider.virtual_target(dest_path, self.environ)
        if target is None or not target.writable:
            refuse(f"a file can be moved from a {self.collection.kind} only into another album or tag; "
                   "to move the file itself, move it in /Files/")
        if target.path.rstrip("/") == self.collection.path.rstrip("/"):
            refuse(f"a file keeps its own name in a {self.collection.kind}; rename it in /Files/ "
                   "and the new name shows everywhere")
        name = util.get_uri_name(dest_path.rstrip("/"))
        with dav_errors(), changing(self.provider.database, self.environ, "move", self.path) as change:
            change.about(self.entry)
            change.details = {"destination": dest_path}
            created = target.add_in(change.session, self.entry, name)
            self.collection.remove(change.session, self.entry.id)
        self.environ[CREATED_KEY] = created
        return True


class PendingMember(PendingUpload):
    """A new file PUT into an album: stored in the album's upload folder, then added."""

    def __init__(self, path: str, environ: dict[str, Any], collection: MemberCollection, name: str) -> None:
        super().__init__(path, environ, name)
        self.collection = collection

    def get_ref_url(self) -> str:
        return f"/~{self.provider.user_id(self.environ)}" + super().get_ref_url()

    def prevent_locking(self) -> bool:
        return True

    def begin_write(self, *, content_type: str | None = None) -> MemberUpload:
        self._upload = MemberUpload(self, content_type)
        return self._upload


class MemberUpload(Upload):
    """A PUT into a virtual folder: stored where the folder keeps its uploads, then added."""

    def __init__(self, resource: PendingMember, content_type: str | None) -> None:
        self._pending = resource  # first: the quota checked below is its folder's owner's
        # The folder is chosen when the bytes are safe (store below), not now.
        super().__init__(resource, 0, resource.name, content_type,  # type: ignore[arg-type]
                         must_not_exist=resource.environ.get("HTTP_IF_NONE_MATCH", "").strip() == "*")

    def owner_id(self) -> int:
        return self._pending.collection.owner_id()

    def store(self, session: Session, info: BlobInfo) -> FileEntry:
        collection = self._pending.collection
        return collection.store_upload(session, self._pending.name, info,  # type: ignore[attr-defined]
                                       mime_type=tree.guess_mime_type(self._pending.name, self._content_type),
                                       must_not_exist=self._must_not_exist, checksums=self._digests,
                                       modified_at=self._modified_at)


class Area(VirtualCollection):
    """A top-level area listing named virtual folders (albums, tags, ...)."""

    display_name = ""

    def items(self, session: Session) -> list[Any]:
        raise NotImplementedError

    def find_item(self, session: Session, name: str) -> Any | None:
        raise NotImplementedError

    def folder(self, item: Any) -> VirtualCollection:
        raise NotImplementedError

    def get_display_name(self) -> str:
        return self.display_name

    def load_listing(self) -> Listing:
        with dav_errors(), self.provider.database.reading() as session:
            found = self.items(session)
        return Listing(found, [], {})

    def build_member(self, item: Any, listing: Listing) -> _DAVResource:
        return self.folder(item)

    def get_member(self, name: str) -> _DAVResource | None:
        with dav_errors(), self.provider.database.reading() as session:
            found = self.find_item(session, name)
        return None if found is None else self.folder(found)


def renamed_within(area_path: str, dest_path: str) -> str:
    """The new name for a MOVE of a folder of ``area_path``; refused elsewhere."""
    parent = util.get_uri_parent(dest_path.rstrip("/")).rstrip("/")
    if parent != area_path.rstrip("/"):
        refuse(f"this folder can only be renamed within {area_path.rstrip('/')}/")
    return util.get_uri_name(dest_path.rstrip("/"))
