"""PROPFIND answered as a stream, one ``<response>`` at a time.

WsgiDAV builds the whole multistatus tree in memory and serialises it at the end:
listing a folder of 10,000 files took the process from 90 MiB to 440 MiB. Here the
member rows (with their dead properties and locks) are loaded first — so a database
failure is still a clean 503, never a truncated 207 — and then each member's
resource and ``<response>`` are built, serialised and sent in 64 KiB batches, so
neither the XML nor the resource objects ever exist all at once; what stays is the
rows themselves. Property values come from the same resource methods WsgiDAV's own
handler uses; the assembly (dav/multistatus.py) is compact and client-proof.
Virtual folders (albums, smart folders ...) are listed the same way.

Hrefs keep the request's own percent-encoding: the folder's href is the path the
client sent (with a trailing slash) and each member's is that plus its encoded
name, so a client matching members against its request prefix (rclone drops
"items with unknown path") always finds them. The folder itself comes first.

Windows Explorer refuses a folder whose PROPFIND body exceeds 1,000,000 bytes
(``FileAttributesLimitInBytes``) and lists folders with ``allprop``. It learns
about locking from OPTIONS and never reads ``supportedlock`` from a listing, so
its ``allprop`` answers leave that property out: about 290 bytes, a third of a
typical member's response (docs/clients.md has the budget).

A listing up to 256 KiB is sent whole with a Content-Length; a longer one is
streamed (chunked) and ``KeepStreamsAlive`` keeps the connection open after it.
Requests this path does not cover (Depth infinity when enabled, an ``If`` header)
go to WsgiDAV's handler.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Iterator
from typing import Any, Protocol, runtime_checkable
from urllib.parse import quote, unquote, urlsplit

from wsgidav import util
from wsgidav.dav_error import HTTP_BAD_REQUEST, DAVError
from wsgidav.dav_provider import _DAVResource

from mediavault_dav.dav import media_properties, multistatus
from mediavault_dav.vault.tree import FileEntry

_BATCH_BYTES = 64 * 1024
# A listing up to this size is sent with a Content-Length, so the connection stays
# open whatever the client makes of chunked responses; most folders fit.
_WHOLE_BYTES = 256 * 1024
STREAMED_KEY = "mediavault.streamed_multistatus"  # this response has no Content-Length, on purpose
_EXPLORER = "Microsoft-WebDAV-MiniRedir/"
_NOT_FOR_EXPLORER = frozenset({"{DAV:}supportedlock"})
# What WsgiDAV leaves unencoded in hrefs (``_DAVResource.get_href``).
_HREF_SAFE = "!*'(),$-_|."


@runtime_checkable
class Listed(Protocol):
    """A collection whose members come from one load: /Files/ folders, virtual folders."""

    def load_listing(self) -> Any: ...

    def iter_members(self, listing: Any) -> Iterator[_DAVResource]: ...


def handles(resource: Any, environ: dict[str, Any]) -> bool:
    return (isinstance(resource, _DAVResource)
            and environ.get("HTTP_DEPTH") in ("0", "1")
            and not environ.get("HTTP_IF"))


def respond(resource: _DAVResource, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    mode, names = _requested(environ)
    if mode == "allprop" and _EXPLORER in environ.get("HTTP_USER_AGENT", ""):
        mode = "allprop-for-explorer"
    href = _requested_href(resource, environ)
    members: Iterable[_DAVResource] = ()
    if environ["HTTP_DEPTH"] == "1" and resource.is_collection:
        # The database work happens here, before the 207 starts: a failure is a 503.
        if isinstance(resource, Listed):
            listing = resource.load_listing()
            if mode == "named" and media_properties.wanted(names):
                # MediaVault properties of every listed file in one statement, not one per file.
                media_properties.prefetch(resource, [entry.id for entry in listing.entries
                                                     if isinstance(entry, FileEntry)])
            members = resource.iter_members(listing)
        else:
            members = resource.get_member_list()
    first = _response_xml(resource, href, mode, names)  # loads the resource's own dead properties
    batches = _stream(first, href, members, mode, names)
    headers = [("Content-Type", "application/xml; charset=utf-8"), ("Date", util.get_rfc1123_time())]
    head: list[bytes] = []
    for batch in batches:
        head.append(batch)
        if sum(map(len, head)) > _WHOLE_BYTES:
            break
    else:  # the whole document is here: say how long it is
        start_response("207 Multi-Status", [*headers, ("Content-Length", str(sum(map(len, head))))])
        return head
    environ[STREAMED_KEY] = True
    start_response("207 Multi-Status", headers)
    return itertools.chain(head, batches)


def _stream(first: bytes, folder_href: str, members: Iterable[_DAVResource], mode: str,
            names: list[str] | None) -> Iterator[bytes]:
    batch = [multistatus.HEAD, first]
    size = len(first)
    for member in members:
        href = folder_href + quote(member.name, safe=_HREF_SAFE) + ("/" if member.is_collection else "")
        piece = _response_xml(member, href, mode, names)
        batch.append(piece)
        size += len(piece)
        if size >= _BATCH_BYTES:
            yield b"".join(batch)
            batch, size = [], 0
    batch.append(multistatus.TAIL)
    yield b"".join(batch)


def _requested_href(resource: _DAVResource, environ: dict[str, Any]) -> str:
    """The href of the requested resource, spelled as the client spelled it."""
    sent = urlsplit(environ.get("REQUEST_URI") or "").path
    if sent and unquote(sent).rstrip("/") == resource.path.rstrip("/"):
        href = sent
    else:  # (a proxy rewrote the path, or the server offers no raw URI)
        href = resource.get_href()
    if resource.is_collection and not href.endswith("/"):
        href += "/"
    return href


def _response_xml(resource: _DAVResource, href: str, mode: str, names: list[str] | None) -> bytes:
    if mode == "named":
        found = resource.get_properties("named", name_list=names)
    elif mode == "allprop-for-explorer":
        found = [(name, value) for name, value in resource.get_properties("allprop")
                 if name not in _NOT_FOR_EXPLORER]
    else:
        found = resource.get_properties(mode)
    return multistatus.response(href, found)


def _requested(environ: dict[str, Any]) -> tuple[str, list[str] | None]:
    """("allprop" | "name" | "named", names) from the body, as WsgiDAV reads it."""
    request = util.parse_xml_body(environ, allow_empty=True)
    if request is None:
        return "allprop", None
    if request.tag != "{DAV:}propfind":
        raise DAVError(HTTP_BAD_REQUEST, "the body is not a DAV:propfind")
    mode: str | None = None
    names: list[str] = []
    for node in request:
        if node.tag == "{DAV:}allprop":
            mode = _only(mode, "allprop")
        elif node.tag in ("{DAV:}propname", "{DAV:}name"):
            mode = _only(mode, "name")
        elif node.tag == "{DAV:}prop":
            if mode not in (None, "named"):
                raise DAVError(HTTP_BAD_REQUEST, "prop cannot be combined with allprop or propname")
            mode = "named"
            names += [child.tag for child in node if isinstance(child.tag, str)]
    if mode is None:  # <propfind/> with nothing we know inside: as WsgiDAV, no properties
        return "named", names
    return mode, names if mode == "named" else None


def _only(current: str | None, wanted: str) -> str:
    if current is not None:
        raise DAVError(HTTP_BAD_REQUEST, "allprop, propname and prop are mutually exclusive")
    return wanted


class KeepStreamsAlive:
    """Keeps the connection open after a streamed listing.

    WsgiDAV closes the connection after any response without a Content-Length (and
    logs an error for it), so every folder a client listed cost it a new connection
    (and a TLS handshake). A streamed 207 needs no length: cheroot sends it with
    chunked transfer encoding to HTTP/1.1 clients, and closes only for HTTP/1.0 ones.
    This wraps WsgiDAV from outside and takes back the ``Connection: close`` it
    added to a response ``respond`` streamed.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        def keep_alive(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if environ.get(STREAMED_KEY):
                headers = [(name, value) for name, value in headers
                           if not (name.lower() == "connection" and value.lower() == "close")]
            return start_response(status, headers, exc_info)

        return self.app(environ, keep_alive)


class WithoutLengthComplaint(logging.Filter):
    """WsgiDAV logs an error for every streamed 207; it is expected (see KeepStreamsAlive)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Missing required Content-Length header in 207-response")
