"""``DAV:lockdiscovery``: every lock that covers a resource, without a lookup per lock.

- A file inside a folder locked with Depth infinity is locked too, so its
  lockdiscovery shows that lock, with the folder as ``lockroot`` (RFC 4918 15.8).
  WsgiDAV shows only locks taken on the resource itself, and clients that look
  for their lock on a file (davfs2 recovering its token) would miss it.
- WsgiDAV's own rendering resolves each lock's root back to a resource only to
  print its href: one path lookup for every locked member of a listing (davfs2
  and Office keep many files locked). Here the root's href comes from the lock.

The locks come from the request's lock snapshot (dav/lock_storage.py), so a
listing costs the same statements however many of its members are locked.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

from wsgidav import xml_tools
from wsgidav.lock_man.lock_manager import normalize_lock_root
from wsgidav.util import etree

NAME = "{DAV:}lockdiscovery"
# What WsgiDAV leaves unencoded in hrefs (``_DAVResource.get_href``).
_HREF_SAFE = "/!*'(),$-_|."


def element(resource: Any) -> Any:
    discovery = etree.Element(NAME)
    manager = resource.provider.lock_manager
    if manager is None:
        return discovery
    for lock in manager.get_indirect_url_lock_list(resource.get_ref_url()):
        active = etree.SubElement(discovery, "{DAV:}activelock")
        etree.SubElement(etree.SubElement(active, "{DAV:}locktype"), "{DAV:}" + lock["type"])
        etree.SubElement(etree.SubElement(active, "{DAV:}lockscope"), "{DAV:}" + lock["scope"])
        etree.SubElement(active, "{DAV:}depth").text = lock["depth"]
        if lock["owner"]:
            active.append(xml_tools.string_to_xml(lock["owner"]))
        remaining = "Infinite" if lock["timeout"] < 0 else f"Second-{int(lock['expire'] - time.time())}"
        etree.SubElement(active, "{DAV:}timeout").text = remaining
        etree.SubElement(etree.SubElement(active, "{DAV:}locktoken"), "{DAV:}href").text = lock["token"]
        etree.SubElement(etree.SubElement(active, "{DAV:}lockroot"), "{DAV:}href").text = _root_href(
            resource, lock["root"])
    return discovery


def _root_href(resource: Any, root: str) -> str:
    if root == normalize_lock_root(resource.get_ref_url()):
        return str(resource.get_href())
    # A lock inherited from above: a folder's depth-infinity lock.
    provider = resource.provider
    path = provider.ref_url_to_path(root).rstrip("/") + "/"
    return quote(provider.mount_path + provider.share_path + path, safe=_HREF_SAFE)
