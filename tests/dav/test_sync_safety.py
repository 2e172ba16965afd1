"""What sync clients compare: ETags, modification times and checksums (docs/clients.md,
"Sync safety"). A database outage is a 503, never an empty listing: tests/dav/test_errors.py."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime

from mediavault_dav.db.database import Database
from mediavault_dav.settings import Settings
from tests.support import Client, gateway_with, propfind

OC = "http://owncloud.org/ns"
_LOCK = (b'<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>'
         b"<D:locktype><D:write/></D:locktype></D:lockinfo>")


def _etag(client: Client, path: str) -> str:
    listed = propfind(client, path, depth="0")
    return listed[next(iter(listed))].findtext(".//{DAV:}getetag") or ""


def _modified(client: Client, path: str) -> str:
    listed = propfind(client, path, depth="0")
    return listed[next(iter(listed))].findtext(".//{DAV:}getlastmodified") or ""


def _proppatch(client: Client, path: str, props: str) -> ET.Element:
    body = (f'<?xml version="1.0"?><d:propertyupdate xmlns:d="DAV:" xmlns:oc="{OC}" '
            f'xmlns:z="urn:example:tags"><d:set><d:prop>{props}</d:prop></d:set></d:propertyupdate>').encode()
    response = client.request("PROPPATCH", path, data=body)
    assert response.status_code == 207, response.text
    return ET.fromstring(response.content)


def test_a_files_etag_changes_exactly_when_its_content_or_time_changes(alice_client: Client) -> None:
    base = alice_client.base_url.rstrip("/")
    alice_client.request("PUT", "/Files/song.flac", data=b"fLaC v1", headers={"X-OC-Mtime": "1600000000"})
    etag = _etag(alice_client, "/Files/song.flac")

    # Things that change neither content nor time leave it alone.
    _proppatch(alice_client, "/Files/song.flac", "<z:rating>5</z:rating>")
    token = alice_client.request("LOCK", "/Files/song.flac", data=_LOCK).headers["Lock-Token"]
    alice_client.request("UNLOCK", "/Files/song.flac", headers={"Lock-Token": token})
    alice_client.request("COPY", "/Files/song.flac", headers={"Destination": base + "/Files/copy.flac"})
    assert alice_client.request("MOVE", "/Files/song.flac",
                                headers={"Destination": base + "/Files/renamed.flac"}).status_code == 201
    assert _etag(alice_client, "/Files/renamed.flac") == etag
    # The same bytes with the same time again: nothing a client could see changed.
    alice_client.request("PUT", "/Files/renamed.flac", data=b"fLaC v1", headers={"X-OC-Mtime": "1600000000"})
    assert _etag(alice_client, "/Files/renamed.flac") == etag

    alice_client.request("PUT", "/Files/renamed.flac", data=b"fLaC v2", headers={"X-OC-Mtime": "1600000000"})
    content_changed = _etag(alice_client, "/Files/renamed.flac")
    assert content_changed != etag
    _proppatch(alice_client, "/Files/renamed.flac", "<d:lastmodified>1700000000</d:lastmodified>")
    time_changed = _etag(alice_client, "/Files/renamed.flac")
    assert time_changed not in (etag, content_changed)
    assert alice_client.request("HEAD", "/Files/renamed.flac").headers["ETag"] == time_changed


def test_etags_are_the_same_after_a_restart(alice_client: Client, settings: Settings, database: Database) -> None:
    alice_client.request("MKCOL", "/Files/Album")
    alice_client.request("PUT", "/Files/Album/one.jpg", data=os.urandom(5000))
    before = {path: _etag(alice_client, path) for path in ("/Files/Album/", "/Files/Album/one.jpg")}
    with gateway_with(settings, database, port=0) as restarted:
        client = dataclasses.replace(alice_client, base_url=restarted.url)
        assert {path: _etag(client, path) for path in before} == before


def test_a_folders_etag_changes_when_a_member_comes_goes_is_renamed_or_rewritten(alice_client: Client) -> None:
    base = alice_client.base_url.rstrip("/")
    alice_client.request("MKCOL", "/Files/Inbox")
    alice_client.request("MKCOL", "/Files/Archive")
    seen = [_etag(alice_client, "/Files/Inbox/")]

    def changed() -> bool:
        etag = _etag(alice_client, "/Files/Inbox/")
        fresh = etag not in seen
        seen.append(etag)
        return fresh

    alice_client.request("PUT", "/Files/Inbox/mail.eml", data=b"hello")
    assert changed()  # added
    alice_client.request("PUT", "/Files/Inbox/mail.eml", data=b"hello again")
    assert changed()  # rewritten
    alice_client.request("MOVE", "/Files/Inbox/mail.eml", headers={"Destination": base + "/Files/Inbox/read.eml"})
    assert changed()  # renamed
    alice_client.request("MKCOL", "/Files/Inbox/Sub")
    assert changed()  # a folder added
    alice_client.request("MOVE", "/Files/Inbox/read.eml", headers={"Destination": base + "/Files/Archive/read.eml"})
    assert changed()  # moved out
    alice_client.request("COPY", "/Files/Archive/read.eml", headers={"Destination": base + "/Files/Inbox/back.eml"})
    assert changed()  # copied in
    alice_client.request("DELETE", "/Files/Inbox/back.eml")
    assert changed()  # removed

    # Reading, locking or tagging a member is not a change of the listing.
    alice_client.request("PUT", "/Files/Inbox/keep.eml", data=b"keep")
    changed()
    alice_client.request("GET", "/Files/Inbox/keep.eml")
    _proppatch(alice_client, "/Files/Inbox/keep.eml", "<z:flag>red</z:flag>")
    assert alice_client.request("LOCK", "/Files/Inbox/keep.eml", data=_LOCK).status_code == 200
    assert not changed()


def test_getlastmodified_is_the_time_the_client_set(alice_client: Client) -> None:
    put = alice_client.request("PUT", "/Files/a.txt", data=b"a", headers={"X-OC-Mtime": "1500000000"})
    assert put.status_code == 201 and put.headers["X-OC-Mtime"] == "accepted"
    assert put.headers["ETag"] == alice_client.request("HEAD", "/Files/a.txt").headers["ETag"]
    assert parsedate_to_datetime(_modified(alice_client, "/Files/a.txt")).timestamp() == 1_500_000_000

    # Newer rclone: DAV:lastmodified (unix seconds) with its own checksum, which the
    # server acknowledges but does not take over.
    result = _proppatch(alice_client, "/Files/a.txt",
                        "<d:lastmodified>1600000000</d:lastmodified><oc:checksum>SHA1:0000</oc:checksum>")
    assert {status.text for status in result.iter("{DAV:}status")} == {"HTTP/1.1 200 OK"}
    assert parsedate_to_datetime(_modified(alice_client, "/Files/a.txt")).timestamp() == 1_600_000_000
    _proppatch(alice_client, "/Files/a.txt", "<d:getlastmodified>Wed, 01 Jan 2025 00:00:00 GMT</d:getlastmodified>")
    assert _modified(alice_client, "/Files/a.txt") == "Wed, 01 Jan 2025 00:00:00 GMT"
    checksums = _checksums(alice_client, "/Files/a.txt")
    assert checksums == f"SHA1:{hashlib.sha1(b'a').hexdigest()} MD5:{hashlib.md5(b'a').hexdigest()} " \
                        f"SHA256:{hashlib.sha256(b'a').hexdigest()}"


def test_a_bad_modification_time_is_refused_and_changes_nothing(alice_client: Client) -> None:
    alice_client.request("PUT", "/Files/b.txt", data=b"b", headers={"X-OC-Mtime": "1500000000"})
    refused = alice_client.request("PUT", "/Files/b.txt", data=b"other", headers={"X-OC-Mtime": "yesterday"})
    assert refused.status_code == 400
    assert alice_client.request("GET", "/Files/b.txt").content == b"b"
    body = (b'<?xml version="1.0"?><d:propertyupdate xmlns:d="DAV:"><d:set><d:prop>'
            b"<d:lastmodified>not a time</d:lastmodified></d:prop></d:set></d:propertyupdate>")
    response = alice_client.request("PROPPATCH", "/Files/b.txt", data=body)
    assert response.status_code == 207 and "400" in response.text
    assert parsedate_to_datetime(_modified(alice_client, "/Files/b.txt")).timestamp() == 1_500_000_000
    protected = _proppatch(alice_client, "/Files/b.txt", "<oc:checksums>MD5:forged</oc:checksums>")
    assert "403" in (protected.findtext(".//{DAV:}status") or "")


def _checksums(client: Client, path: str) -> str:
    body = (f'<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:oc="{OC}"><d:prop>'
            f"<oc:checksums/></d:prop></d:propfind>").encode()
    response = client.request("PROPFIND", path, data=body, headers={"Depth": "0"})
    assert response.status_code == 207
    return ET.fromstring(response.content).findtext(f".//{{{OC}}}checksum") or ""


def test_oc_checksums_are_the_servers_own_digests_of_what_it_stored(alice_client: Client) -> None:
    for size in (0, 10, 3 * 1024 * 1024 + 7):  # empty, hashed inline, hashed beside the upload
        body = os.urandom(size)
        alice_client.request("PUT", f"/Files/blob-{size}.bin", data=body, headers={"OC-Checksum": "SHA1:ignored"})
        assert _checksums(alice_client, f"/Files/blob-{size}.bin") == (
            f"SHA1:{hashlib.sha1(body).hexdigest()} MD5:{hashlib.md5(body).hexdigest()} "
            f"SHA256:{hashlib.sha256(body).hexdigest()}")
    folder = alice_client.request("PROPFIND", "/Files/", headers={"Depth": "0"}, data=(
        f'<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:oc="{OC}"><d:prop><oc:checksums/>'
        f"</d:prop></d:propfind>").encode())
    assert "404" in (ET.fromstring(folder.content).findtext(".//{DAV:}status") or "")
