"""PROPFIND on ``/Files/`` answered as a stream, one ``<response>`` at a time.

WsgiDAV builds the whole multistatus tree in memory and serialises it at the end:
listing a folder of 10,000 files took the process from 90 MiB to 440 MiB. Here the
member rows (with their dead properties and locks) are loaded first — so a database
failure is still a clean 503, never a truncated 207 — and then each member's
resource and ``<response>`` are built, serialised and sent in 64 KiB batches, so
neither the XML nor the resource objects ever exist all at once; what stays is the
rows themselves. Property values come from the same resource methods WsgiDAV's own
handler uses; only the assembly differs. Virtual folders (albums, smart folders
...) are listed the same way. Requests this path does not cover (Depth infinity
when enabled, an ``If`` header, the root) go to WsgiDAV's handler.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any, Protocol, runtime_checkable

from wsgidav import util, xml_tools
from wsgidav.dav_error import HTTP_BAD_REQUEST, DAVError
from wsgidav.dav_provider import _DAVResource
from wsgidav.util import etree

from mediavault_dav.dav import media_properties
from mediavault_dav.dav.files import EntryResource
from mediavault_dav.vault.tree import FileEntry

_BATCH_BYTES = 64 * 1024
STREAMED_KEY = "mediavault.streamed_multistatus"  # this response has no Content-Length, on purpose
_HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n<D:multistatus xmlns:D="DAV:">'
_TAIL = b"</D:multistatus>"


@runtime_checkable
class Listed(Protocol):
    """A collection whose members come from one load: /Files/ folders, virtual folders."""

    def load_listing(self) -> Any: ...

    def iter_members(self, listing: Any) -> Iterator[_DAVResource]: ...


def handles(resource: Any, environ: dict[str, Any]) -> bool:
    return (isinstance(resource, EntryResource | Listed)
            and environ.get("HTTP_DEPTH") in ("0", "1")
            and not environ.get("HTTP_IF"))


def respond(resource: _DAVResource, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    mode, names = _requested(environ)
    members: Iterable[_DAVResource] = ()
    if environ["HTTP_DEPTH"] == "1" and isinstance(resource, Listed):
        # The database work happens here, before the 207 starts: a failure is a 503.
        listing = resource.load_listing()
        if mode == "named" and media_properties.wanted(names):
            # MediaVault properties of every listed file in one statement, not one per file.
            media_properties.prefetch(resource, [entry.id for entry in listing.entries
                                                 if isinstance(entry, FileEntry)])
        members = resource.iter_members(listing)
    first = _response_xml(resource, mode, names)  # loads the resource's own dead properties
    environ[STREAMED_KEY] = True
    start_response("207 Multi-Status", [
        ("Content-Type", "application/xml; charset=utf-8"),
        ("Date", util.get_rfc1123_time()),
    ])
    return _stream(first, members, mode, names)


def _stream(first: bytes, members: Iterable[_DAVResource], mode: str,
            names: list[str] | None) -> Iterator[bytes]:
    batch = [_HEAD, first]
    size = len(first)
    for member in members:
        piece = _response_xml(member, mode, names)
        batch.append(piece)
        size += len(piece)
        if size >= _BATCH_BYTES:
            yield b"".join(batch)
            batch, size = [], 0
    batch.append(_TAIL)
    yield b"".join(batch)


def _response_xml(resource: _DAVResource, mode: str, names: list[str] | None) -> bytes:
    holder = xml_tools.make_multistatus_el()
    if mode == "named":
        found = resource.get_properties("named", name_list=names)
    else:
        found = resource.get_properties(mode)
    util.add_property_response(holder, resource.get_href(), found)
    return b"".join(etree.tostring(response, encoding="UTF-8") for response in holder)


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
