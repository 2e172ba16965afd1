"""``/Shared With Me/`` and ``/Shared With Me/<owner>/``, and resolving paths below them.

``/Shared With Me/`` lists one folder per user who granted the signed-in user
something live; ``/Shared With Me/<owner>/`` lists what they granted, by name
(vault/shared_with_me.py). Both are read-only listings: one statement each,
whatever the number of grants. Below an item, a path is resolved in two
statements at most: the owner's live grants (with the item's row), then the path
below a shared folder (vault/tree.py ``locate_below``) or the member of a shared
album or smart folder. A path of a grant that expired, was revoked, or never
existed resolves to nothing: 404, the same answer as for any missing path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session
from wsgidav import util
from wsgidav.dav_error import HTTP_BAD_REQUEST, DAVError
from wsgidav.dav_provider import _DAVResource

from mediavault_dav.dav.auth import ACCOUNT_KEY
from mediavault_dav.dav.shared.collections import shared_collection
from mediavault_dav.dav.shared.files import SharedFolder, shared_entry
from mediavault_dav.dav.shared.place import SHARED_ROOT, Place, register
from mediavault_dav.dav.virtual import Listing, VirtualCollection, dav_errors
from mediavault_dav.vault import member_names, properties, shared_with_me, tree
from mediavault_dav.vault.errors import VaultError
from mediavault_dav.vault.names import split_path
from mediavault_dav.vault.shared_with_me import SharedItem, SharingOwner
from mediavault_dav.vault.tree import FolderEntry

if TYPE_CHECKING:
    from mediavault_dav.dav.provider import MediaVaultProvider

REFUSAL = ("/Shared With Me/ lists what other users share with you; change things inside a folder "
           "shared with you for writing")


def _grantee(environ: dict[str, Any]) -> int:
    return int(environ[ACCOUNT_KEY].id)


class SharedWithMeCollection(VirtualCollection):
    """``/Shared With Me/``: one folder per owner."""

    refusal = REFUSAL

    def get_display_name(self) -> str:
        return "Shared With Me"

    def load_listing(self) -> Listing:
        with dav_errors(), self.provider.database.reading() as session:
            owners = shared_with_me.owners_sharing_with(session, _grantee(self.environ))
        return Listing(owners, [], {})

    def build_member(self, item: SharingOwner, listing: Listing) -> OwnerCollection:
        return OwnerCollection(self.child_path(item.username), self.environ, item.username)

    def get_member(self, name: str) -> _DAVResource | None:
        return self.provider.get_resource_inst(self.child_path(name), self.environ)


class OwnerCollection(VirtualCollection):
    """``/Shared With Me/<owner>/``: what that owner shares with the signed-in user."""

    refusal = REFUSAL

    def __init__(self, path: str, environ: dict[str, Any], owner: str,
                 items: list[SharedItem] | None = None) -> None:
        super().__init__(path, environ)
        self.owner = owner
        self._items = items

    def get_display_name(self) -> str:
        return self.name

    def load_listing(self) -> Listing:
        """The items and the dead properties of the shared folders and files: two statements."""
        with dav_errors(), self.provider.database.reading() as session:
            items = self._items
            if items is None:
                items = shared_with_me.shared_items(session, _grantee(self.environ), self.owner)
            keys = [key for key in map(_entry_key, items) if key is not None]
            dead = properties.load(session, keys) if keys else {}
        return Listing(items, [item.file for item in items if item.file is not None], dead)

    def build_member(self, item: SharedItem, listing: Listing) -> _DAVResource:
        member = item_resource(self.child_path(item.name), self.environ, item)
        key = _entry_key(item)
        if key is not None:
            member.prefetch(listing.dead.get(key, {}))  # type: ignore[attr-defined]
        return member


def _entry_key(item: SharedItem) -> properties.EntryKey | None:
    if item.folder is not None:
        return ("folder", item.folder.id)
    if item.file is not None:
        return ("file", item.file.id)
    return None


def item_resource(path: str, environ: dict[str, Any], item: SharedItem) -> _DAVResource:
    """The resource of a shared item, at ``path``."""
    place = Place(item, path.rstrip("/"))
    register(environ, place)
    if item.folder is not None:
        return SharedFolder(path, environ, item.folder, place)
    if item.file is not None:
        return shared_entry(path, environ, item.file, place)
    return shared_collection(path, environ, place)


def segments_below(path: str) -> list[str]:
    """The checked names of a path below /Shared With Me (a bad one is a 400)."""
    try:
        return split_path(path[len(SHARED_ROOT):])
    except VaultError as error:
        raise DAVError(HTTP_BAD_REQUEST, str(error)) from None


def resolve(provider: MediaVaultProvider, path: str, environ: dict[str, Any]) -> _DAVResource | None:
    """The resource at a path below /Shared With Me, or None if there is none for this user."""
    segments = segments_below(path)
    if not segments:
        return SharedWithMeCollection(SHARED_ROOT, environ)
    owner_path = f"{SHARED_ROOT}/{segments[0]}"
    with dav_errors(), provider.database.reading() as session:
        items = shared_with_me.shared_items(session, _grantee(environ), segments[0])
        if not items:
            return None  # an unknown user, or nothing live from them: indistinguishable
        owner = OwnerCollection(owner_path, environ, segments[0], items)
        if len(segments) == 1:
            return owner
        provider.remember(owner_path, owner, environ)  # WsgiDAV asks for the parent next
        index = member_names.pick(items, segments[1])
        if index is None:
            return None
        item = items[index]
        root = item_resource(f"{owner_path}/{segments[1]}", environ, item)
        rest = segments[2:]
        if not rest:
            return root
        provider.remember(root.path, root, environ)
        if isinstance(root, SharedFolder):
            return _below_folder(provider, session, root, rest, environ)
    if item.file is not None:
        return None  # a shared file has nothing below it
    if len(rest) == 1:
        return root.get_member(rest[0])  # a member of a shared album or smart folder
    return None


def _below_folder(provider: MediaVaultProvider, session: Session, root: SharedFolder, rest: list[str],
                  environ: dict[str, Any]) -> _DAVResource | None:
    """A path inside a shared folder: one statement, which cannot climb above it."""
    assert isinstance(root.entry, FolderEntry)
    located = tree.locate_below(session, root.entry, rest)
    if environ["REQUEST_METHOD"] in provider.LOCK_CHECKING_METHODS:
        provider.preload_locks(session, environ, root.place.owner_id)
    path = root.path.rstrip("/") + "".join("/" + segment for segment in rest)
    if located.parent is not None and len(rest) > 1:
        # A PUT, MKCOL or LOCK on a new name asks for its parent next: already known.
        parent_path = util.get_uri_parent(path).rstrip("/")
        provider.remember(parent_path, shared_entry(parent_path, environ, located.parent, root.place), environ)
    if located.entry is None:
        return None
    return shared_entry(path, environ, located.entry, root.place)
