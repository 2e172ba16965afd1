"""``<D:response>`` elements written compactly, in the form every client reads.

- The DAV namespace always has the ``D:`` prefix, declared once on the
  ``multistatus`` element: Windows' MiniRedir mishandles a default namespace, and
  Explorer refuses a folder whose PROPFIND body exceeds 1,000,000 bytes
  (``FileAttributesLimitInBytes``), so no response repeats the declaration.
- The namespaces of Windows' Win32 properties and ownCloud's checksums, which
  fill every member of a listing for those clients, are declared there too (``Z``
  and ``oc``); any other namespace gets a short prefix declared on the response
  that uses it.
- The ``200 OK`` propstat comes first: rclone reads only the first status of a
  response and drops the item when it is not a success.

WsgiDAV's own multistatus bodies (PROPPATCH, LOCK, the generic PROPFIND) are
serialised by ElementTree; ``D`` is registered for them too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape, quoteattr

from wsgidav.dav_error import DAVError
from wsgidav.util import get_http_status_string

DAV = "DAV:"
XML = "http://www.w3.org/XML/1998/namespace"
_DECLARED_ONCE = {"urn:schemas-microsoft-com:": "Z", "http://owncloud.org/ns": "oc"}
HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<D:multistatus xmlns:D="DAV:"'
        + "".join(f' xmlns:{prefix}="{namespace}"' for namespace, prefix in _DECLARED_ONCE.items())
        + ">").encode()
TAIL = b"</D:multistatus>"
_OK = "200 OK"

ElementTree.register_namespace("D", DAV)


class _Prefixes:
    """Prefixes of one response: D for DAV:, N1, N2 ... for the others in order."""

    def __init__(self) -> None:
        self.declared: dict[str, str] = {}

    def qualify(self, clark: str) -> str:
        if not clark.startswith("{"):
            return clark  # no namespace (no default namespace is ever declared)
        namespace, _, local = clark[1:].partition("}")
        if namespace == DAV:
            return "D:" + local
        if namespace == XML:
            return "xml:" + local
        prefix = _DECLARED_ONCE.get(namespace) or self.declared.get(namespace)
        if prefix is None:
            prefix = self.declared[namespace] = f"N{len(self.declared) + 1}"
        return f"{prefix}:{local}"

    def declarations(self) -> str:
        return "".join(f" xmlns:{prefix}={quoteattr(namespace)}" for namespace, prefix in self.declared.items())


def response(href: str, found: Iterable[tuple[str, Any]]) -> bytes:
    """One ``<D:response>`` for ``href`` (already percent-encoded) and the
    (name, value) pairs of ``_DAVResource.get_properties``: a value is text, an
    element, None (an empty element) or a DAVError (the property's status)."""
    by_status: dict[str, list[str]] = {}
    prefixes = _Prefixes()
    for name, value in found:
        status = _OK
        if isinstance(value, DAVError):
            status, value = get_http_status_string(value), None
        by_status.setdefault(status, []).append(_property(prefixes, name, value))
    ordered = sorted(by_status.items(), key=lambda item: (item[0] != _OK, item[0]))
    propstats = "".join(
        f"<D:propstat><D:prop>{''.join(properties)}</D:prop>"
        f"<D:status>HTTP/1.1 {escape(status)}</D:status></D:propstat>"
        for status, properties in ordered
    )
    return (f"<D:response{prefixes.declarations()}><D:href>{escape(href)}</D:href>"
            f"{propstats}</D:response>").encode()


def _property(prefixes: _Prefixes, name: str, value: Any) -> str:
    if value is None:
        return f"<{prefixes.qualify(name)}/>"
    if isinstance(value, str):
        tag = prefixes.qualify(name)
        return f"<{tag}>{escape(value)}</{tag}>" if value else f"<{tag}/>"
    return _element(prefixes, value)  # an element: the property itself, with its children


def _element(prefixes: _Prefixes, element: Any) -> str:
    tag = prefixes.qualify(element.tag)
    attributes = "".join(f" {prefixes.qualify(key)}={quoteattr(value)}" for key, value in element.attrib.items())
    inner = escape(element.text or "") + "".join(
        # (comments and processing instructions are dropped, their tails kept)
        (_element(prefixes, child) if isinstance(child.tag, str) else "") + escape(child.tail or "")
        for child in element
    )
    return f"<{tag}{attributes}>{inner}</{tag}>" if inner else f"<{tag}{attributes}/>"
