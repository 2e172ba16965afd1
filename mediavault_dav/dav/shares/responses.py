"""Every answer under ``/s/``: security headers, then one row of the audit trail.

Headers: ``nosniff`` always; ``Referrer-Policy: no-referrer`` (a share's URL is
its secret and must not travel in a Referer); ``X-Robots-Tag`` (search engines
must not index share links that leak); no framing; a sandboxing policy and
``no-store`` for anything that did not set its own (error pages, challenges).

The audit row (``activity_logs``) has the token's hash prefix, the share, the
path inside it, the client's address and user agent, the status, the outcome and
the bytes sent. For content (files, pages, zips, listings) it is written when the
response is finished, once its bytes are counted. The gate's own short answers
(404, 401, 405, 410, 429) are recorded *before* they are sent: throttling counts
those rows, and a guesser must not get a request in before its last miss counts.
A failure to write a row is logged and never breaks the response.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

from wsgidav.mw.base_mw import BaseMiddleware

from mediavault_dav.dav.content_policy import DEFAULT_POLICY
from mediavault_dav.dav.shares.context import REQUEST_KEY, ShareRequest, client_address, user_agent
from mediavault_dav.db.database import Database
from mediavault_dav.vault import activity, shares

_log = logging.getLogger(__name__)

ALWAYS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Robots-Tag", "noindex, nofollow"),
    ("X-Frame-Options", "DENY"),
)
_DEFAULTS = (
    ("Content-Security-Policy", DEFAULT_POLICY),
    ("Cache-Control", "private, no-store"),
)
_REPLACED = frozenset(name.lower() for name, _ in ALWAYS)
_OUTCOMES = {401: "unauthorized", 404: "not_found", 410: "limit_reached", 416: "bad_range", 429: "throttled"}


def secured(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    kept = [(name, value) for name, value in headers if name.lower() not in _REPLACED]
    present = {name.lower() for name, _ in kept}
    return kept + list(ALWAYS) + [(name, value) for name, value in _DEFAULTS if name.lower() not in present]


class ShareResponses(BaseMiddleware):
    def __init__(self, wsgidav_app: Any, next_app: Any, config: dict[str, Any]) -> None:
        super().__init__(wsgidav_app, next_app, config)
        self._database: Database = config["mediavault"]["database"]

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        environ[REQUEST_KEY] = ShareRequest()
        sent: dict[str, Any] = {}

        def respond(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            sent["status"] = int(status.split(" ", 1)[0])
            sent["length"] = next((value for name, value in headers if name.lower() == "content-length"), None)
            return start_response(status, secured(headers), exc_info)

        return _Recorded(self.next_app(environ, respond), lambda sent_bytes: record(
            self._database, environ, sent.get("status"), sent_bytes, sent.get("length")))


def record(database: Database, environ: dict[str, Any], status: int | None, sent_bytes: int,
           length: str | None) -> None:
    """Write this request's audit row (once; nothing for OPTIONS)."""
    request: ShareRequest = environ[REQUEST_KEY]
    if request.action is None or request.recorded:
        return
    request.recorded = True
    outcome = request.outcome or _outcome(status)
    details = {"token": request.token_prefix, "method": environ.get("REQUEST_METHOD"), **request.details}
    if "HTTP_RANGE" in environ:
        details["range"] = environ["HTTP_RANGE"][:100]
    if length not in (None, ""):
        details["complete"] = str(sent_bytes) == length or environ.get("REQUEST_METHOD") == "HEAD"
    share = request.share
    try:
        with database.transaction() as session:
            activity.record_request(session, activity.Request(
                action=request.action, outcome=outcome,
                user_id=share.owner_id if share else None,
                resource_type="share_link" if share else None,
                resource_id=share.id if share else None,
                path=request.path, client_address=client_address(environ), user_agent=user_agent(environ),
                status_code=status, bytes=sent_bytes, details=details,
            ))
            if share is not None and status is not None and status < 400:
                shares.count_access(session, share.id)
    except Exception:  # noqa: BLE001 - the guest gets the answer anyway; say why the row is missing
        _log.exception("could not record a share access in the activity log")


def _outcome(status: int | None) -> str:
    if status is None:
        return "error"
    if status < 400:
        return "ok"
    return _OUTCOMES.get(status, "error" if status >= 500 else "refused")


class _Recorded:
    """The response body, counted; the audit row is written when it is closed."""

    def __init__(self, body: Iterable[bytes], record: Any) -> None:
        self._body = body
        self._record = record
        self._bytes = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._body:
            self._bytes += len(chunk)
            yield chunk

    def close(self) -> None:
        try:
            if hasattr(self._body, "close"):
                self._body.close()
        finally:
            self._record(self._bytes)
