"""Where a shared item appears for its grantee, and how that maps to its owner's tree.

A ``Place`` is one live grant as one request sees it: the item (vault/shared_with_me.py)
and the path it is reached at, ``/Shared With Me/<owner>/<name>``. Everything below
that path is in the owner's tree, so a resource there has two paths: the one the
grantee asked for, and the owner's own (``/Files/Trip/x.jpg``). Locks are keyed
by the owner's: ``/~<owner id>/Files/...``, the reference URL the owner's own
resources have, so a lock taken through a grant and one taken by the owner on
the same file conflict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from mediavault_dav.dav.changes import SHARED_GRANTS_KEY
from mediavault_dav.dav.errors import to_dav_error
from mediavault_dav.vault.errors import VaultError
from mediavault_dav.vault.permissions import Action
from mediavault_dav.vault.shared_with_me import SharedItem

SHARED_ROOT = "/Shared With Me"
FILES_ROOT = "/Files"
_PLACES_KEY = "mediavault.shared_places"  # every place this request reached, for lock roots


def is_shared_path(path: str) -> bool:
    return path == SHARED_ROOT or path.startswith(SHARED_ROOT + "/")


@dataclass(frozen=True)
class Place:
    item: SharedItem
    root: str  # "/Shared With Me/alice/Trip", without a trailing slash

    @property
    def owner_id(self) -> int:
        return self.item.owner_id

    def is_root(self, path: str) -> bool:
        return path.rstrip("/") == self.root

    def contains(self, path: str) -> bool:
        path = path.rstrip("/")
        return path == self.root or path.startswith(self.root + "/")

    # --- the owner's tree ---------------------------------------------------------------

    def owner_path(self, path: str) -> str:
        """A path at or below ``root``, below /Files in the owner's tree (folders and files)."""
        assert self.item.tree_path is not None and self.contains(path)
        return self.item.tree_path + path.rstrip("/")[len(self.root):]

    def ref_url(self, path: str, *, collection: bool) -> str:
        """The lock key of the resource at ``path``: the owner's own reference URL."""
        return f"/~{self.owner_id}" + quote(FILES_ROOT + self.owner_path(path) + ("/" if collection else ""))

    def shared_path(self, owner_files_path: str) -> str | None:
        """The path at which the grantee sees the owner's ``/Files/...`` path: below
        ``root`` if it is inside the shared item, ``root`` itself if it is above it
        (a lock on a folder above the shared one covers the item), None otherwise."""
        tree_path = self.item.tree_path
        if tree_path is None or not (owner_files_path == FILES_ROOT or owner_files_path.startswith(FILES_ROOT + "/")):
            return None
        below = owner_files_path[len(FILES_ROOT):].rstrip("/")
        if below == tree_path or below.startswith(tree_path + "/"):
            return self.root + below[len(tree_path):]
        if tree_path.startswith(below + "/") or below == "":
            return self.root
        return None

    # --- what the grant allows (vault/permissions.py decides) --------------------------------

    def allows(self, action: Action) -> bool:
        return self.item.allows(action)

    def require(self, action: Action) -> None:
        """A 403 with the reason, unless the grant allows ``action``."""
        try:
            self.item.require(action)
        except VaultError as error:
            raise to_dav_error(error) from None


def register(environ: dict[str, Any], place: Place) -> None:
    """This request reaches ``place``: its changes name the grant in the audit trail,
    and lock roots in the owner's tree are shown at their shared path."""
    environ.setdefault(SHARED_GRANTS_KEY, {})[place.item.grant_id] = place.item.owner
    places = places_reached(environ)
    if place not in places:
        places.append(place)


def places_reached(environ: dict[str, Any]) -> list[Place]:
    """The places this request has reached so far (the list grows as it reaches more)."""
    places: list[Place] = environ.setdefault(_PLACES_KEY, [])
    return places


def shared_path_of(places: list[Place], owner_id: int, owner_files_path: str) -> str | None:
    """Where the grantee sees an owner's ``/Files/...`` path through these places, if anywhere."""
    for place in places:
        if place.owner_id == owner_id:
            found = place.shared_path(owner_files_path)
            if found is not None:
                return found
    return None
