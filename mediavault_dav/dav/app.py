"""Assembling the WSGI application: WsgiDAV with MediaVault's provider and middleware."""

from __future__ import annotations

import logging
from typing import Any

from wsgidav import util as wsgidav_util
from wsgidav.dav_error import DAVError
from wsgidav.dir_browser import WsgiDavDirBrowser
from wsgidav.error_printer import ErrorPrinter
from wsgidav.request_resolver import RequestResolver
from wsgidav.wsgidav_app import WsgiDAVApp

from mediavault_dav.blobs import LocalBlobStore
from mediavault_dav.dav import propfind
from mediavault_dav.dav.access_log import AccessLog
from mediavault_dav.dav.auth import BasicAuthenticator
from mediavault_dav.dav.changes import RefusedChanges
from mediavault_dav.dav.errors import ErrorMapper
from mediavault_dav.dav.health import HealthCheck
from mediavault_dav.dav.limits import RequestGuard, RequestLimits
from mediavault_dav.dav.lock_storage import LockSnapshotScope, PostgresLockStorage
from mediavault_dav.dav.options import OptionsResponder
from mediavault_dav.dav.provider import MediaVaultProvider
from mediavault_dav.dav.proxy import ForwardedHeaders
from mediavault_dav.dav.shares.mount import ShareMount, build_share_app
from mediavault_dav.db.database import Database
from mediavault_dav.settings import Settings
from mediavault_dav.vault.media_scanner import MediaScanner


class _ExpectedPutFailures(logging.Filter):
    """Drop WsgiDAV's traceback for a PUT refused on purpose (412, 409, 400, 507 ...)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage() != "PUT: byte copy failed" or not record.exc_info:
            return True
        error = record.exc_info[1]
        return not (isinstance(error, DAVError) and (error.value < 500 or error.value == 507))


_request_server_log = logging.getLogger("wsgidav.request_server")
if not any(isinstance(existing, _ExpectedPutFailures) for existing in _request_server_log.filters):
    _request_server_log.addFilter(_ExpectedPutFailures())
_app_log = logging.getLogger("wsgidav.wsgidav_app")
if not any(isinstance(existing, propfind.WithoutLengthComplaint) for existing in _app_log.filters):
    _app_log.addFilter(propfind.WithoutLengthComplaint())


def build_app(settings: Settings, database: Database, media_scanner: MediaScanner | None = None) -> AccessLog:
    """The WSGI application; ``media_scanner`` (if given) reads metadata of uploads."""
    # Error pages name the software; WsgiDAV's own CLI hides the version this way.
    wsgidav_util.public_wsgidav_info = "MediaVault DAV"
    blobs = LocalBlobStore(settings.blob_root)
    provider = MediaVaultProvider(database, blobs, media_scanner, verify_on_read=settings.verify_on_read)
    config: dict[str, Any] = {
        "provider_mapping": {"/": provider},
        "mediavault": {
            "database": database,
            "settings": settings,
            "trusted_proxies": settings.trusted_proxies,
            "writable": True,
            "locking": True,
            "propfind_infinity": settings.propfind_infinity,
        },
        "middleware_stack": [
            ForwardedHeaders,
            HealthCheck,  # before sign-in: load balancers have no credentials
            OptionsResponder,
            RefusedChanges,  # outside ErrorPrinter: it sees the final status
            ErrorPrinter,
            ErrorMapper,
            BasicAuthenticator,  # 401 before anything reads a body
            RequestLimits,
            LockSnapshotScope,
            WsgiDavDirBrowser,
            RequestResolver,  # must stay last
        ],
        # Locks live in PostgreSQL so every gateway process sees them.
        "lock_storage": PostgresLockStorage(database),
        # Dead properties are handled by the resources (keyed by entry, not URL).
        "property_manager": None,
        # 1 MiB blocks: WsgiDAV's 8 KiB default caps downloads at a quarter of the speed.
        "block_size": 1024 * 1024,
        # X-OC-Mtime on PUT is applied with the content, in the same transaction
        # (dav/modification_time.py), not by WsgiDAV as a second step.
        "honor_mtime_header": False,
        "suppress_version_info": True,
        "add_header_MS_Author_Via": True,
        # 2, not 3: at 3 WsgiDAV writes its own access line; ours (dav/access_log.py)
        # is the one structured line per request.
        "verbose": 2,
        # The gateway configures logging itself; WsgiDAV's loggers propagate to it.
        "logging": {"enable": False},
        "dir_browser": {"enable": True, "response_trailer": "MediaVault DAV", "davmount": False},
    }
    main = propfind.KeepStreamsAlive(WsgiDAVApp(config))
    # Share links (/s/<token>/...) are their own anonymous, read-only application.
    return AccessLog(RequestGuard(ShareMount(build_share_app(settings, database, blobs), main)))
