"""RFC 4331 quota properties on collections: what Finder's statfs, ``rclone about``
and davfs2's ``df`` read.

- ``quota-used-bytes``: the signed-in user's usage (vault/quotas.py says how it is
  counted: distinct content, once per user), the same on every collection of the user.
- ``quota-available-bytes``: the smaller of the user's quota remainder (their own
  quota or the default) and the free space where blobs are stored.

On a folder shared with the user for writing the figures are its owner's: what
is uploaded there is stored as theirs and counts against their quota. A folder
shared read-only answers neither (nothing can be stored there).

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


def value(provider: Any, environ: dict[str, Any], name: str, user_id: int | None = None) -> str | None:
    """The property's value as text for ``user_id`` (default: the signed-in user), or
    None where it is not known."""
    user_id = environ[ACCOUNT_KEY].id if user_id is None else user_id
    cache: dict[int, dict[str, int | None]] = environ.setdefault(_CACHE_KEY, {})
    figures = cache.get(user_id)
    if figures is None:
        with provider.database.reading() as session:
            usage = quotas.usage(session, user_id)
        figures = cache[user_id] = {
            USED: usage.used,
            AVAILABLE: usage.available_with(provider.blobs.free_bytes()),
        }
    figure = figures[name]
    return None if figure is None else str(figure)


class QuotaProperties:
    """Mixin for a collection resource: answers the two quota properties by name."""

    provider: Any
    environ: dict[str, Any]

    def quota_owner(self) -> int | None:
        """Whose storage this collection's figures describe; None: answer neither."""
        return int(self.environ[ACCOUNT_KEY].id)

    def get_property_value(self, name: str) -> Any:
        if name in NAMES:
            owner = self.quota_owner()
            figure = None if owner is None else value(self.provider, self.environ, name, owner)
            if figure is None:
                raise DAVError(HTTP_NOT_FOUND)
            return figure
        return super().get_property_value(name)  # type: ignore[misc]
