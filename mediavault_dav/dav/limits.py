"""Request hardening in front of WsgiDAV, whose defaults are permissive.

- Paths (``RequestGuard``, outside WsgiDAV): encoded separators (``%2F``, ``%5C``), NUL, and ``.``/``..`` segments are
  refused with 400 before anything resolves them (cheroot leaves ``%2F`` encoded, and
  WsgiDAV would quietly collapse ``a/../b``). The Destination header gets the same.
- XML bodies (PROPFIND, PROPPATCH, LOCK): at most 1 MiB (413), parsed with DTDs,
  entities and external references forbidden (defusedxml) whether or not lxml is
  installed (400), then handed on with a Content-Length, so chunked XML bodies, which
  WsgiDAV would ignore, work too.
- MKCOL with a body: 415 (RFC 4918 9.3.1).
- PROPFIND with Depth: infinity (or no Depth, which means infinity): 403 with
  ``propfind-finite-depth`` unless enabled in settings; a Depth that is not 0, 1 or
  infinity: 400.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote, urlparse

from defusedxml import ElementTree as SafeElementTree
from defusedxml.common import DefusedXmlException
from wsgidav.dav_error import HTTP_BAD_REQUEST, DAVError
from wsgidav.mw.base_mw import BaseMiddleware

MAX_XML_BODY_BYTES = 1024 * 1024
XML_METHODS = frozenset({"PROPFIND", "PROPPATCH", "LOCK"})
_ENCODED_SEPARATOR = re.compile(r"%(2f|5c|00)", re.IGNORECASE)
_FINITE_DEPTH_BODY = (
    b'<?xml version="1.0" encoding="utf-8"?>\n'
    b'<D:error xmlns:D="DAV:"><D:propfind-finite-depth/></D:error>\n'
)


class RequestLimits(BaseMiddleware):
    def __init__(self, wsgidav_app: Any, next_app: Any, config: dict[str, Any]) -> None:
        super().__init__(wsgidav_app, next_app, config)
        self._allow_infinite_propfind = bool(config["mediavault"].get("propfind_infinity", False))

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        if method == "PROPFIND":
            depth = environ.get("HTTP_DEPTH", "infinity").strip().lower()
            if depth not in ("0", "1", "infinity"):
                return _plain(start_response, "400 Bad Request", "Depth must be 0, 1 or infinity")
            if depth == "infinity" and not self._allow_infinite_propfind:
                start_response("403 Forbidden", [
                    ("Content-Type", "application/xml; charset=utf-8"),
                    ("Content-Length", str(len(_FINITE_DEPTH_BODY))),
                ])
                return [_FINITE_DEPTH_BODY]
            environ["HTTP_DEPTH"] = depth
        if method == "MKCOL" and _has_body(environ):
            return _plain(start_response, "415 Unsupported Media Type", "MKCOL does not take a body", close=True)
        if method in XML_METHODS and _has_body(environ):
            body, error = _read_capped(environ)
            if error:
                return _plain(start_response, *error)
            if body.strip():
                try:
                    SafeElementTree.fromstring(body, forbid_dtd=True, forbid_entities=True,
                                               forbid_external=True)
                except (DefusedXmlException, SafeElementTree.ParseError, ValueError):
                    return _plain(start_response, "400 Bad Request", "the XML body is malformed or not allowed")
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self.next_app(environ, start_response)


class RequestGuard:
    """Refuses unsafe request paths and ambiguous framing before WsgiDAV sees them.

    A request with both Content-Length and Transfer-Encoding is refused (RFC 9112
    6.3: the classic request-smuggling shape), and a body that turns out malformed
    while it is read (bad chunk sizes) is a 400 rather than WsgiDAV's 500.

    It wraps the whole WsgiDAV application rather than sitting in its middleware
    stack because WsgiDAV normalises ``a/../b`` to ``b`` before any middleware runs
    (so ``..`` would be silently accepted), and its own 400 for a path escaping the
    root is lost: ``WsgiDAVApp.__call__`` is a generator, so the body it returns is
    never sent and the client hangs.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        problem = _path_problem(environ)
        if problem:
            return _plain(start_response, "400 Bad Request", problem)
        if environ.get("HTTP_TRANSFER_ENCODING") and environ.get("CONTENT_LENGTH"):
            return _plain(start_response, "400 Bad Request",
                          "Content-Length and Transfer-Encoding may not both be sent", close=True)
        if "wsgi.input" in environ:
            environ["wsgi.input"] = _CheckedBody(environ["wsgi.input"])
        return self.app(environ, start_response)


