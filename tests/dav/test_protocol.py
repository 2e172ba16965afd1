"""What every client relies on (docs/clients.md, "Every client"), through the real server."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest

from tests.support import Client, propfind, raw_request

_ISO_8601 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
_RFC_1123 = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                       r"\d{4} \d\d:\d\d:\d\d GMT$")


def _responses(body: bytes) -> list[ET.Element]:
    return ET.fromstring(body).findall("{DAV:}response")


@pytest.mark.parametrize("path", ["/", "/Files/", "/Files/no/such/thing.txt", "/Albums"])
def test_options_answers_everywhere_without_credentials(anonymous_client: Client, path: str) -> None:
    response = anonymous_client.request("OPTIONS", path, allow_redirects=False)
    assert response.status_code == 200
    assert response.headers["DAV"] == "1, 2"
    assert response.headers["MS-Author-Via"] == "DAV"
    allowed = {method.strip() for method in response.headers["Allow"].split(",")}
    assert {"PROPFIND", "PROPPATCH", "LOCK", "UNLOCK", "PUT", "MOVE", "COPY", "DELETE", "MKCOL"} <= allowed


@pytest.mark.parametrize("method", ["PROPFIND", "GET", "PUT", "DELETE", "MKCOL", "LOCK", "MOVE"])
def test_anything_else_without_credentials_is_a_401_basic_challenge(anonymous_client: Client, method: str) -> None:
    response = anonymous_client.request(method, "/Files/anything", allow_redirects=False)
    assert response.status_code == 401  # never 403 (Dolphin gives up) nor a redirect
    assert response.headers["WWW-Authenticate"].startswith('Basic realm="')


def test_a_propfind_on_a_missing_path_is_a_plain_404(alice_client: Client) -> None:
    for depth in ("0", "1"):
        response = alice_client.request("PROPFIND", "/Files/missing/", headers={"Depth": depth})
        assert response.status_code == 404
        assert b"multistatus" not in response.content


def test_a_folder_resolves_with_and_without_a_trailing_slash(alice_client: Client) -> None:
    alice_client.request("MKCOL", "/Files/Holiday")
    alice_client.request("PUT", "/Files/Holiday/beach.jpg", data=b"jpeg")
    for path in ("/Files/Holiday", "/Files/Holiday/"):
        response = alice_client.request("PROPFIND", path, headers={"Depth": "1"}, allow_redirects=False)
        assert response.status_code == 207, path
        hrefs = [item.findtext("{DAV:}href") for item in _responses(response.content)]
        assert hrefs == ["/Files/Holiday/", "/Files/Holiday/beach.jpg"]
    assert alice_client.request("DELETE", "/Files/Holiday", allow_redirects=False).status_code == 204


def test_listings_use_a_prefixed_dav_namespace_and_put_the_folder_first(alice_client: Client) -> None:
    alice_client.request("MKCOL", "/Files/Music")
    alice_client.request("PUT", "/Files/Music/song.mp3", data=b"ID3")
    response = alice_client.request("PROPFIND", "/Files/Music/", headers={"Depth": "1"})
    body = response.content
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<D:multistatus xmlns:D="DAV:"')
    assert b'xmlns="' not in body  # no default namespace anywhere
    assert body.count(b"xmlns:D=") == 1  # declared once, not per response (Explorer's 1 MB cap)
    assert _responses(body)[0].findtext("{DAV:}href") == "/Files/Music/"


def test_hrefs_keep_the_percent_encoding_the_client_sent(alice_client: Client) -> None:
    alice_client.request("MKCOL", "/Files/Café (2024)")
    alice_client.request("PUT", "/Files/Café (2024)/" + quote("a&b #1.txt"), data=b"x")
    # The same folder, spelled two ways: every href starts with the spelling sent.
    for sent in ("/Files/Caf%C3%A9%20%282024%29", "/Files/Caf%c3%a9%20(2024)/"):
        response = raw_request(alice_client.base_url, "PROPFIND", sent, [("Depth", "1")], auth=alice_client.auth)
        assert response.status == 207
        prefix = sent.rstrip("/") + "/"
        hrefs = [item.findtext("{DAV:}href") for item in _responses(response.body)]
        assert hrefs == [prefix, prefix + quote("a&b #1.txt", safe="")], hrefs


def test_collections_have_no_content_length_and_times_have_the_standard_formats(alice_client: Client) -> None:
    alice_client.request("MKCOL", "/Files/Docs")
    alice_client.request("PUT", "/Files/Docs/letter.txt", data=b"Dear")
    listing = propfind(alice_client, "/Files/Docs/")
    folder, file = listing["/Files/Docs/"], listing["/Files/Docs/letter.txt"]
    assert folder.find(".//{DAV:}getcontentlength") is None
    assert file.findtext(".//{DAV:}getcontentlength") == "4"
    for item in (folder, file):
        assert _ISO_8601.match(item.findtext(".//{DAV:}creationdate") or "")
        assert _RFC_1123.match(item.findtext(".//{DAV:}getlastmodified") or "")


def test_etags_are_strong_and_the_same_in_header_and_listing(alice_client: Client) -> None:
    alice_client.request("PUT", "/Files/note.txt", data=b"hello")
    header = alice_client.request("HEAD", "/Files/note.txt").headers["ETag"]
    listed = propfind(alice_client, "/Files/note.txt", depth="0")["/Files/note.txt"].findtext(".//{DAV:}getetag")
    assert header == listed
    assert header.startswith('"') and header.endswith('"') and not header.startswith("W/")
    folder = propfind(alice_client, "/Files/", depth="0")["/Files/"].findtext(".//{DAV:}getetag") or ""
    assert folder.startswith('"') and folder.endswith('"')


def test_unknown_properties_come_back_in_a_404_propstat_with_declared_prefixes(alice_client: Client) -> None:
    alice_client.request("PUT", "/Files/photo.jpg", data=b"jpeg")
    body = (b'<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:" '
            b'xmlns:S="SAR:" xmlns:A="http://www.apple.com/webdav_fs/props/"><D:prop>'
            b"<D:getcontentlength/><Z:Win32FileAttributes/><S:lastmodified_server/><A:appledoubleheader/>"
            b"<D:nosuchthing/></D:prop></D:propfind>")
    response = alice_client.request("PROPFIND", "/Files/photo.jpg", data=body, headers={"Depth": "0"})
    assert response.status_code == 207
    propstats = ET.fromstring(response.content).findall(".//{DAV:}propstat")  # parses: prefixes are declared
    assert propstats[0].findtext("{DAV:}status") == "HTTP/1.1 200 OK"  # rclone reads the first status only
    missing = {child.tag for child in propstats[1].find("{DAV:}prop")}
    assert propstats[1].findtext("{DAV:}status") == "HTTP/1.1 404 Not Found"
    assert missing == {"{urn:schemas-microsoft-com:}Win32FileAttributes", "{SAR:}lastmodified_server",
                       "{http://www.apple.com/webdav_fs/props/}appledoubleheader", "{DAV:}nosuchthing"}


def test_the_root_listing_has_the_same_form(alice_client: Client) -> None:
    response = alice_client.request("PROPFIND", "/", headers={"Depth": "1"})
    assert response.status_code == 207
    assert response.content.count(b"xmlns:D=") == 1
    hrefs = [item.findtext("{DAV:}href") for item in _responses(response.content)]
    assert hrefs[0] == "/" and "/Files/" in hrefs and "/Smart%20Folders/" in hrefs


def test_lockdiscovery_names_the_root_of_each_lock(alice_client: Client) -> None:
    alice_client.request("MKCOL", "/Files/Shared Work")
    alice_client.request("PUT", "/Files/Shared Work/plan.odt", data=b"plan")
    body = (b'<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>'
            b"<D:locktype><D:write/></D:locktype><D:owner>alice</D:owner></D:lockinfo>")
    locked = alice_client.request("LOCK", "/Files/Shared Work", data=body, headers={"Depth": "infinity"})
    assert locked.status_code == 200
    listing = propfind(alice_client, "/Files/Shared Work/")
    for item in listing.values():  # the folder's own lock, and the one its file inherits
        assert item.findtext(".//{DAV:}lockroot/{DAV:}href") == "/Files/Shared%20Work/"
        assert item.findtext(".//{DAV:}depth") == "infinity"
        assert item.findtext(".//{DAV:}owner") == "alice"
