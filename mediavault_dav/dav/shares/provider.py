"""The read-only DAV provider mounted at ``/s``.

A request path is ``/<token>/<path inside the share>``; the gate has already
opened the share (``environ[SHARE_KEY]``) or answered. The provider resolves
the rest from the share's target downwards (vault/share_content.py) — two
statements at most, one per request path, remembered for the request — and
picks the handler: a streamed PROPFIND (dav/propfind.py, as for ``/Files/``),
the browser page or the zip for a folder, WsgiDAV's own GET (with Range) for a
file, where the download is counted (vault/share_downloads.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, BinaryIO

from wsgidav.dav_error import DAVError
from wsgidav.dav_provider import DAVProvider, _DAVResource

from mediavault_dav.blobs import BlobStore
from mediavault_dav.dav import propfind
from mediavault_dav.dav.shares import archive, page
from mediavault_dav.dav.shares.context import SHARE_KEY, OpenShare, client_address, share_request, user_agent
from mediavault_dav.dav.shares.gate import used_up
from mediavault_dav.dav.shares.resources import ShareCollection, SharedFile, query
from mediavault_dav.db.database import Database
from mediavault_dav.vault import share_content, share_downloads
from mediavault_dav.vault.errors import VaultError
from mediavault_dav.vault.names import split_path
from mediavault_dav.vault.share_downloads import Start
from mediavault_dav.vault.tree import FileEntry

_log = logging.getLogger(__name__)

_CACHE_KEY = "mediavault.share_resources"
HTTP_GONE = 410


class ShareProvider(DAVProvider):
    def __init__(self, database: Database, blobs: BlobStore) -> None:
        super().__init__()
        self.database = database
        self.blobs = blobs

    def is_readonly(self) -> bool:
        return True

    def get_resource_inst(self, path: str, environ: dict[str, Any]) -> _DAVResource | None:
        opened: OpenShare | None = environ.get(SHARE_KEY)
        if opened is None:
            return None
        cache: dict[str, _DAVResource | None] = environ.setdefault(_CACHE_KEY, {})
        key = path.rstrip("/") or "/"
        if key not in cache:
            cache[key] = self._resolve(path, environ, opened)
        return cache[key]

    def _resolve(self, path: str, environ: dict[str, Any], opened: OpenShare) -> _DAVResource | None:
        _token, _, rest = path.lstrip("/").partition("/")
        try:
            segments = split_path(rest)
        except VaultError:
            return None  # a name no entry can have (control characters ...)
        with self.database.reading() as session:
            if opened.target is None:
                opened.target = share_content.load_target(session, opened.share)
                if opened.target is None:
                    return None
            found = share_content.locate(session, opened.target, segments)
        if found is None:
            return None
        shown = f"/{opened.token}" + "".join("/" + segment for segment in segments)
        if found.file is not None:
            return SharedFile(shown, environ, opened, found.file)
        return ShareCollection(shown, environ, opened, found.folder)

    def custom_request_handler(self, environ: dict[str, Any], start_response: Any,
                               default_handler: Any) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        resource = self.get_resource_inst(environ["PATH_INFO"], environ)
        if isinstance(resource, ShareCollection):
            if resource.opened.share.used_up and method in ("GET", "HEAD"):
                return used_up(self.database, environ, start_response)
            if method == "PROPFIND" and propfind.handles(resource, environ):
                return propfind.respond(resource, environ, start_response)
            if method in ("GET", "HEAD"):
                if "download" in query(environ):
                    return archive.respond(resource, environ, start_response)
                return page.respond(resource, environ, start_response)
        return default_handler(environ, start_response)

    # --- for the resources --------------------------------------------------------------

    def start_download(self, environ: dict[str, Any], opened: OpenShare, entry: FileEntry | None,
                       ranged: bool) -> None:
        """Count a download starting (or see it continue one); 410 when the share is used up."""
        with self.database.transaction() as session:
            started = share_downloads.start(
                session, opened.share, file_id=None if entry is None else entry.id, ranged=ranged,
                path=share_request(environ).path, client_address=client_address(environ),
                user_agent=user_agent(environ))
        share_request(environ).details["download"] = started.value
        if started is Start.REFUSED:
            share_request(environ).outcome = "limit_reached"
            raise DAVError(HTTP_GONE, "this link has been used for all the downloads it allows")

    def open_blob(self, entry: FileEntry) -> BinaryIO:
        try:
            return self.blobs.open(entry.hash)
        except FileNotFoundError:
            _log.error("blob %s of file %s is missing", entry.hash, entry.id)
            raise DAVError(500, "the file's content is missing; an administrator has been told") from None
