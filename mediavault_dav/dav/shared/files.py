"""A folder or file shared with the user: the owner's entries, at the grant's level.

These are the ``/Files/`` resource classes (dav/files.py) with three differences:

- their lock key is the owner's own reference URL (``Place.ref_url``), so locks
  taken through the grant and by the owner meet;
- every write asks the grant first (``Place.require``; vault/permissions.py
  decides): PUT, MKCOL, DELETE, PROPPATCH need ``write``, LOCK is refused on a
  read grant (``prevent_locking``), and the shared item itself is never deleted,
  moved or renamed by its grantee;
- COPY and MOVE stay inside what the grant reaches: a MOVE only within the same
  shared item, a COPY out only into the grantee's own ``/Files/`` (where the copy
  becomes theirs, vault/tree.py ``copy_across``) or into a folder they may write.

What is stored here is the owner's: an upload lands in the owner's tree, counted
against the owner's quota; the audit row names the grantee as the actor.
"""

from __future__ import annotations

from typing import Any

from wsgidav.dav_error import HTTP_FORBIDDEN, DAVError
from wsgidav.dav_provider import DAVNonCollection

from mediavault_dav.dav import media_properties
from mediavault_dav.dav.files import EntryResource, FileResource, FolderResource, PendingFile, Upload
from mediavault_dav.dav.shared.place import Place
from mediavault_dav.vault.permissions import Action
from mediavault_dav.vault.tree import Entry, FileEntry, FolderEntry

TAGS_REFUSAL = "tags are their owner's own labels: they cannot be set on a file shared with you"
MOVE_OUT_REFUSAL = "a MOVE cannot take anything out of what is shared with you: copy it instead"


class SharedEntry(EntryResource):
    """What shared folders and files add to the ``/Files/`` resources."""

    place: Place

    def get_ref_url(self) -> str:
        if self._ref_url is None:
            self._ref_url = self.place.ref_url(self.path, collection=self.is_collection)
        return self._ref_url

    def get_display_name(self) -> str:
        return self.name  # the shared item may be shown under a distinct name

    def prevent_locking(self) -> bool:
        return not self.place.allows(Action.LOCK)

    # --- writes ------------------------------------------------------------------------

    def _require_change(self) -> None:
        self.place.require(Action.REMOVE if self.place.is_root(self.path) else Action.CHANGE)

    def handle_delete(self) -> bool:
        self._require_change()
        return super().handle_delete()

    def move_destination(self, dest_path: str) -> tuple[FolderEntry, str]:
        self._require_change()
        folder, name = self.provider.resolve_target(dest_path, self.environ)
        target_place = getattr(folder, "place", None)
        if target_place is None or target_place.item.grant_id != self.place.item.grant_id:
            raise DAVError(HTTP_FORBIDDEN, MOVE_OUT_REFUSAL)
        folder.check_writing_into()
        return folder.entry, name

    def set_property_value(self, name: str, value: Any, *, dry_run: bool = False) -> Any:
        self.place.require(Action.CHANGE)
        if name == media_properties.TAGS:
            raise DAVError(HTTP_FORBIDDEN, TAGS_REFUSAL)
        return super().set_property_value(name, value, dry_run=dry_run)

    def set_last_modified(self, dest_path: str, time_stamp: Any, *, dry_run: bool) -> bool:
        self.place.require(Action.CHANGE)
        return super().set_last_modified(dest_path, time_stamp, dry_run=dry_run)


class SharedFolder(SharedEntry, FolderResource):
    def __init__(self, path: str, environ: dict[str, Any], entry: FolderEntry, place: Place) -> None:
        super().__init__(path, environ, entry)
        self.place = place

    def child(self, path: str, entry: Entry) -> EntryResource:
        return shared_entry(path, self.environ, entry, self.place)

    def pending(self, path: str, name: str) -> DAVNonCollection:
        return SharedPendingFile(path, self.environ, self.entry, name, self.place)

    def check_writing_into(self) -> None:
        self.place.require(Action.CHANGE)

    def quota_owner(self) -> int | None:
        # Uploads here are the owner's and use the owner's quota.
        return self.place.owner_id if self.place.allows(Action.CHANGE) else None


class SharedFile(SharedEntry, FileResource):
    def __init__(self, path: str, environ: dict[str, Any], entry: FileEntry, place: Place) -> None:
        super().__init__(path, environ, entry)
        self.place = place

    def begin_write(self, *, content_type: str | None = None) -> Upload:
        self.place.require(Action.CHANGE)
        return super().begin_write(content_type=content_type)


class SharedPendingFile(PendingFile):
    """A PUT of a new name into a shared folder: the owner's file once stored."""

    def __init__(self, path: str, environ: dict[str, Any], folder: FolderEntry, name: str, place: Place) -> None:
        super().__init__(path, environ, folder, name)
        self.place = place

    def get_ref_url(self) -> str:
        return self.place.ref_url(self.path, collection=False)

    def prevent_locking(self) -> bool:
        return not self.place.allows(Action.LOCK)


def shared_entry(path: str, environ: dict[str, Any], entry: Entry, place: Place) -> SharedFolder | SharedFile:
    if isinstance(entry, FolderEntry):
        return SharedFolder(path, environ, entry, place)
    return SharedFile(path, environ, entry, place)
