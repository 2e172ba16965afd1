"""An album or smart folder shared with the user: its owner's virtual folder, at the grant's level.

A shared smart folder is read-only at every level (it is read-only for its owner
too). A shared album is read-only on a read grant; a write (or manage) grant makes
its *membership* editable, as the owner edits it:

- PUT of a new name stores the file in the owner's ``/Files/Albums/<album>/`` (the
  owner's file, counted against the owner's quota) and adds it; PUT over a member
  saves that file;
- DELETE of a member takes it out of the album (the file stays where it is);
- PROPPATCH sets the album's cover, a member's position, members' dead properties;
- LOCK and UNLOCK of members;
- COPY into it adds a file of the same owner (one reached through another grant);
  the grantee's own files cannot become members of someone else's album.

Never, at any level: deleting, renaming or copying the album itself, moving a
member out of it. Members are the owner's files; their lock key is their place in
the owner's ``/Files/`` (as in the owner's own albums), so locks meet.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from wsgidav import util
from wsgidav.dav_error import HTTP_FORBIDDEN, DAVError
from wsgidav.dav_provider import DAVNonCollection, _DAVResource

from mediavault_dav.dav import media_properties
from mediavault_dav.dav.albums import AlbumCollection
from mediavault_dav.dav.files import FILES_ROOT, FileResource
from mediavault_dav.dav.shared.files import MOVE_OUT_REFUSAL, TAGS_REFUSAL, SharedFile
from mediavault_dav.dav.shared.place import Place
from mediavault_dav.dav.smart_folders import SmartFolderCollection
from mediavault_dav.dav.virtual import MemberCollection, MemberFile
from mediavault_dav.vault import albums
from mediavault_dav.vault.albums import Album
from mediavault_dav.vault.members import Member
from mediavault_dav.vault.permissions import Action
from mediavault_dav.vault.smart_folders import SmartFolder
from mediavault_dav.vault.tree import FileEntry


class SharedMember(MemberFile):
    """A member of a shared album or smart folder: the owner's file."""

    collection: SharedAlbum | SharedSmartFolder

    @property
    def place(self) -> Place:
        return self.collection.place

    def handle_move(self, dest_path: str) -> bool:
        self.collection.check_writable()
        raise DAVError(HTTP_FORBIDDEN, MOVE_OUT_REFUSAL)

    def set_property_value(self, name: str, value: Any, *, dry_run: bool = False) -> Any:
        self.collection.check_writable()
        if name == media_properties.TAGS:
            raise DAVError(HTTP_FORBIDDEN, TAGS_REFUSAL)
        return super().set_property_value(name, value, dry_run=dry_run)


class _SharedMembers(MemberCollection):
    """What shared albums and smart folders have in common."""

    place: Place

    def get_display_name(self) -> str:
        return self.name  # the shared item may be shown under a distinct name

    def make_member(self, member: Member, parent_path: str | None = None) -> SharedMember:
        return SharedMember(util.join_uri(parent_path or self.path, member.name), self.environ, member, self)

    def check_writable(self) -> None:
        self.place.require(Action.CHANGE)

    def quota_owner(self) -> int | None:
        return self.place.owner_id if self.place.allows(Action.CHANGE) else None

    # The shared item itself belongs to its owner.
    def handle_delete(self) -> bool:
        self.place.require(Action.REMOVE)  # always refused
        return False

    def handle_move(self, dest_path: str) -> bool:
        self.place.require(Action.REMOVE)  # always refused
        return False

    def handle_copy(self, dest_path: str, *, depth_infinity: bool) -> bool:
        raise DAVError(HTTP_FORBIDDEN, f"a shared {self.kind} cannot be copied as a whole: copy its files")


class SharedAlbum(_SharedMembers, AlbumCollection):
    def __init__(self, path: str, environ: dict[str, Any], album: Album, place: Place) -> None:
        super().__init__(path, environ, album)
        self.place = place
        self.writable = place.allows(Action.CHANGE)

    def create_empty_resource(self, name: str) -> DAVNonCollection:
        self.check_writable()
        return self._canonical(super().create_empty_resource(name))  # type: ignore[return-value]

    def get_member(self, name: str) -> FileResource | None:
        return self._canonical(super().get_member(name))

    def set_property_value(self, name: str, value: Any, *, dry_run: bool = False) -> None:
        self.check_writable()
        return super().set_property_value(name, value, dry_run=dry_run)

    def _canonical(self, found: Any) -> Any:
        """A client's housekeeping file stored beside the album's uploads (never a
        member) is the owner's file in ``/Files/Albums/<album>/``: lock it there."""
        if isinstance(found, FileResource) and not isinstance(found, MemberFile):
            ref_url = f"/~{self.album.user_id}" + quote(
                f"{FILES_ROOT}/{albums.UPLOAD_FOLDER}/{self.album.name}/{found.entry.name}")
            return _LooseFile(found.path, self.environ, found.entry, ref_url, self.place)
        return found


class SharedSmartFolder(_SharedMembers, SmartFolderCollection):
    def __init__(self, path: str, environ: dict[str, Any], folder: SmartFolder, place: Place) -> None:
        super().__init__(path, environ, folder)
        self.place = place
        self.refusal = "a shared smart folder is read-only: it shows the live result of its owner's rules"


class _LooseFile(SharedFile):
    """A file of the owner's tree reached through a shared album without being a
    member: locked at its own place in the owner's /Files/, changed as the grant allows."""

    def __init__(self, path: str, environ: dict[str, Any], entry: FileEntry, ref_url: str, place: Place) -> None:
        super().__init__(path, environ, entry, place)
        self._ref_url = ref_url


def shared_collection(path: str, environ: dict[str, Any], place: Place) -> _DAVResource:
    if place.item.album is not None:
        return SharedAlbum(path, environ, place.item.album, place)
    assert place.item.smart_folder is not None
    return SharedSmartFolder(path, environ, place.item.smart_folder, place)
