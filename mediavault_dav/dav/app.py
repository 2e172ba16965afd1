"""Assembling the WSGI application: WsgiDAV with MediaVault's provider and middleware."""

from __future__ import annotations

from typing import Any

from wsgidav import util as wsgidav_util
from wsgidav.dir_browser import WsgiDavDirBrowser
from wsgidav.error_printer import ErrorPrinter
from wsgidav.request_resolver import RequestResolver
from wsgidav.wsgidav_app import WsgiDAVApp

from mediavault_dav.dav.auth import BasicAuthenticator
from mediavault_dav.dav.errors import ErrorMapper
from mediavault_dav.dav.options import OptionsResponder
from mediavault_dav.dav.provider import MediaVaultProvider
from mediavault_dav.dav.proxy import ForwardedHeaders
from mediavault_dav.db.database import Database
from mediavault_dav.settings import Settings


def build_app(settings: Settings, database: Database) -> WsgiDAVApp:
    # Error pages name the software; WsgiDAV's own CLI hides the version this way.
    wsgidav_util.public_wsgidav_info = "MediaVault DAV"
    provider = MediaVaultProvider()
    config: dict[str, Any] = {
        "provider_mapping": {"/": provider},
        "mediavault": {
            "database": database,
            "trusted_proxies": settings.trusted_proxies,
            "writable": not provider.is_readonly(),
            "locking": False,
        },
        "middleware_stack": [
            ForwardedHeaders,
            OptionsResponder,
            ErrorPrinter,
            ErrorMapper,
            BasicAuthenticator,
            WsgiDavDirBrowser,
            RequestResolver,  # must stay last
        ],
        # No per-process lock table: locks arrive with PostgreSQL storage.
        "lock_storage": None,
        "property_manager": None,
        "suppress_version_info": True,
        "add_header_MS_Author_Via": True,
        "verbose": 3,
        # The gateway configures logging itself; WsgiDAV's loggers propagate to it.
        "logging": {"enable": False},
        "dir_browser": {"enable": True, "response_trailer": "MediaVault DAV", "davmount": False},
    }
    return WsgiDAVApp(config)
