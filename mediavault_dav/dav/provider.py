"""The DAV provider for a signed-in user's namespace.

It resolves a request path to a resource class; it never sees another user's data
because everything below the root is looked up through the signed-in account.
"""

from __future__ import annotations

from typing import Any

from wsgidav.dav_provider import DAVProvider, _DAVResource

from mediavault_dav.dav.auth import ACCOUNT_KEY
from mediavault_dav.dav.root import RootCollection

_CACHE_KEY = "mediavault.resources"


class MediaVaultProvider(DAVProvider):
    def is_readonly(self) -> bool:
        # Until the folder tree arrives nothing below the root accepts writes.
        return True

    def get_resource_inst(self, path: str, environ: dict[str, Any]) -> _DAVResource | None:
        if environ.get(ACCOUNT_KEY) is None:
            return None
        # WsgiDAV resolves the same path several times per request; resolve once.
        cache: dict[str, _DAVResource | None] = environ.setdefault(_CACHE_KEY, {})
        if path not in cache:
            cache[path] = self._resolve(path, environ)
        return cache[path]

    def _resolve(self, path: str, environ: dict[str, Any]) -> _DAVResource | None:
        segments = [segment for segment in path.split("/") if segment]
        resource: _DAVResource | None = RootCollection("/", environ)
        for segment in segments:
            if resource is None or not resource.is_collection:
                return None
            resource = resource.get_member(segment)
        return resource
