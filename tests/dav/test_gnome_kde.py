"""GNOME Files (gvfs) and KDE Dolphin (kio), replayed as they talk to a server."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from mediavault_dav.db.database import Database
from tests.support import Client, counted_statements, propfind, raw_request

GVFS = {"User-Agent": "gvfs/1.50.4"}
KIO = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) KIO/5.103 kio_webdav/22.12.3"}
_GVFS_PROPS = (b'<?xml version="1.0" encoding="utf-8" ?>\n<D:propfind xmlns:D="DAV:"><D:prop>'
               b"<D:creationdate/><D:displayname/><D:getcontentlength/><D:getcontenttype/><D:getetag/>"
               b"<D:getlastmodified/><D:resourcetype/></D:prop></D:propfind>")
_KIO_PROPS = (b'<?xml version="1.0" encoding="utf-8" ?><D:propfind xmlns:D="DAV:"><D:prop>'
              b"<D:creationdate/><D:getcontentlength/><D:displayname/><D:source/><D:getcontentlanguage/>"
              b"<D:getcontenttype/><D:getlastmodified/><D:getetag/><D:supportedlock/><D:lockdiscovery/>"
              b"<D:resourcetype/><D:quota-available-bytes/><D:quota-used-bytes/><D:executable/>"
              b"</D:prop></D:propfind>")


def test_gnome_creates_untitled_items_then_renames_them(alice_client: Client) -> None:
    base = alice_client.base_url.rstrip("/")
    assert alice_client.request("MKCOL", "/Files/Untitled%20Folder", headers=GVFS).status_code == 201
    renamed = alice_client.request("MOVE", "/Files/Untitled%20Folder", headers={
        **GVFS, "Destination": base + "/Files/Holidays", "Overwrite": "F"})
    assert renamed.status_code == 201
    # An empty document: a PUT with no body and no Content-Length at all.
    created = raw_request(alice_client.base_url, "PUT", "/Files/Holidays/Untitled%20Document",
                          list(GVFS.items()), auth=alice_client.auth)
    assert created.status == 201
    moved = alice_client.request("MOVE", "/Files/Holidays/Untitled%20Document", headers={
        **GVFS, "Destination": base + "/Files/Holidays/packing%20list.txt", "Overwrite": "F"})
    assert moved.status_code == 201
    listing = alice_client.request("PROPFIND", "/Files/Holidays", data=_GVFS_PROPS, headers={
        **GVFS, "Depth": "1", "Apply-To-Redirect-Ref": "T", "Content-Type": "application/xml"})
    assert listing.status_code == 207
    hrefs = [item.findtext("{DAV:}href") for item in ET.fromstring(listing.content).findall("{DAV:}response")]
    assert hrefs == ["/Files/Holidays/", "/Files/Holidays/packing%20list.txt"]
    assert alice_client.request("GET", "/Files/Holidays/packing%20list.txt").content == b""


def test_dolphin_is_challenged_not_forbidden_and_then_deletes(alice_client: Client) -> None:
    alice_client.request("MKCOL", "/Files/Old%20Stuff")
    anonymous = Client(alice_client.base_url, None)
    challenged = anonymous.request("DELETE", "/Files/Old%20Stuff", headers=KIO, allow_redirects=False)
    assert challenged.status_code == 401
    assert challenged.headers["WWW-Authenticate"].startswith("Basic ")
    assert alice_client.request("DELETE", "/Files/Old%20Stuff", headers=KIO).status_code == 204
    assert alice_client.request("PROPFIND", "/Files/Old%20Stuff", headers={"Depth": "0"}).status_code == 404


@pytest.mark.parametrize("members", [5, 60])
def test_dolphins_listing_with_locks_and_quotas_costs_the_same_statements_whatever_the_size(
        alice_client: Client, database: Database, members: int, request: pytest.FixtureRequest) -> None:
    alice_client.request("MKCOL", "/Files/Many")
    for number in range(members):
        alice_client.request("PUT", f"/Files/Many/f{number:03d}.txt", data=b"x" * number)
    for locked_name in ("f001.txt", "f002.txt", "f003.txt"):
        assert alice_client.request("LOCK", f"/Files/Many/{locked_name}", headers={"Timeout": "Second-60"}, data=(
            b'<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>'
            b"<D:locktype><D:write/></D:locktype></D:lockinfo>")).status_code == 200
    with counted_statements(database) as statements:
        response = alice_client.request("PROPFIND", "/Files/Many", data=_KIO_PROPS, headers={**KIO, "Depth": "1"})
    assert response.status_code == 207
    items = ET.fromstring(response.content).findall("{DAV:}response")
    assert len(items) == members + 1
    folder = items[0]
    assert int(folder.findtext(".//{DAV:}quota-used-bytes") or "") == sum(range(members))
    assert folder.find(".//{DAV:}supportedlock/{DAV:}lockentry") is not None
    locked = {item.findtext("{DAV:}href"): item.findtext(".//{DAV:}lockroot/{DAV:}href")
              for item in items if item.find(".//{DAV:}activelock") is not None}
    assert locked == {f"/Files/Many/f00{number}.txt": f"/Files/Many/f00{number}.txt" for number in (1, 2, 3)}
    counts = request.config.stash.setdefault(_COUNTS, {})  # type: ignore[arg-type]
    counts[members] = len(statements)
    if len(counts) == 2:
        assert counts[5] == counts[60], counts
    # Resolve the path; list folders, files, dead properties; the lock snapshot; the quota.
    assert len(statements) == 6, statements


_COUNTS = pytest.StashKey[dict[int, int]]()


def test_names_with_spaces_and_no_trailing_slash_list_their_members(alice_client: Client) -> None:
    alice_client.request("MKCOL", "/Files/My%20Music")
    alice_client.request("PUT", "/Files/My%20Music/track%2001.flac", data=b"fLaC")
    listing = propfind(alice_client, "/Files/My%20Music")
    assert set(listing) == {"/Files/My Music/", "/Files/My Music/track 01.flac"}
