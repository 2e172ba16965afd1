"""The DAV provider for a signed-in user's namespace.

It resolves a request path to a resource. Everything below the root is looked up
through the signed-in account, so another user's data is never reachable: their
paths are simply not there (404). The one way into another user's files is a
live grant, below ``/Shared With Me/<owner>/`` (dav/shared/), checked on every
request. Reference URLs, the keys of locks, carry the owner's id
(``/~<id>/Files/...``) for the same reason, and are the owner's own whatever
path reaches a file, so locks taken by the owner and through a grant meet.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, unquote

from wsgidav import util
from wsgidav.dav_error import HTTP_CONFLICT, HTTP_FORBIDDEN, DAVError
from wsgidav.dav_provider import DAVProvider, _DAVResource

from mediavault_dav.blobs import BlobStore
from mediavault_dav.dav import modification_time, plays, propfind, shared
from mediavault_dav.dav.auth import ACCOUNT_KEY
from mediavault_dav.dav.files import (
    CREATED_KEY,
    FILES_ROOT,
    EntryResource,
    FileResource,
    FolderResource,
    entry_resource,
    files_segments,
)
from mediavault_dav.dav.lock_storage import PostgresLockStorage, VisibleLockRoots
from mediavault_dav.dav.playlists import RESULT_KEY as PLAYLIST_RESULT_KEY
from mediavault_dav.dav.root import RootCollection
from mediavault_dav.dav.virtual import MemberCollection
from mediavault_dav.db.database import Database
from mediavault_dav.db.statements import Executes
from mediavault_dav.vault import quotas, tree
from mediavault_dav.vault.media_scanner import MediaScanner
from mediavault_dav.vault.tree import FileEntry

_CACHE_KEY = "mediavault.resources"
_UPLOAD_LIMITS_KEY = "mediavault.upload_limits"  # the signed-in user's, loaded with a PUT's path


def _cache_key(path: str) -> str:
    """``/Files/a/`` and ``/Files/a`` are one resource."""
    return path.rstrip("/") or "/"


class MediaVaultProvider(DAVProvider):
    # WsgiDAV checks locks for each of these before acting: their lock snapshot is
    # loaded together with the path (dav/lock_storage.py).
    LOCK_CHECKING_METHODS = frozenset({"PUT", "DELETE", "MKCOL", "COPY", "MOVE", "PROPPATCH", "LOCK", "UNLOCK"})

    def __init__(self, database: Database, blobs: BlobStore, media_scanner: MediaScanner | None = None, *,
                 verify_on_read: bool = False) -> None:
        super().__init__()
        self.database = database
        self.blobs = blobs
        self.media_scanner = media_scanner
        self.verify_on_read = verify_on_read  # hash full GETs (dav/verified_read.py)
        # Who this worker thread serves, and the grants their request reached:
        # ``ref_url_to_path`` (called by WsgiDAV without the request) needs them to show
        # a lock root in another user's tree. Small, so nothing big outlives a request.
        self._request = threading.local()

    def is_readonly(self) -> bool:
        return False

    def set_lock_manager(self, lock_manager: Any) -> None:
        # Conflicts are reported with the requester's paths, not lock keys (dav/lock_storage.py).
        visible = lambda ref_url: quote(self.ref_url_to_path(ref_url))  # noqa: E731
        super().set_lock_manager(None if lock_manager is None else VisibleLockRoots(lock_manager.storage, visible))

    def _user_id(self, environ: dict[str, Any]) -> int:
        return environ[ACCOUNT_KEY].id

    def user_id(self, environ: dict[str, Any]) -> int:
        """The signed-in user, whose namespace this request sees."""
        return self._user_id(environ)

    def get_resource_inst(self, path: str, environ: dict[str, Any]) -> _DAVResource | None:
        if environ.get(ACCOUNT_KEY) is None:
            return None
        self._request.user_id = self._user_id(environ)
        self._request.places = shared.places_reached(environ)
        # WsgiDAV resolves the same path several times per request; resolve once.
        cache: dict[str, _DAVResource | None] = environ.setdefault(_CACHE_KEY, {})
        key = _cache_key(path)
        if key not in cache:
            cache[key] = self._resolve(path, environ)
        return cache[key]

    def remember(self, path: str, resource: _DAVResource | None, environ: dict[str, Any]) -> None:
        """Record a resource created or removed by this request for later lookups in it."""
        environ.setdefault(_CACHE_KEY, {})[_cache_key(path)] = resource

    def _resolve(self, path: str, environ: dict[str, Any]) -> _DAVResource | None:
        segments = files_segments(path)
        if segments is not None:
            with self.database.looking_up() as session:
                located = tree.locate(session, self._user_id(environ), segments)
                if environ["REQUEST_METHOD"] in self.LOCK_CHECKING_METHODS:
                    self.preload_locks(session, environ, self._user_id(environ))
                if environ["REQUEST_METHOD"] == "PUT":  # on the connection that is already open
                    environ[_UPLOAD_LIMITS_KEY] = quotas.upload_limits(session, self._user_id(environ))
            shown = FILES_ROOT + "".join("/" + segment for segment in segments)
            if located.parent is not None:
                # A PUT, MKCOL or LOCK on a new name asks for its parent next: already known.
                parent_path = _cache_key(util.get_uri_parent(shown))
                cache = environ.setdefault(_CACHE_KEY, {})
                cache.setdefault(parent_path, entry_resource(parent_path, environ, located.parent))
            if located.entry is None:
                return None
            return entry_resource(shown, environ, located.entry)
        if shared.is_shared_path(path.rstrip("/")):
            return shared.resolve(self, path, environ)
        resource: _DAVResource | None = RootCollection("/", environ)
        cache = environ.setdefault(_CACHE_KEY, {})
        walked = ""
        for segment in (part for part in path.split("/") if part):
            if resource is None or not resource.is_collection:
                return None
            walked += "/" + segment
            resource = cache[walked] if walked in cache else resource.get_member(segment)
            cache.setdefault(walked, resource)  # WsgiDAV asks for the parent next
        return resource

    def upload_limits(self, environ: dict[str, Any], owner_id: int) -> quotas.UploadLimits:
        """The quota and upload limits for a PUT into ``owner_id``'s files."""
        limits = environ.get(_UPLOAD_LIMITS_KEY)
        if limits is None or owner_id != self._user_id(environ):
            with self.database.looking_up() as session:
                limits = quotas.upload_limits(session, owner_id)
        return limits

    def preload_locks(self, session: Executes, environ: dict[str, Any], owner_id: int) -> None:
        """Take the request's snapshot of ``owner_id``'s locks on the session already open."""
        storage = getattr(self.lock_manager, "storage", None)
        if isinstance(storage, PostgresLockStorage):
            storage.preload(session, f"/~{owner_id}")

    # --- helpers for the resources ----------------------------------------

    def ref_url(self, path: str, environ: dict[str, Any]) -> str:
        return f"/~{self._user_id(environ)}" + quote(path)

    def ref_url_to_path(self, ref_url: str) -> str:
        """The path at which the signed-in user sees a lock's root: their own files by
        their /Files/ path, another user's (a lock in a shared folder) by its path
        below /Shared With Me/."""
        if not ref_url.startswith("/~"):
            return unquote(ref_url)
        owner, _, rest = ref_url[2:].partition("/")
        path = unquote("/" + rest)
        if owner == str(getattr(self._request, "user_id", owner)) or not owner.isdigit():
            return path
        return shared.shared_path_of(getattr(self._request, "places", []), int(owner), path) or shared.SHARED_ROOT

    def resolve_target(self, dest_path: str, environ: dict[str, Any]) -> tuple[FolderResource, str]:
        """The folder and name a COPY/MOVE Destination names: in /Files/, or in a folder
        shared with the user (whose grant the resource then checks)."""
        target = dest_path.rstrip("/") or "/"
        if not (files_segments(target) or shared.is_shared_path(target)):
            raise DAVError(HTTP_FORBIDDEN, "the destination must be inside /Files/ or a folder shared with you")
        parent = self.get_resource_inst(util.get_uri_parent(target), environ)
        if isinstance(parent, FolderResource):
            return parent, util.get_uri_name(target)
        if parent is None or files_segments(target) is not None:
            raise DAVError(HTTP_CONFLICT, "the destination's parent folder does not exist")
        raise DAVError(HTTP_FORBIDDEN, "the destination must be inside a folder shared with you")

    def virtual_target(self, dest_path: str, environ: dict[str, Any]) -> MemberCollection | None:
        """The album, tag ... a COPY/MOVE Destination names a member of, if any."""
        parent = self.get_resource_inst(util.get_uri_parent(dest_path.rstrip("/")), environ)
        return parent if isinstance(parent, MemberCollection) else None

    def copy_into_virtual_folder(self, source: EntryResource, dest_path: str, environ: dict[str, Any]) -> bool:
        """COPY to a virtual folder adds the file to it; False for destinations in folders
        (/Files/, or a folder shared with the user)."""
        target = self.virtual_target(dest_path, environ)
        if target is None and (files_segments(dest_path.rstrip("/") or "/") is not None
                               or shared.is_shared_path(dest_path.rstrip("/"))):
            return False
        if target is None:
            raise DAVError(HTTP_FORBIDDEN, "files can be copied into /Files/, an album or a tag")
        if not isinstance(source, FileResource):
            raise DAVError(HTTP_FORBIDDEN, f"a {target.kind} holds files, not folders: copy the files")
        target.add_copy(source.entry, util.get_uri_name(dest_path.rstrip("/")))
        return True

    def stored(self, entry: FileEntry) -> None:
        """A file's new content is safely stored: read its media metadata, later."""
        if self.media_scanner is not None:
            self.media_scanner.submit(entry.media_file_id, entry.hash, entry.mime_type)

    def drop_locks_at(self, path: str, environ: dict[str, Any]) -> None:
        """Remove the locks of what was at ``path`` (a target replaced by a MOVE)."""
        if self.lock_manager is not None:
            replaced = self.get_resource_inst(path, environ)  # as this request first found it
            ref_url = replaced.get_ref_url() if replaced is not None else self.ref_url(path, environ)
            self.lock_manager.remove_all_locks_from_url(ref_url, recursive=True)

    def custom_request_handler(self, environ: dict[str, Any], start_response: Any,
                               default_handler: Any) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        if shared.is_shared_path(environ["PATH_INFO"]):
            shared.check_request(self, environ)  # the grant's level, before anything else
        if method == "PROPFIND":
            resource = self.get_resource_inst(environ["PATH_INFO"], environ)
            if propfind.handles(resource, environ):
                return propfind.respond(resource, environ, start_response)  # type: ignore[arg-type]
        if method == "GET":
            resource = self.get_resource_inst(environ["PATH_INFO"], environ)
            # Only the owner's own listening counts (a grantee's plays are not theirs).
            if (isinstance(resource, FileResource) and resource.entry.user_id == self._user_id(environ)
                    and plays.is_listening(environ, resource.entry)):
                plays.record(environ, self.database, resource.entry)  # dav/plays.py: when a play counts
        if method == "PUT":
            answer = _with_playlist_result(environ, start_response)
            if modification_time.X_OC_MTIME in environ:
                # Applied with the content (dav/files.py's Upload); rclone wants to hear it.
                answer = modification_time.acknowledging(answer)
            return default_handler(environ, answer)
        if method not in ("COPY", "MOVE"):
            return default_handler(environ, start_response)

        def created_aware(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            # Native COPY/MOVE always report 204; RFC 4918 wants 201 for a new target.
            if status.startswith("204") and environ.get(CREATED_KEY):
                status = "201 Created"
            return start_response(status, headers, exc_info)

        return default_handler(environ, created_aware)


def _with_playlist_result(environ: dict[str, Any], start_response: Any) -> Any:
    """A PUT of a playlist says how many entries became tracks and how many named nothing."""
    def respond(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        result = environ.get(PLAYLIST_RESULT_KEY)
        if result is not None:
            headers = [*headers, ("MediaVault-Playlist-Tracks", str(result[0])),
                       ("MediaVault-Playlist-Skipped", str(result[1]))]
        return start_response(status, headers, exc_info)
    return respond
