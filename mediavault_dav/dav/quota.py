"""RFC 4331 quota properties on collections: what Finder's statfs, ``rclone about``
and davfs2's ``df`` read.

- ``quota-used-bytes``: the signed-in user's usage (vault/quotas.py says how it is
  counted: distinct content, once per user), the same on every collection of the user.
- ``quota-available-bytes``: the smaller of the user's quota remainder (their own
  quota or the default) and the free space where blobs are stored.

Both are answered only when asked for by name (RFC 4331: they may be expensive
and are not part of ``allprop``), at most once per request however many
collections the response holds. Apple's older ``DAV:quota`` and ``DAV:quotaused``,
which Finder asks for in the same request, are unknown properties: a 404 propstat.
Virtual collections (albums, smart folders …) get the same answers by mixing in
``QuotaProperties``.
"""

from __future__ import annotations

from typing import Any

from wsgidav.dav_error import HTTP_NOT_FOUND, DAVError

from mediavault_dav.dav.auth import ACCOUNT_KEY
from mediavault_dav.vault import quotas

USED = "{DAV:}quota-used-bytes"
AVAILABLE = "{DAV:}quota-available-bytes"
NAMES = frozenset({USED, AVAILABLE})
_CACHE_KEY = "mediavault.quota"


def value(provider: Any, environ: dict[str, Any], name: str) -> str | None:
    """The property's value as text, or None where it is not known."""
    figures: dict[str, int | None] | None = environ.get(_CACHE_KEY)
    if figures is None:
        with provider.database.reading() as session:
            usage = quotas.usage(session, environ[ACCOUNT_KEY].id)
        figures = environ[_CACHE_KEY] = {
            USED: usage.used,
            AVAILABLE: usage.available_with(provider.blobs.free_bytes()),
        }
    figure = figures[name]
    return None if figure is None else str(figure)


class QuotaProperties:
    """Mixin for a collection resource: answers the two quota properties by name."""

    provider: Any
    environ: dict[str, Any]

    def get_property_value(self, name: str) -> Any:
        if name in NAMES:
            figure = value(self.provider, self.environ, name)
            if figure is None:
                raise DAVError(HTTP_NOT_FOUND)
            return figure
        return super().get_property_value(name)  # type: ignore[misc]
