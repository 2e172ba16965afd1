"""The signed-in user's root: the top-level areas of the namespace (DESIGN.md).

Each area is its own collection class (dav/albums.py, dav/tags.py, ...,
dav/shared/ for what others share with the user).
"""

from __future__ import annotations

from typing import Any

from wsgidav.dav_provider import DAVCollection
from wsgidav.util import join_uri

from mediavault_dav.dav.albums import AlbumsCollection
from mediavault_dav.dav.categories import CategoriesCollection
from mediavault_dav.dav.playlists import PlaylistsCollection
from mediavault_dav.dav.quota import QuotaProperties
from mediavault_dav.dav.shared import SharedWithMeCollection
from mediavault_dav.dav.smart_folders import SmartFoldersCollection
from mediavault_dav.dav.tags import TagsCollection

FILES = "Files"
ALBUMS = "Albums"
SMART_FOLDERS = "Smart Folders"
TAGS = "Tags"
CATEGORIES = "Categories"
PLAYLISTS = "Playlists"
SHARED_WITH_ME = "Shared With Me"

TOP_LEVEL_AREAS: tuple[str, ...] = (
    FILES, ALBUMS, SMART_FOLDERS, TAGS, CATEGORIES, PLAYLISTS, SHARED_WITH_ME,
)

_VIRTUAL_AREAS: dict[str, Any] = {
    ALBUMS: AlbumsCollection,
    SMART_FOLDERS: SmartFoldersCollection,
    TAGS: TagsCollection,
    CATEGORIES: CategoriesCollection,
    PLAYLISTS: PlaylistsCollection,
    SHARED_WITH_ME: SharedWithMeCollection,
}


class RootCollection(QuotaProperties, DAVCollection):
    """``/``: one member per area, in the order DESIGN.md gives them (and the
    quota properties Finder reads from the mount's root)."""

    def get_member_names(self) -> list[str]:
        return list(TOP_LEVEL_AREAS)

    def get_member(self, name: str) -> DAVCollection | None:
        if name not in TOP_LEVEL_AREAS:
            return None
        if name == FILES:
            return self.provider.get_resource_inst("/" + FILES, self.environ)
        return _VIRTUAL_AREAS[name](join_uri(self.path, name), self.environ)  # type: ignore[no-any-return]

    def get_display_name(self) -> str:
        return "MediaVault"

    def prevent_locking(self) -> bool:
        return True
