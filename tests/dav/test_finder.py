"""macOS Finder (webdavfs), replayed as it talks to a server.

Headers and bodies are those of Apple's webdavfs (mount.tproj/webdav_network.c);
docs/clients.md, "macOS Finder", lists the sequences.
"""

from __future__ import annotations

import hashlib
import os
import time
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from mediavault_dav.db.database import Database
from tests.support import Client, counted_statements, propfind, raw_request

FINDER = {"User-Agent": "WebDAVFS/3.0.0 (03008000) Darwin/21.6.0 (x86_64)", "Accept": "*/*"}
_ATTRIBUTES = (b'<?xml version="1.0" encoding="utf-8"?>\n<D:propfind xmlns:D="DAV:">\n<D:prop>\n'
               b"<D:getlastmodified/>\n<D:getcontentlength/>\n<D:creationdate/>\n<D:resourcetype/>\n"
               b"</D:prop>\n</D:propfind>\n")
_LISTING = (b'<?xml version="1.0" encoding="utf-8"?>\n<D:propfind xmlns:D="DAV:">\n'
            b'<D:prop xmlns:A="http://www.apple.com/webdav_fs/props/">\n'
            b"<D:getlastmodified/>\n<D:getcontentlength/>\n<D:creationdate/>\n<D:resourcetype/>\n"
            b"<A:appledoubleheader/>\n</D:prop>\n</D:propfind>\n")
_STATFS = (b'<?xml version="1.0" encoding="utf-8"?>\n<D:propfind xmlns:D="DAV:">\n<D:prop>\n'
           b"<D:quota-available-bytes/>\n<D:quota-used-bytes/>\n<D:quota/>\n<D:quotaused/>\n"
           b"</D:prop>\n</D:propfind>\n")
_LOCK = (b'<?xml version="1.0" encoding="utf-8"?>\n<D:lockinfo xmlns:D="DAV:">\n'
         b"<D:lockscope><D:exclusive/></D:lockscope>\n<D:locktype><D:write/></D:locktype>\n"
         b"<D:owner>\n<D:href>http://www.apple.com/webdav_fs/</D:href>\n</D:owner>\n</D:lockinfo>\n")
_XML = {"Content-Type": "text/xml"}


def _lock(client: Client, path: str) -> str:
    response = client.request("LOCK", path, data=_LOCK, headers={
        **FINDER, "Depth": "0", "Timeout": "Second-600", "Content-Type": 'text/xml; charset="utf-8"'})
    assert response.status_code == 200, response.text
    return response.headers["Lock-Token"].strip("<>")


def test_finder_mounts_read_write_because_the_server_is_class_2(alice_client: Client) -> None:
    options = alice_client.request("OPTIONS", "/Files/", headers=FINDER)
    assert options.status_code == 200 and "2" in options.headers["DAV"].split(", ")
    stat = alice_client.request("PROPFIND", "/Files/", data=_ATTRIBUTES, headers={**FINDER, **_XML, "Depth": "0"})
    assert stat.status_code == 207
    assert ET.fromstring(stat.content).find(".//{DAV:}resourcetype/{DAV:}collection") is not None


@pytest.mark.parametrize("mount", ["/", "/Files/"])
def test_the_statfs_propfind_gets_integers_for_rfc_4331_and_404_for_apples_old_names(
        alice_client: Client, mount: str) -> None:
    alice_client.request("PUT", "/Files/a.bin", data=b"a" * 1000)
    alice_client.request("PUT", "/Files/b.bin", data=b"b" * 500)
    base = alice_client.base_url.rstrip("/")
    alice_client.request("COPY", "/Files/a.bin", headers={"Destination": base + "/Files/copy of a.bin"})
    response = alice_client.request("PROPFIND", mount, data=_STATFS, headers={**FINDER, **_XML, "Depth": "0"})
    assert response.status_code == 207
    found, missing = ET.fromstring(response.content).findall(".//{DAV:}propstat")
    assert found.findtext("{DAV:}status") == "HTTP/1.1 200 OK"
    # A copy shares its content: 1,500 bytes are stored, not 2,500.
    assert found.findtext(".//{DAV:}quota-used-bytes") == "1500"
    assert int(found.findtext(".//{DAV:}quota-available-bytes") or "") > 0
    assert missing.findtext("{DAV:}status") == "HTTP/1.1 404 Not Found"
    assert {child.tag for child in missing.find("{DAV:}prop")} == {"{DAV:}quota", "{DAV:}quotaused"}