class _CheckedBody:
    """The request body; a framing error while reading it is the client's (400)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        try:
            return self._stream.read(size)
        except ValueError:
            raise DAVError(HTTP_BAD_REQUEST, "the request body is malformed") from None

    def readline(self, size: int = -1) -> bytes:
        try:
            return self._stream.readline(size)
        except ValueError:
            raise DAVError(HTTP_BAD_REQUEST, "the request body is malformed") from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _path_problem(environ: dict[str, Any]) -> str | None:
    try:
        # WSGI hands the path over as Latin-1; WsgiDAV decodes it as UTF-8 and fails (a 500
        # and a dropped connection) on bytes that are not, such as overlong "%c0%ae" dots.
        environ.get("PATH_INFO", "").encode("iso-8859-1").decode("utf-8")
    except UnicodeError:
        return "the path is not valid UTF-8"
    # The path as the client sent it (WsgiDAV has not normalised anything yet).
    raw = environ.get("REQUEST_URI") or environ.get("RAW_URI") or environ.get("PATH_INFO", "")
    raw_path = urlparse(raw).path if "://" in raw else raw.split("?", 1)[0]
    if _ENCODED_SEPARATOR.search(raw_path):
        return "encoded separators are not allowed in paths"
    for candidate in (unquote(raw_path), _destination_path(environ)):
        if candidate is None:
            continue
        if "\x00" in candidate or "\\" in candidate:
            return "the path contains a forbidden character"
        if any(segment in (".", "..") for segment in candidate.split("/")):
            return "'.' and '..' are not allowed in paths"
    destination = environ.get("HTTP_DESTINATION")
    if destination and _ENCODED_SEPARATOR.search(urlparse(destination).path):
        return "encoded separators are not allowed in paths"
    return None


def _destination_path(environ: dict[str, Any]) -> str | None:
    destination = environ.get("HTTP_DESTINATION")
    if not destination:
        return None
    return unquote(urlparse(destination).path)


def _has_body(environ: dict[str, Any]) -> bool:
    length = environ.get("CONTENT_LENGTH", "")
    if length not in ("", "0"):
        return True
    return "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()


def _read_capped(environ: dict[str, Any]) -> tuple[bytes, tuple[str, str] | None]:
    length = environ.get("CONTENT_LENGTH", "")
    stream = environ["wsgi.input"]
    if length:
        try:
            size = int(length)
        except ValueError:
            return b"", ("400 Bad Request", "invalid Content-Length")
        if size > MAX_XML_BODY_BYTES:
            return b"", ("413 Content Too Large", "the XML body is larger than 1 MiB")
        return stream.read(size), None
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = stream.read(64 * 1024)
        if not chunk:
            return b"".join(chunks), None
        total += len(chunk)
        if total > MAX_XML_BODY_BYTES:
            return b"", ("413 Content Too Large", "the XML body is larger than 1 MiB")
        chunks.append(chunk)


def _plain(start_response: Any, status: str, reason: str, *, close: bool = False) -> list[bytes]:
    """A short text answer; the connection closes when an unread body may follow."""
    body = f"{status}: {reason}\n".encode()
    headers = [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(body))),
        ("X-Content-Type-Options", "nosniff"),
    ]
    if close or status.startswith("413"):
        headers.append(("Connection", "close"))
    start_response(status, headers)
    return [body]
