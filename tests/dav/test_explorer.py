"""Windows Explorer (the WebClient mini-redirector), replayed as it talks to a server.

Headers and bodies are those MiniRedir sends (docs/clients.md, "Windows Explorer").
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime

import pytest
import sqlalchemy as sa

from mediavault_dav.blobs import LocalBlobStore
from mediavault_dav.db.database import Database
from mediavault_dav.settings import Settings
from mediavault_dav.vault import properties, tree
from mediavault_dav.vault.users import Account
from tests.support import PASSWORD, Client, ServeProcess, counted_statements, propfind

EXPLORER = {"User-Agent": "Microsoft-WebDAV-MiniRedir/10.0.19045", "translate": "f", "Connection": "Keep-Alive"}
MS = "urn:schemas-microsoft-com:"
_LOCK = (b'<?xml version="1.0" encoding="utf-8" ?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/>'
         b"</D:lockscope><D:locktype><D:write/></D:locktype><D:owner><D:href>WORKSTATION\\alice</D:href>"
         b"</D:owner></D:lockinfo>")


def _win32_times(created: str, accessed: str, modified: str, attributes: str = "00000020") -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8" ?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="{MS}">'
            f"<D:set><D:prop><Z:Win32CreationTime>{created}</Z:Win32CreationTime>"
            f"<Z:Win32LastAccessTime>{accessed}</Z:Win32LastAccessTime>"
            f"<Z:Win32LastModifiedTime>{modified}</Z:Win32LastModifiedTime>"
            f"<Z:Win32FileAttributes>{attributes}</Z:Win32FileAttributes>"
            f"</D:prop></D:set></D:propertyupdate>").encode()


def _each_property_succeeded(response_body: bytes) -> set[str]:
    tree_ = ET.fromstring(response_body)
    statuses = {propstat.findtext("{DAV:}status") for propstat in tree_.iter("{DAV:}propstat")}
    assert statuses == {"HTTP/1.1 200 OK"}, response_body
    return {prop.tag for prop in tree_.iter() if prop.tag.startswith("{" + MS)}


@pytest.mark.slow
def test_drag_and_drop_with_the_lock_on_one_gateway_process_and_the_put_on_another(
        alice_client: Client, alice: Account, second_process: ServeProcess) -> None:
    """PROPFIND 404 → PUT 0 B → LOCK → PROPPATCH Win32* → HEAD → PUT with If → PROPPATCH → UNLOCK."""
    first = alice_client
    other = Client(second_process.url, (alice.username, PASSWORD))
    content = b"PK\x03\x04 a report written in Word " * 1000
    modified = "Tue, 05 Mar 2024 14:30:00 GMT"

    assert Client(first.base_url, None).request("OPTIONS", "/", headers=EXPLORER).status_code == 200
    assert first.request("PROPFIND", "/Files", headers={**EXPLORER, "Depth": "0"}).status_code == 207
    assert first.request("PROPFIND", "/Files/report.docx", headers={**EXPLORER, "Depth": "0"}).status_code == 404

    created = first.request("PUT", "/Files/report.docx", data=b"", headers={**EXPLORER, "Content-Length": "0"})
    assert created.status_code == 201
    locked = first.request("LOCK", "/Files/report.docx", data=_LOCK,
                           headers={**EXPLORER, "Timeout": "Second-3600", "Content-Type": "text/xml; charset=utf-8"})
    assert locked.status_code == 200
    token = locked.headers["Lock-Token"]
    assert token.startswith("<opaquelocktoken:") and token.strip("<>") in locked.text
    held = {**EXPLORER, "If": f"({token})"}

    patched = first.request("PROPPATCH", "/Files/report.docx", headers=held,
                            data=_win32_times(modified, modified, modified))
    assert patched.status_code == 207
    assert _each_property_succeeded(patched.content) == {
        f"{{{MS}}}Win32CreationTime", f"{{{MS}}}Win32LastAccessTime",
        f"{{{MS}}}Win32LastModifiedTime", f"{{{MS}}}Win32FileAttributes"}
    assert first.request("HEAD", "/Files/report.docx", headers=held).status_code == 200

    # The content goes to the other gateway process, which must honour the lock token.
    assert other.request("PUT", "/Files/report.docx", data=b"someone else", headers=EXPLORER).status_code == 423
    written = other.request("PUT", "/Files/report.docx", data=content, headers=held)
    assert written.status_code == 204
    again = other.request("PROPPATCH", "/Files/report.docx", headers=held,
                          data=_win32_times(modified, modified, modified))
    assert again.status_code == 207 and _each_property_succeeded(again.content)

    # Old clients send the token without angle brackets.
    unlocked = other.request("UNLOCK", "/Files/report.docx", headers={**EXPLORER, "Lock-Token": token.strip("<>")})
    assert unlocked.status_code == 204

    assert first.request("GET", "/Files/report.docx").content == content
    listed = propfind(first, "/Files/report.docx", depth="0")["/Files/report.docx"]
    # Win32LastModifiedTime became the modification time everybody sees.
    assert parsedate_to_datetime(listed.findtext(".//{DAV:}getlastmodified") or "") == parsedate_to_datetime(modified)
    assert listed.findtext(f".//{{{MS}}}Win32CreationTime") == modified
    assert listed.findtext(f".//{{{MS}}}Win32FileAttributes") == "00000020"
    asked = (f'<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:Z="{MS}"><D:prop>'
             f"<Z:Win32LastModifiedTime/></D:prop></D:propfind>").encode()
    named = first.request("PROPFIND", "/Files/report.docx", data=asked, headers={**EXPLORER, "Depth": "0"})
    assert ET.fromstring(named.content).findtext(f".//{{{MS}}}Win32LastModifiedTime") == modified


@pytest.mark.parametrize("probe", ["desktop.ini", "folder.jpg", "folder.gif", "Thumbs.db", "autorun.inf",
                                   ".~lock.report.docx#", "Sub/desktop.ini"])
def test_explorers_probes_are_a_404_after_one_lookup(alice_client: Client, database: Database, probe: str) -> None:
    alice_client.request("MKCOL", "/Files/Sub")
    path = "/Files/" + probe.replace("#", "%23")
    with counted_statements(database) as statements:
        for method, headers in (("PROPFIND", {**EXPLORER, "Depth": "0"}), ("GET", EXPLORER), ("HEAD", EXPLORER)):
            statements.clear()
            assert alice_client.request(method, path, headers=headers).status_code == 404
            assert len(statements) == 1, (method, statements)


def test_a_1000_file_folder_listing_stays_under_explorers_1_mb_limit(
        alice_client: Client, database: Database, settings: Settings) -> None:
    """FileAttributesLimitInBytes caps one folder's PROPFIND body at 1,000,000 bytes."""
    writer = LocalBlobStore(settings.blob_root).writer()
    writer.write(b"jpeg")
    blob = writer.finish()
    stamp = b"Tue, 05 Mar 2024 14:30:00 GMT"
    with database.transaction() as session:
        user_id = session.execute(sa.text("SELECT id FROM users WHERE username = 'alice'")).scalar_one()
        root = tree.resolve(session, user_id, [])
        assert isinstance(root, tree.FolderEntry)
        folder = tree.create_folder(session, user_id, root.id, "Camera Roll 2024")
        for number in range(1000):
            entry = tree.store_file(session, user_id, folder.id, f"IMG_20240305_{number:06d}.jpg", blob,
                                    mime_type="image/jpeg")
            for name, value in (("Win32CreationTime", stamp), ("Win32LastAccessTime", stamp),
                                ("Win32FileAttributes", b"00000020")):
                properties.write(session, ("file", entry.id), f"{{{MS}}}{name}",
                                 b'<ns0:%s xmlns:ns0="%s">%s</ns0:%s>' % (name.encode(), MS.encode(), value,
                                                                          name.encode()))
    response = alice_client.request("PROPFIND", "/Files/Camera%20Roll%202024", headers={**EXPLORER, "Depth": "1"})
    assert response.status_code == 207
    items = ET.fromstring(response.content).findall("{DAV:}response")
    assert len(items) == 1001
    assert items[-1].findtext(f".//{{{MS}}}Win32FileAttributes") == "00000020"
    assert len(response.content) < 1_000_000, len(response.content)