@pytest.mark.parametrize("junk", ["._report.pages", "._.", ".DS_Store", ".localized", ".hidden", ".Spotlight-V100",
                                  ".metadata_never_index", "Backups.backupdb", "mach_kernel", "Contents"])
def test_finders_junk_probes_are_a_404_after_one_lookup(alice_client: Client, database: Database, junk: str) -> None:
    alice_client.request("OPTIONS", "/Files/")
    assert alice_client.request("PROPFIND", "/Files/", headers={"Depth": "0"}).status_code == 207  # signed in
    with counted_statements(database) as statements:
        for method, extra in (("PROPFIND", {**_XML, "Depth": "0"}), ("GET", {})):
            statements.clear()
            data = _ATTRIBUTES if method == "PROPFIND" else None
            response = alice_client.request(method, "/Files/" + quote(junk), data=data, headers={**FINDER, **extra})
            assert response.status_code == 404
            assert len(statements) == 1, statements


def _chunks(data: bytes, ended: list[float], size: int = 256 * 1024) -> Iterator[bytes]:
    """The body in chunks; records the moment the last one was handed over."""
    for start in range(0, len(data), size):
        yield data[start:start + size]
    ended.append(time.monotonic())


def test_the_create_sequence_empty_put_lock_chunked_put_with_if_unlock(alice_client: Client) -> None:
    """PUT empty → LOCK Second-600 → LOCK refresh → chunked PUT + X-Expected-Entity-Length + If → UNLOCK."""
    body = os.urandom(48 * 1024 * 1024 + 123)
    path = "/Files/Keynote.key"
    assert alice_client.request("PUT", path, data=b"", headers={**FINDER, "Content-Length": "0"},
                                allow_redirects=False).status_code == 201
    token = _lock(alice_client, path)

    refreshed = alice_client.request("LOCK", path, headers={
        **FINDER, "Depth": "0", "Timeout": "Second-600", **_XML, "If": f"(<{token}>)"})
    assert refreshed.status_code == 200
    remaining = ET.fromstring(refreshed.content).findtext(".//{DAV:}timeout") or ""
    assert remaining.startswith("Second-") and 590 <= int(remaining.removeprefix("Second-")) <= 600

    ended: list[float] = []
    put = raw_request(alice_client.base_url, "PUT", path, [
        *FINDER.items(), ("X-Expected-Entity-Length", str(len(body))), ("If", f"(<{token}>)")],
        body=_chunks(body, ended), auth=alice_client.auth)
    answered_after = time.monotonic() - ended[0]
    assert put.status == 204
    # Finder gives up on a PUT not answered within 60 s of its body's end; the
    # gateway has hashed and written the body as it came, so little is left.
    assert answered_after < 10, answered_after

    # The lock holder's next save is never refused by its own lock.
    second = raw_request(alice_client.base_url, "PUT", path, [
        *FINDER.items(), ("X-Expected-Entity-Length", "5"), ("If", f"(<{token}>)")],
        body=iter([b"saved"]), auth=alice_client.auth)
    assert second.status == 204
    assert alice_client.request("UNLOCK", path, headers={**FINDER, "Lock-Token": f"<{token}>"}).status_code == 204
    assert alice_client.request("GET", path).content == b"saved"


def test_a_big_chunked_put_stores_exactly_the_announced_bytes(alice_client: Client) -> None:
    body = os.urandom(8 * 1024 * 1024 + 5)
    alice_client.request("PUT", "/Files/movie.mov", data=b"", headers=FINDER)
    token = _lock(alice_client, "/Files/movie.mov")
    put = raw_request(alice_client.base_url, "PUT", "/Files/movie.mov", [
        *FINDER.items(), ("X-Expected-Entity-Length", str(len(body))), ("If", f"(<{token}>)")],
        body=_chunks(body, []), auth=alice_client.auth)
    assert put.status == 204
    stored = alice_client.request("GET", "/Files/movie.mov").content
    assert hashlib.sha256(stored).digest() == hashlib.sha256(body).digest()


