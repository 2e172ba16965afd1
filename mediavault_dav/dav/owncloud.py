"""ownCloud's checksum properties, which rclone (``vendor=owncloud``) reads.

``oc:checksums`` lists the server's own digests of a file's content in one
``<oc:checksum>`` element, ``SHA1:… MD5:… SHA256:…`` (the form ownCloud uses; rclone
parses ``sha1:`` and ``md5:`` from it, lowercased). They come from the catalogue
row the listing already joins, so asking for them costs no extra statement. The
property is computed, so a client cannot set it.

Newer rclone PROPPATCHes ``oc:checksum`` with the checksum it computed locally,
next to ``DAV:lastmodified``. The server keeps its own digests of the bytes it
actually stored, so that value is acknowledged and not kept: a client's claim
never replaces what the server measured.
"""

from __future__ import annotations

from typing import Any

from wsgidav.util import etree

OWNCLOUD = "http://owncloud.org/ns"
CHECKSUMS = f"{{{OWNCLOUD}}}checksums"
CHECKSUM = f"{{{OWNCLOUD}}}checksum"


def checksums_element(sha256: str, md5: str | None, sha1: str | None) -> Any:
    digests = [f"SHA1:{sha1}" if sha1 else "", f"MD5:{md5}" if md5 else "", f"SHA256:{sha256}"]
    element = etree.Element(CHECKSUMS)
    etree.SubElement(element, CHECKSUM).text = " ".join(digest for digest in digests if digest)
    return element