def test_an_album_too_big_for_explorer_is_shown_to_it_in_parts(alice_client: Client, alice: Account,
                                                               database: Database, settings: Settings) -> None:
    """2,500 members would be ~1.8 MB of allprop XML: Explorer gets parts of 1,000, others the whole."""
    writer = LocalBlobStore(settings.blob_root).writer()
    writer.write(b"jpg")
    blob = writer.finish()
    with database.transaction() as session:
        params = {"user": alice.id, "sha": blob.sha256, "n": 2500}
        session.execute(sa.text("INSERT INTO media_files (uploaded_by, sha256, size_bytes, mime_type) "
                                "VALUES (:user, :sha, 3, 'image/jpeg')"), params)
        session.execute(sa.text("INSERT INTO folders (user_id, parent_id, name) SELECT :user, id, 'Trip' "
                                "FROM folders WHERE user_id = :user AND parent_id IS NULL"), params)
        session.execute(sa.text(
            """INSERT INTO files (user_id, folder_id, name, hash, media_file_id, size_bytes)
               SELECT :user, f.id, format('IMG_%s.jpg', lpad(n::text, 5, '0')), :sha, m.id, 3
               FROM generate_series(1, :n) AS n, folders f JOIN media_files m ON m.uploaded_by = :user
               WHERE f.user_id = :user AND f.name = 'Trip'"""), params)
        session.execute(sa.text("INSERT INTO albums (user_id, name) VALUES (:user, 'Big trip')"), params)
        session.execute(sa.text(
            "INSERT INTO album_files (album_id, file_id) SELECT a.id, e.id FROM albums a, files e "
            "WHERE a.name = 'Big trip' AND e.user_id = :user"), params)
    whole = alice_client.request("PROPFIND", "/Albums/Big%20trip/", headers={"Depth": "1"})
    assert len(ET.fromstring(whole.content).findall("{DAV:}response")) == 2501  # any other client

    listing = alice_client.request("PROPFIND", "/Albums/Big%20trip/", headers={**EXPLORER, "Depth": "1"})
    assert listing.status_code == 207 and len(listing.content) < 1_000_000
    names = [item.findtext(".//{DAV:}displayname") for item in ET.fromstring(listing.content).iter("{DAV:}response")]
    assert names[1:] == ["Part 1 (1–1000)", "Part 2 (1001–2000)", "Part 3 (2001–2500)"]
    part = alice_client.request("PROPFIND", "/Albums/Big%20trip/Part%203%20%282001%E2%80%932500%29/",
                                headers={**EXPLORER, "Depth": "1"})
    assert part.status_code == 207 and len(part.content) < 1_000_000
    members = [item.findtext(".//{DAV:}displayname") for item in ET.fromstring(part.content).iter("{DAV:}response")]
    assert members[1] == "IMG_02001.jpg" and members[-1] == "IMG_02500.jpg" and len(members) == 501
    opened = alice_client.request("GET", "/Albums/Big%20trip/Part%201%20%281%E2%80%931000%29/IMG_00007.jpg",
                                  headers=EXPLORER)
    assert opened.status_code == 200
    # A part is not a thing of its own: it cannot be deleted or renamed, nor made up.
    assert alice_client.request("DELETE", "/Albums/Big%20trip/Part%201%20%281%E2%80%931000%29/",
                                headers=EXPLORER).status_code == 403
    assert alice_client.request("PROPFIND", "/Albums/Big%20trip/Part%202%20%281%E2%80%935%29/",
                                headers={**EXPLORER, "Depth": "0"}).status_code == 404
