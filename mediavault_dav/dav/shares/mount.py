"""Where share links are served: their own WsgiDAV application under ``/s``.

Share requests never pass the signed-in namespace's middleware (its
authenticator, lock snapshot, OPTIONS answer, directory browser): ``ShareMount``
sends them to an application assembled for guests — a read-only provider, no
locks, no dead properties, its own checks (gate.py) and audit (responses.py).
Both applications sit inside the same ``RequestGuard``, so ``..``, encoded
separators and NUL are refused for share paths as for every other.

WsgiDAV's own request log (verbose 3) is off here: it would write every share
URL, token included, into the server log. The audit trail records the token's
hash prefix instead.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from wsgidav.error_printer import ErrorPrinter
from wsgidav.request_resolver import RequestResolver
from wsgidav.wsgidav_app import WsgiDAVApp

from mediavault_dav.blobs import BlobStore
from mediavault_dav.dav import propfind
from mediavault_dav.dav.errors import ErrorMapper
from mediavault_dav.dav.limits import RequestLimits
from mediavault_dav.dav.proxy import ForwardedHeaders
from mediavault_dav.dav.shares.archive import WithoutLengthComplaint
from mediavault_dav.dav.shares.gate import ShareGate
from mediavault_dav.dav.shares.provider import ShareProvider
from mediavault_dav.dav.shares.responses import ShareResponses
from mediavault_dav.db.database import Database
from mediavault_dav.settings import Settings
from mediavault_dav.vault.share_guard import SharePasswords

SHARE_ROOT = "/s"

_app_log = logging.getLogger("wsgidav.wsgidav_app")
if not any(isinstance(existing, WithoutLengthComplaint) for existing in _app_log.filters):
    _app_log.addFilter(WithoutLengthComplaint())


class ShareMount:
    """``/s`` and everything below it to the share application, the rest to the main one."""

    def __init__(self, shares: Any, main: Any) -> None:
        self.shares = shares
        self.main = main

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == SHARE_ROOT or path.startswith(SHARE_ROOT + "/"):
            return self.shares(environ, start_response)
        return self.main(environ, start_response)


def build_share_app(settings: Settings, database: Database, blobs: BlobStore) -> Any:
    config: dict[str, Any] = {
        "provider_mapping": {SHARE_ROOT: ShareProvider(database, blobs)},
        "mediavault": {
            "database": database,
            "settings": settings,
            "trusted_proxies": settings.trusted_proxies,
            "writable": False,
            "locking": False,
            "propfind_infinity": False,
            "share_passwords": SharePasswords(),
        },
        "middleware_stack": [
            ForwardedHeaders,
            ShareResponses,  # headers and the audit row for every answer, errors included
            ErrorPrinter,
            ErrorMapper,
            ShareGate,
            RequestLimits,
            RequestResolver,  # must stay last
        ],
        "lock_storage": None,  # read-only: no locks (DAV: 1)
        "property_manager": None,
        "block_size": 1024 * 1024,
        "suppress_version_info": True,
        "add_header_MS_Author_Via": True,
        "verbose": 2,  # no request log: share URLs carry their token
        "logging": {"enable": False},
        "dir_browser": {"enable": False},
    }
    return propfind.KeepStreamsAlive(WsgiDAVApp(config))
