"""The DAV resources of a share: read-only collections and files.

Every resource is built from one row snapshot (WsgiDAV asks each getter several
times per member). None of them can be written, locked or given properties: the
gate refuses every write method before it gets here, the provider is read-only,
and as a last line each write hook refuses again. Guests see live properties
only (names, sizes, types, dates, ETags), never the owner's dead properties.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO, NoReturn
from urllib.parse import parse_qs

from wsgidav import util
from wsgidav.dav_error import HTTP_FORBIDDEN, DAVError
from wsgidav.dav_provider import DAVCollection, DAVNonCollection

from mediavault_dav.dav import content_policy
from mediavault_dav.dav.shares.context import OpenShare, share_request
from mediavault_dav.vault import share_content
from mediavault_dav.vault.share_content import Shown
from mediavault_dav.vault.tree import FileEntry, FolderEntry

if TYPE_CHECKING:
    from mediavault_dav.dav.shares.provider import ShareProvider

_READ_ONLY = "a share link is read-only"


def _refuse() -> NoReturn:
    raise DAVError(HTTP_FORBIDDEN, _READ_ONLY)


def query(environ: dict[str, Any]) -> dict[str, list[str]]:
    return parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)


class NeverWritten:
    """The write hooks every share resource refuses (a last line: the gate refuses writes first)."""

    def delete(self) -> NoReturn:
        _refuse()

    def handle_delete(self) -> NoReturn:
        _refuse()

    def handle_copy(self, dest_path: str, *, depth_infinity: bool) -> NoReturn:
        _refuse()

    def handle_move(self, dest_path: str) -> NoReturn:
        _refuse()

    def set_property_value(self, name: str, value: Any, *, dry_run: bool = False) -> NoReturn:
        _refuse()


@dataclass(frozen=True)
class Listing:
    """What a share collection lists: subfolders and files, loaded in one go."""

    folders: list[FolderEntry]
    files: list[Shown]
    entries: list[Any] = field(default_factory=list)  # dav/propfind.py's prefetch hook: nothing to prefetch


class ShareCollection(NeverWritten, DAVCollection):
    """A folder of a share: the shared folder or one below it, or a flat share's root."""

    provider: ShareProvider

    def __init__(self, path: str, environ: dict[str, Any], opened: OpenShare, folder: FolderEntry | None) -> None:
        super().__init__(path, environ)
        self.opened = opened
        self.folder = folder  # None: the root of a flat share (album, smart folder, tag, file)
        self._listing: Listing | None = None

    @property
    def target(self) -> share_content.Target:
        assert self.opened.target is not None
        return self.opened.target

    @property
    def is_share_root(self) -> bool:
        shared = self.target.folder
        return self.folder is None or (shared is not None and self.folder.id == shared.id)

    def get_display_name(self) -> str:
        if self.folder is None or self.is_share_root:
            return self.target.name
        return self.folder.name

    def get_creation_date(self) -> float:
        return (self.folder.created_at if self.folder else self.target.modified_at).timestamp()

    def get_last_modified(self) -> float:
        return (self.folder.modified_at if self.folder else self.target.modified_at).timestamp()

    def get_etag(self) -> None:
        return None

    def prevent_locking(self) -> bool:
        return True

    # --- listing --------------------------------------------------------------------

    def load_listing(self) -> Listing:
        if self._listing is None:
            with self.provider.database.reading() as session:
                if self.folder is not None:
                    folders, files = share_content.folder_contents(session, self.folder)
                else:
                    folders, files = [], share_content.members(session, self.target)
            self._listing = Listing(folders, files)
        return self._listing

    def iter_members(self, listing: Listing) -> Iterator[ShareCollection | SharedFile]:
        for folder in listing.folders:
            yield ShareCollection(util.join_uri(self.path, folder.name), self.environ, self.opened, folder)
        for shown in listing.files:
            yield SharedFile(util.join_uri(self.path, shown.name), self.environ, self.opened, shown)

    def get_member_list(self) -> list[ShareCollection | SharedFile]:
        return list(self.iter_members(self.load_listing()))

    def get_member_names(self) -> list[str]:
        listing = self.load_listing()
        return [folder.name for folder in listing.folders] + [shown.name for shown in listing.files]

    def get_member(self, name: str) -> Any:
        return self.provider.get_resource_inst(util.join_uri(self.path, name), self.environ)

    # --- never written ------------------------------------------------------------------

    def create_empty_resource(self, name: str) -> NoReturn:
        _refuse()

    def create_collection(self, name: str) -> NoReturn:
        _refuse()

    def support_recursive_delete(self) -> bool:
        return False


class SharedFile(NeverWritten, DAVNonCollection):
    """A file of a share, under the name it has there."""

    provider: ShareProvider

    def __init__(self, path: str, environ: dict[str, Any], opened: OpenShare, shown: Shown) -> None:
        super().__init__(path, environ)
        self.opened = opened
        self.shown = shown

    @property
    def entry(self) -> FileEntry:
        return self.shown.entry

    def get_display_name(self) -> str:
        return self.shown.name

    def get_content_length(self) -> int:
        return self.entry.size

    def get_content_type(self) -> str:
        return self.entry.mime_type

    def get_creation_date(self) -> float:
        return self.entry.created_at.timestamp()

    def get_last_modified(self) -> float:
        return self.entry.modified_at.timestamp()

    def get_etag(self) -> str:
        return self.entry.etag

    def support_etag(self) -> bool:
        return True

    def support_ranges(self) -> bool:
        return True

    def prevent_locking(self) -> bool:
        return True

    def get_content(self) -> BinaryIO:
        """Called only when bytes are about to be sent: this is where a download counts."""
        wanted = query(self.environ)
        preview = "preview" in wanted and self.opened.share.max_downloads is None
        if not preview:
            self.provider.start_download(self.environ, self.opened, self.entry, "HTTP_RANGE" in self.environ)
        share_request(self.environ).details["file"] = self.entry.id
        return self.provider.open_blob(self.entry)

    def finalize_headers(self, environ: dict[str, Any], response_headers: list[tuple[str, str]]) -> None:
        response_headers.extend(content_policy.file_headers(
            self.entry.mime_type, self.shown.name, download="download" in query(environ)))

    # --- never written ------------------------------------------------------------------

    def begin_write(self, *, content_type: str | None = None) -> NoReturn:
        _refuse()

    def set_last_modified(self, dest_path: str, time_stamp: Any, *, dry_run: bool) -> NoReturn:
        _refuse()
