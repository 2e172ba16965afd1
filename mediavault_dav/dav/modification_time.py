"""The modification time clients set, and how each of them says it.

``getlastmodified`` is the entry's modification time, not the time its row last
changed: sync clients compare it with their copy's and re-transfer on a mismatch,
so it must be the time the client says the file has.

- rclone and ownCloud/Nextcloud clients send ``X-OC-Mtime: <unix seconds>`` with the
  PUT; the time is written in the same transaction as the content (never a
  second step a crash could skip) and the response says ``X-OC-Mtime: accepted``,
  which is how those clients know they need not set it again. Only PUT takes the
  header (as Nextcloud): COPY and MOVE keep the source's time anyway, which is the
  time rclone sends with them.
- Windows Explorer PROPPATCHes ``Win32LastModifiedTime`` (RFC 1123, GMT) after the
  upload; newer rclone PROPPATCHes ``DAV:lastmodified`` (unix seconds); some tools
  PROPPATCH ``DAV:getlastmodified``. All three set the same time, and
  ``Win32LastModifiedTime`` reads back from it, so Explorer never sees a stale copy
  of its own value.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from wsgidav import util
from wsgidav.dav_error import HTTP_BAD_REQUEST, DAVError

X_OC_MTIME = "HTTP_X_OC_MTIME"
WIN32_LAST_MODIFIED = "{urn:schemas-microsoft-com:}Win32LastModifiedTime"
# Properties a PROPPATCH may set to change the modification time.
SETTERS = frozenset({"{DAV:}lastmodified", "{DAV:}getlastmodified", WIN32_LAST_MODIFIED})

_UNIX_SECONDS = re.compile(r"^\s*\d{1,12}(\.\d{1,9})?\s*$")
_LATEST = datetime(9999, 12, 31, tzinfo=UTC).timestamp()


def parse(value: Any) -> datetime:
    """A modification time from unix seconds, RFC 1123 or ISO 8601; 400 otherwise."""
    text = str(value).strip() if value is not None else ""
    seconds: float | None = None
    if _UNIX_SECONDS.match(text):
        seconds = float(text)
    elif text:
        seconds = util.parse_time_string(text)
        if seconds is None:
            try:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                moment = None
            if moment is not None:
                seconds = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    if seconds is None or not 0 <= seconds <= _LATEST:
        raise DAVError(HTTP_BAD_REQUEST, "invalid modification time")
    return datetime.fromtimestamp(seconds, UTC)


def from_header(environ: dict[str, Any]) -> datetime | None:
    """The PUT's ``X-OC-Mtime``, if any (400 if it is not unix seconds)."""
    value = environ.get(X_OC_MTIME)
    if value is None:
        return None
    if not _UNIX_SECONDS.match(value):
        raise DAVError(HTTP_BAD_REQUEST, "X-OC-Mtime must be unix seconds")
    return parse(value)


def acknowledging(start_response: Any) -> Any:
    """``start_response`` that tells the client its ``X-OC-Mtime`` was applied."""

    def acknowledge(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if status.startswith("2"):
            headers = [*headers, ("X-OC-Mtime", "accepted")]
        return start_response(status, headers, exc_info)

    return acknowledge


def rfc1123(moment: datetime) -> str:
    return util.get_rfc1123_time(moment.timestamp())
