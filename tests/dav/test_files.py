"""``/Files/`` over HTTP: reads, conditional requests, writes, COPY/MOVE, properties."""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from mediavault_dav.db.database import Database
from tests.support import Client, blob_bytes, blob_files, propfind


def _put(client: Client, path: str, body: bytes | Iterator[bytes], **headers: str) -> int:
    return client.request("PUT", path, data=body, headers=headers).status_code


def _chunks(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]


def _count_rows(database: Database, table: str) -> int:
    with database.transaction() as session:
        return int(session.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


# --- reading -----------------------------------------------------------------


def test_a_put_file_reads_back_with_a_strong_etag_and_last_modified(alice_client: Client) -> None:
    body = os.urandom(300_000)
    assert _put(alice_client, "/Files/photo.jpg", body) == 201
    response = alice_client.request("GET", "/Files/photo.jpg")
    assert response.status_code == 200
    assert response.content == body
    assert response.headers["Content-Type"] == "image/jpeg"
    etag = response.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert parsedate_to_datetime(response.headers["Last-Modified"]) <= datetime.now(UTC)
    head = alice_client.request("HEAD", "/Files/photo.jpg")
    assert head.headers["Content-Length"] == str(len(body)) and head.content == b""
    assert head.headers["ETag"] == etag


def test_ranges_and_conditional_reads(alice_client: Client) -> None:
    body = bytes(range(256)) * 100
    _put(alice_client, "/Files/data.bin", body)
    etag = alice_client.request("HEAD", "/Files/data.bin").headers["ETag"]

    ranged = alice_client.request("GET", "/Files/data.bin", headers={"Range": "bytes=1000-1999"})
    assert ranged.status_code == 206 and ranged.content == body[1000:2000]
    assert ranged.headers["Content-Range"] == f"bytes 1000-1999/{len(body)}"
    tail = alice_client.request("GET", "/Files/data.bin", headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == body[-10:]

    same = alice_client.request("GET", "/Files/data.bin", headers={"Range": "bytes=0-9", "If-Range": etag})
    assert same.status_code == 206 and same.content == body[:10]
    changed = alice_client.request("GET", "/Files/data.bin", headers={"Range": "bytes=0-9", "If-Range": '"other"'})
    assert changed.status_code == 200 and changed.content == body

    assert alice_client.request("GET", "/Files/data.bin", headers={"If-None-Match": etag}).status_code == 304
    later = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    assert alice_client.request("GET", "/Files/data.bin", headers={"If-Modified-Since": later}).status_code == 304
    earlier = format_datetime(datetime.now(UTC) - timedelta(days=1), usegmt=True)
    assert alice_client.request("GET", "/Files/data.bin", headers={"If-Modified-Since": earlier}).status_code == 200
    assert alice_client.request("GET", "/Files/data.bin", headers={"If-Match": '"stale"'}).status_code == 412


def test_propfind_depth_1_lists_folders_and_files_with_sizes(alice_client: Client) -> None:
    assert alice_client.request("MKCOL", "/Files/Holiday").status_code == 201
    _put(alice_client, "/Files/Holiday/beach.png", b"p" * 1234)
    _put(alice_client, "/Files/readme.txt", b"hello")
    listing = propfind(alice_client, "/Files/")
    assert set(listing) == {"/Files/", "/Files/Holiday/", "/Files/readme.txt"}
    assert listing["/Files/readme.txt"].findtext(".//{DAV:}getcontentlength") == "5"
    assert listing["/Files/Holiday/"].find(".//{DAV:}resourcetype/{DAV:}collection") is not None
    inner = propfind(alice_client, "/Files/Holiday/beach.png", depth="0")
    assert inner["/Files/Holiday/beach.png"].findtext(".//{DAV:}getcontentlength") == "1234"


# --- writing -----------------------------------------------------------------


def test_overwriting_switches_to_the_new_content_and_changes_the_etag(alice_client: Client) -> None:
    assert _put(alice_client, "/Files/a.txt", b"first") == 201
    first = alice_client.request("HEAD", "/Files/a.txt").headers["ETag"]
    assert _put(alice_client, "/Files/a.txt", b"second version") == 204
    response = alice_client.request("GET", "/Files/a.txt")
    assert response.content == b"second version"
    assert response.headers["ETag"] != first


def test_chunked_put_and_finders_expected_entity_length(alice_client: Client, blob_root: Path) -> None:
    body = os.urandom(3 * 1024 * 1024 + 17)
    assert _put(alice_client, "/Files/chunked.bin", _chunks(body)) == 201
    assert alice_client.request("GET", "/Files/chunked.bin").content == body

    finder = alice_client.request("PUT", "/Files/finder.bin", data=_chunks(body),
                                  headers={"X-Expected-Entity-Length": str(len(body))})
    assert finder.status_code == 201
    assert alice_client.request("GET", "/Files/finder.bin").content == body

    stored = blob_bytes(blob_root)
    short = alice_client.request("PUT", "/Files/short.bin", data=_chunks(body[:1000]),
                                 headers={"X-Expected-Entity-Length": str(len(body))})
    assert short.status_code == 400
    assert alice_client.request("HEAD", "/Files/short.bin").status_code == 404
    assert blob_bytes(blob_root) == stored


def test_a_stale_if_match_loses_and_the_newer_content_stays(alice_client: Client) -> None:
    _put(alice_client, "/Files/doc.txt", b"v1")
    v1 = alice_client.request("HEAD", "/Files/doc.txt").headers["ETag"]
    assert _put(alice_client, "/Files/doc.txt", b"v2 by someone else", **{"If-Match": v1}) == 204
    assert _put(alice_client, "/Files/doc.txt", b"v3 lost update", **{"If-Match": v1}) == 412
    assert alice_client.request("GET", "/Files/doc.txt").content == b"v2 by someone else"
    assert _put(alice_client, "/Files/doc.txt", b"never", **{"If-None-Match": "*"}) == 412


def test_concurrent_create_if_none_match_lets_exactly_one_win(alice_client: Client) -> None:
    statuses: list[int] = []
    bodies = [f"writer {number}".encode() * 50_000 for number in range(6)]

    def create(body: bytes) -> None:
        statuses.append(_put(alice_client, "/Files/race.txt", body, **{"If-None-Match": "*"}))

    threads = [threading.Thread(target=create, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] + [412] * 5
    assert alice_client.request("GET", "/Files/race.txt").content in bodies


def test_put_into_a_missing_folder_is_a_409_and_stores_nothing(
        alice_client: Client, database: Database, blob_root: Path) -> None:
    files = _count_rows(database, "files")
    assert _put(alice_client, "/Files/nowhere/x.txt", b"data") == 409
    assert _count_rows(database, "files") == files
    assert blob_files(blob_root) == []


def test_mkcol_on_an_existing_name_is_405_and_with_a_body_415(alice_client: Client) -> None:
    assert alice_client.request("MKCOL", "/Files/Music").status_code == 201
    assert alice_client.request("MKCOL", "/Files/Music").status_code == 405
    _put(alice_client, "/Files/song.mp3", b"ID3")
    assert alice_client.request("MKCOL", "/Files/song.mp3").status_code == 405
    assert alice_client.request("MKCOL", "/Files/Other", data=b"<x/>",
                                headers={"Content-Type": "text/xml"}).status_code == 415
    assert alice_client.request("PROPFIND", "/Files/Other", headers={"Depth": "0"}).status_code == 404


def test_deleting_a_folder_removes_everything_below_it(alice_client: Client, database: Database) -> None:
    alice_client.request("MKCOL", "/Files/Old")
    alice_client.request("MKCOL", "/Files/Old/Inner")
    _put(alice_client, "/Files/Old/Inner/deep.txt", b"deep")
    _put(alice_client, "/Files/keep.txt", b"keep")
    assert alice_client.request("DELETE", "/Files/Old").status_code == 204
    for path in ("/Files/Old", "/Files/Old/Inner", "/Files/Old/Inner/deep.txt"):
        assert alice_client.request("PROPFIND", path, headers={"Depth": "0"}).status_code == 404
    assert _count_rows(database, "files") == 1
    assert alice_client.request("GET", "/Files/keep.txt").content == b"keep"


# --- COPY and MOVE -------------------------------------------------------------


def test_copy_makes_new_rows_over_the_same_blobs(alice_client: Client, blob_root: Path) -> None:
    alice_client.request("MKCOL", "/Files/Album")
    alice_client.request("MKCOL", "/Files/Album/Sub")
    _put(alice_client, "/Files/Album/one.jpg", os.urandom(50_000))
    _put(alice_client, "/Files/Album/Sub/two.jpg", os.urandom(70_000))
    alice_client.request("PROPPATCH", "/Files/Album/one.jpg", data=_proppatch("rating", "5"))
    stored = sorted(blob_files(blob_root))

    base = alice_client.base_url.rstrip("/")
    copied = alice_client.request("COPY", "/Files/Album", headers={"Destination": base + "/Files/Copy"})
    assert copied.status_code == 201
    assert sorted(blob_files(blob_root)) == stored
    for name in ("one.jpg", "Sub/two.jpg"):
        assert (alice_client.request("GET", f"/Files/Copy/{name}").content
                == alice_client.request("GET", f"/Files/Album/{name}").content)
    assert _dead_property(alice_client, "/Files/Copy/one.jpg", "rating") == "5"

    # Changing the copy leaves the original alone.
    _put(alice_client, "/Files/Copy/one.jpg", b"replaced in the copy")
    assert alice_client.request("GET", "/Files/Album/one.jpg").content != b"replaced in the copy"
    again = alice_client.request("COPY", "/Files/Album/one.jpg", headers={"Destination": base + "/Files/Copy/one.jpg"})
    assert again.status_code == 204


@pytest.mark.slow
def test_copying_a_200_mib_file_adds_no_bytes_to_the_blob_root(alice_client: Client, blob_root: Path) -> None:
    block = os.urandom(1024 * 1024)
    assert _put(alice_client, "/Files/big.mkv", (block for _ in range(200))) == 201
    stored = blob_bytes(blob_root)
    assert stored == 200 * 1024 * 1024
    base = alice_client.base_url.rstrip("/")
    copied = alice_client.request("COPY", "/Files/big.mkv", headers={"Destination": base + "/Files/copy.mkv"})
    assert copied.status_code == 201
    assert blob_bytes(blob_root) == stored
    head = alice_client.request("HEAD", "/Files/copy.mkv")
    assert head.headers["Content-Length"] == str(200 * 1024 * 1024)


def test_copy_and_move_with_overwrite_f_onto_an_existing_target_is_412(alice_client: Client) -> None:
    base = alice_client.base_url.rstrip("/")
    _put(alice_client, "/Files/source.txt", b"source")
    _put(alice_client, "/Files/target.txt", b"target")
    for method in ("COPY", "MOVE"):
        response = alice_client.request(method, "/Files/source.txt",
                                        headers={"Destination": base + "/Files/target.txt", "Overwrite": "F"})
        assert response.status_code == 412
    assert alice_client.request("GET", "/Files/target.txt").content == b"target"
    assert alice_client.request("GET", "/Files/source.txt").content == b"source"


def test_move_renames_a_folder_with_its_contents(alice_client: Client) -> None:
    base = alice_client.base_url.rstrip("/")
    alice_client.request("MKCOL", "/Files/Before")
    _put(alice_client, "/Files/Before/file.txt", b"content")
    alice_client.request("MKCOL", "/Files/Elsewhere")
    moved = alice_client.request("MOVE", "/Files/Before", headers={"Destination": base + "/Files/Elsewhere/After"})
    assert moved.status_code == 201
    assert alice_client.request("GET", "/Files/Elsewhere/After/file.txt").content == b"content"
    assert alice_client.request("PROPFIND", "/Files/Before", headers={"Depth": "0"}).status_code == 404


@pytest.mark.parametrize("members", [5, 300])
def test_move_and_copy_of_a_folder_cost_the_same_statements_whatever_its_size(
        alice_client: Client, database: Database, members: int, request: pytest.FixtureRequest) -> None:
    alice_client.request("MKCOL", "/Files/Big")
    alice_client.request("MKCOL", "/Files/Big/Nested")
    for number in range(members):
        _put(alice_client, f"/Files/Big/Nested/f{number}.txt", f"{number}".encode())
    base = alice_client.base_url.rstrip("/")

    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        statements.append(statement)

    sa.event.listen(database.engine, "before_cursor_execute", count)
    try:
        assert alice_client.request("MOVE", "/Files/Big",
                                    headers={"Destination": base + "/Files/Moved"}).status_code == 201
        moved = len(statements)
        assert alice_client.request("COPY", "/Files/Moved",
                                    headers={"Destination": base + "/Files/Copied"}).status_code == 201
        copied = len(statements) - moved
    finally:
        sa.event.remove(database.engine, "before_cursor_execute", count)
    assert len(propfind(alice_client, "/Files/Copied/Nested/")) == members + 1
    # Identical counts for 5 and 300 members: recorded on the first run, compared on the second.
    cache = request.config.stash.setdefault(_STATEMENT_COUNTS, {})  # type: ignore[arg-type]
    cache[members] = (moved, copied)
    if len(cache) == 2:
        assert cache[5] == cache[300], cache
    assert moved < 30 and copied < 30, (moved, copied)


_STATEMENT_COUNTS = pytest.StashKey[dict[int, tuple[int, int]]]()


def test_a_folder_cannot_move_or_copy_into_itself(alice_client: Client) -> None:
    base = alice_client.base_url.rstrip("/")
    alice_client.request("MKCOL", "/Files/Loop")
    alice_client.request("MKCOL", "/Files/Loop/Child")
    for method in ("MOVE", "COPY"):
        response = alice_client.request(method, "/Files/Loop", headers={"Destination": base + "/Files/Loop/Child/Loop"})
        assert response.status_code in (403, 409), (method, response.status_code)
    assert len(propfind(alice_client, "/Files/Loop/Child/")) == 1


def test_destinations_outside_files_or_on_another_host_are_refused(alice_client: Client) -> None:
    _put(alice_client, "/Files/stay.txt", b"stay")
    base = alice_client.base_url.rstrip("/")
    outside = alice_client.request("MOVE", "/Files/stay.txt", headers={"Destination": base + "/Albums/stay.txt"})
    assert outside.status_code == 403
    other_host = alice_client.request("COPY", "/Files/stay.txt",
                                      headers={"Destination": "http://elsewhere.example/Files/x.txt"})
    assert other_host.status_code == 502
    root = alice_client.request("MOVE", "/Files/stay.txt", headers={"Destination": base + "/Files"})
    assert root.status_code in (403, 409)
    assert alice_client.request("GET", "/Files/stay.txt").content == b"stay"


# --- properties ---------------------------------------------------------------


def _proppatch(name: str, value: str, *, remove: bool = False) -> bytes:
    action = (f"<D:remove><D:prop><Z:{name}/></D:prop></D:remove>" if remove
              else f"<D:set><D:prop><Z:{name}>{value}</Z:{name}></D:prop></D:set>")
    return (f'<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:example:test">'
            f"{action}</D:propertyupdate>").encode()


def _dead_property(client: Client, path: str, name: str) -> str | None:
    body = (f'<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:Z="urn:example:test">'
            f"<D:prop><Z:{name}/></D:prop></D:propfind>").encode()
    response = client.request("PROPFIND", path, data=body, headers={"Depth": "0"})
    assert response.status_code == 207
    import xml.etree.ElementTree as ET
    for propstat in ET.fromstring(response.content).iter("{DAV:}propstat"):
        if "200" in (propstat.findtext("{DAV:}status") or ""):
            return propstat.findtext(f".//{{urn:example:test}}{name}")
    return None


def test_dead_properties_are_kept_in_postgresql_and_follow_a_move(
        alice_client: Client, database: Database) -> None:
    _put(alice_client, "/Files/tagged.txt", b"x")
    assert alice_client.request("PROPPATCH", "/Files/tagged.txt", data=_proppatch("colour", "blue")).status_code == 207
    assert _dead_property(alice_client, "/Files/tagged.txt", "colour") == "blue"
    assert _count_rows(database, "dav_properties") == 1

    base = alice_client.base_url.rstrip("/")
    alice_client.request("MOVE", "/Files/tagged.txt", headers={"Destination": base + "/Files/renamed.txt"})
    assert _dead_property(alice_client, "/Files/renamed.txt", "colour") == "blue"
    alice_client.request("PROPPATCH", "/Files/renamed.txt", data=_proppatch("colour", "", remove=True))
    assert _dead_property(alice_client, "/Files/renamed.txt", "colour") is None
    assert _count_rows(database, "dav_properties") == 0


# --- deduplication and isolation -------------------------------------------------


def test_identical_content_is_stored_once_across_names_and_users(
        alice_client: Client, bob_client: Client, blob_root: Path) -> None:
    body = os.urandom(1024 * 1024)
    _put(alice_client, "/Files/one.bin", body)
    _put(alice_client, "/Files/two.bin", body)
    _put(bob_client, "/Files/bobs copy.bin", body)
    stored = blob_files(blob_root)
    assert len(stored) == 1
    assert stored[0].name == hashlib.sha256(body).hexdigest()
    assert bob_client.request("GET", "/Files/bobs copy.bin").content == body


def test_another_users_files_are_simply_not_there(alice_client: Client, bob_client: Client) -> None:
    alice_client.request("MKCOL", "/Files/Private")
    _put(alice_client, "/Files/Private/secret.txt", b"alice only")
    base = bob_client.base_url.rstrip("/")
    assert set(propfind(bob_client, "/Files/")) == {"/Files/"}
    for method, headers in (("GET", {}), ("HEAD", {}), ("DELETE", {}), ("PROPPATCH", {}),
                            ("MOVE", {"Destination": base + "/Files/stolen.txt"}),
                            ("COPY", {"Destination": base + "/Files/stolen.txt"}),
                            ("PROPFIND", {"Depth": "0"})):
        data = _proppatch("x", "y") if method == "PROPPATCH" else None
        response = bob_client.request(method, "/Files/Private/secret.txt", headers=headers, data=data)
        assert response.status_code == 404, (method, response.status_code)
    assert bob_client.request("PUT", "/Files/Private/secret.txt", data=b"bob").status_code == 409
    assert bob_client.request("GET", "/Files/stolen.txt").status_code == 404
    assert alice_client.request("GET", "/Files/Private/secret.txt").content == b"alice only"


def test_a_lock_on_one_users_path_does_not_touch_the_same_path_of_another(
        alice_client: Client, bob_client: Client) -> None:
    _put(alice_client, "/Files/shared-name.txt", b"alice")
    locked = alice_client.request("LOCK", "/Files/shared-name.txt", data=_LOCK_BODY, headers={"Timeout": "Second-60"})
    assert locked.status_code == 200
    assert _put(bob_client, "/Files/shared-name.txt", b"bob") == 201
    assert _put(alice_client, "/Files/shared-name.txt", b"alice without token") == 423
    lockdiscovery = propfind(bob_client, "/Files/shared-name.txt", depth="0")
    assert not list(lockdiscovery["/Files/shared-name.txt"].iter("{DAV:}activelock"))


_LOCK_BODY = (b'<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>'
              b"<D:locktype><D:write/></D:locktype><D:owner>test</D:owner></D:lockinfo>")


def _folder_of_copies(database: Database, blob_root: Path, name: str, count: int) -> None:
    """/Files/<name>/ holding ``count`` entries of one small content, written directly."""
    from mediavault_dav.blobs import LocalBlobStore
    from mediavault_dav.vault import tree

    writer = LocalBlobStore(blob_root).writer()
    writer.write(b"same")
    blob = writer.finish()
    with database.transaction() as session:
        user_id = session.execute(sa.text("SELECT id FROM users WHERE username = 'alice'")).scalar_one()
        root = tree.resolve(session, user_id, [])
        assert isinstance(root, tree.FolderEntry)
        folder = tree.create_folder(session, user_id, root.id, name)
        for number in range(count):
            tree.store_file(session, user_id, folder.id, f"n{number:04d}.txt", blob, mime_type="text/plain")


def test_listings_keep_the_connection_open_whole_or_streamed(alice_client: Client, gateway,  # noqa: ANN001
                                                              database: Database, blob_root: Path) -> None:
    _folder_of_copies(database, blob_root, "Few", 0)
    _folder_of_copies(database, blob_root, "Many", 1000)  # well over the 256 KiB sent whole
    host, port = gateway.server.bind_addr[:2]
    connection = http.client.HTTPConnection(host, port, timeout=30)
    credentials = base64.b64encode(f"{alice_client.auth[0]}:{alice_client.auth[1]}".encode()).decode()
    headers = {"Depth": "1", "Authorization": f"Basic {credentials}"}
    for path, framing in (("/Files/Few/", "Content-Length"), ("/Files/Many/", "Transfer-Encoding"),
                          ("/Files/Few/", "Content-Length")):
        connection.request("PROPFIND", path, headers=headers)
        response = connection.getresponse()
        assert response.status == 207 and response.getheader(framing) is not None
        assert b"</D:multistatus>" in response.read()
        assert response.getheader("Connection") is None and not response.will_close
        assert connection.sock is not None  # the same connection serves the next request
    connection.close()


def test_a_big_listing_is_streamed_not_built_whole(alice_client: Client, database: Database, blob_root: Path) -> None:
    _folder_of_copies(database, blob_root, "Many", 1500)
    response = alice_client.request("PROPFIND", "/Files/Many/", headers={"Depth": "1"}, stream=True)
    assert response.status_code == 207
    assert response.headers.get("Transfer-Encoding") == "chunked" and "Content-Length" not in response.headers
    import xml.etree.ElementTree as ET
    responses = ET.fromstring(response.raw.read(decode_content=True)).findall("{DAV:}response")
    assert len(responses) == 1501
    assert responses[-1].findtext(".//{DAV:}getcontentlength") == "4"


def test_propname_lists_names_without_values(alice_client: Client) -> None:
    _put(alice_client, "/Files/named.txt", b"abc")
    alice_client.request("PROPPATCH", "/Files/named.txt", data=_proppatch("mood", "calm"))
    body = b'<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>'
    response = alice_client.request("PROPFIND", "/Files/named.txt", data=body, headers={"Depth": "0"})
    assert response.status_code == 207
    import xml.etree.ElementTree as ET
    prop = ET.fromstring(response.content).find(".//{DAV:}prop")
    assert prop is not None
    tags = {child.tag for child in prop}
    assert {"{DAV:}getcontentlength", "{DAV:}getetag", "{urn:example:test}mood"} <= tags
    assert all(not (child.text or "").strip() and len(child) == 0 for child in prop)


def test_a_get_is_one_statement_and_a_new_put_seven(alice_client: Client, database: Database) -> None:
    """Resolve in one query. A PUT adds, on the same connection, the lock snapshot and
    the owner's quota and upload limits; then, in the committing transaction, the
    shared blob lock that keeps gc away between publishing and committing, the
    parent folder's lock, the write, and its audit-trail row."""
    alice_client.request("MKCOL", "/Files/Counted")
    _put(alice_client, "/Files/Counted/warm.txt", b"warm")
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if not statement.startswith("SELECT users."):  # the sign-in re-check, every 2 s, is not the request's
            statements.append(statement)

    def statements_for(method: str, path: str, **kwargs) -> int:  # noqa: ANN003
        statements.clear()
        response = alice_client.request(method, path, **kwargs)
        assert response.status_code in (200, 201), response.status_code
        return len(statements)

    sa.event.listen(database.engine, "before_cursor_execute", count)
    try:
        assert statements_for("GET", "/Files/Counted/warm.txt") == 1
        assert statements_for("PUT", "/Files/Counted/new.txt", data=b"new") == 7
    finally:
        sa.event.remove(database.engine, "before_cursor_execute", count)


def test_a_signed_in_users_html_or_svg_never_runs_in_the_gateways_origin(alice_client: Client) -> None:
    """A browser signed in with the session cookie could otherwise run a stored page's script."""
    page = b"<html><script>fetch('/Files/', {method: 'DELETE'})</script></html>"
    for name in ("page.html", "drawing.svg", "note.txt"):
        assert _put(alice_client, f"/Files/{name}", page) == 201
        response = alice_client.request("GET", f"/Files/{name}")
        assert response.status_code == 200 and response.content == page
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        policy = response.headers["Content-Security-Policy"]
        assert "sandbox" in policy and "script-src" not in policy and "default-src 'none'" in policy