def test_a_move_carries_one_if_header_per_lock_token(alice_client: Client) -> None:
    """Saving over a locked file: MOVE draft → final with both files' tokens, one If header each."""
    alice_client.request("PUT", "/Files/draft.pages", data=b"new version")
    alice_client.request("PUT", "/Files/final.pages", data=b"old version")
    draft, final = _lock(alice_client, "/Files/draft.pages"), _lock(alice_client, "/Files/final.pages")
    destination = alice_client.base_url.rstrip("/") + "/Files/final.pages"
    move = [*FINDER.items(), ("Destination", destination), ("Overwrite", "T")]

    only_one = raw_request(alice_client.base_url, "MOVE", "/Files/draft.pages",
                           [*move, ("If", f"(<{draft}>)")], auth=alice_client.auth)
    assert only_one.status in (412, 423)  # the destination's lock is not in it
    assert alice_client.request("GET", "/Files/final.pages").content == b"old version"
    both = raw_request(alice_client.base_url, "MOVE", "/Files/draft.pages",
                       [*move, ("If", f"(<{draft}>)"), ("If", f"(<{final}>)")], auth=alice_client.auth)
    assert both.status == 204, both.body
    assert alice_client.request("GET", "/Files/final.pages").content == b"new version"
    assert alice_client.request("GET", "/Files/draft.pages").status_code == 404


def test_appledouble_and_ds_store_writes_are_stored_but_never_typed_as_media(alice_client: Client) -> None:
    alice_client.request("PUT", "/Files/photo.jpg", data=b"\xff\xd8\xff jpeg")
    for name in ("._photo.jpg", "._.", ".DS_Store"):
        response = alice_client.request("PUT", "/Files/" + quote(name), data=b"\x00\x05\x16\x07 apple", headers=FINDER)
        assert response.status_code == 201, name
    listing = propfind(alice_client, "/Files/")
    assert {"/Files/._photo.jpg", "/Files/._.", "/Files/.DS_Store", "/Files/photo.jpg"} <= set(listing)
    assert listing["/Files/._photo.jpg"].findtext(".//{DAV:}getcontenttype") == "application/octet-stream"
    assert listing["/Files/photo.jpg"].findtext(".//{DAV:}getcontenttype") == "image/jpeg"
    assert alice_client.request("GET", "/Files/._photo.jpg").content == b"\x00\x05\x16\x07 apple"


def test_a_name_sent_in_nfd_is_the_same_entry_as_in_nfc(alice_client: Client) -> None:
    nfd, nfc = unicodedata.normalize("NFD", "Crème brûlée.txt"), unicodedata.normalize("NFC", "Crème brûlée.txt")
    assert nfd != nfc
    assert alice_client.request("PUT", "/Files/" + quote(nfd), data=b"from a Mac", headers=FINDER).status_code == 201
    assert alice_client.request("GET", "/Files/" + quote(nfc)).content == b"from a Mac"
    assert alice_client.request("PUT", "/Files/" + quote(nfc), data=b"from Windows").status_code == 204
    names = [href for href in propfind(alice_client, "/Files/") if href != "/Files/"]
    assert len(names) == 1
    listed = _listing(alice_client, "/Files/" + quote(nfd), depth="0")
    assert listed.status_code == 207


def _listing(client: Client, path: str, depth: str = "1"):  # noqa: ANN202 - a requests.Response
    return client.request("PROPFIND", path, data=_LISTING, headers={**FINDER, **_XML, "Depth": depth})


def test_etag_and_last_modified_change_with_every_content_change(alice_client: Client) -> None:
    alice_client.request("PUT", "/Files/cached.txt", data=b"version 1")

    def attributes() -> tuple[str, str]:
        item = ET.fromstring(_listing(alice_client, "/Files/").content).findall("{DAV:}response")[1]
        head = alice_client.request("HEAD", "/Files/cached.txt", headers=FINDER)
        return head.headers["ETag"], item.findtext(".//{DAV:}getlastmodified") or ""

    before = attributes()
    time.sleep(1.1)  # getlastmodified counts whole seconds
    alice_client.request("PUT", "/Files/cached.txt", data=b"version 2")
    after = attributes()
    assert after[0] != before[0] and after[1] != before[1]
    response = _listing(alice_client, "/Files/")
    assert b"appledoubleheader" in response.content  # asked for, answered as not found
