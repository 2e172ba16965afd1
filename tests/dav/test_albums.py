"""``/Albums/`` over HTTP: albums as folders of references to files in ``/Files/``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mediavault_dav.db.database import Database
from tests.dav.virtual_support import copy, count, move, mv_property, names, proppatch_mv, put
from tests.support import Client, blob_files, propfind

_LOCK_BODY = (b'<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>'
              b"<D:locktype><D:write/></D:locktype><D:owner>test</D:owner></D:lockinfo>")


@pytest.fixture
def trip(alice_client: Client) -> Client:
    """Alice with an album "Trip" and three photos in /Files/Photos/."""
    assert alice_client.request("MKCOL", "/Albums/Trip").status_code == 201
    assert alice_client.request("MKCOL", "/Files/Photos").status_code == 201
    for name in ("beach.jpg", "sunset.jpg", "hotel.jpg"):
        assert put(alice_client, f"/Files/Photos/{name}", name.encode() * 100) == 201
    return alice_client


def test_mkcol_creates_an_album_and_move_renames_it(alice_client: Client, database: Database) -> None:
    assert alice_client.request("MKCOL", "/Albums/Summer 2024").status_code == 201
    assert names(alice_client, "/Albums/") == ["Summer 2024"]
    assert alice_client.request("MKCOL", "/Albums/Summer 2024").status_code == 405
    renamed = move(alice_client, "/Albums/Summer 2024", "/Albums/Italy")
    assert renamed.status_code == 201
    assert names(alice_client, "/Albums/") == ["Italy"]
    assert alice_client.request("PROPFIND", "/Albums/Summer 2024", headers={"Depth": "0"}).status_code == 404
    assert count(database, "SELECT count(*) FROM albums") == 1


def test_copy_of_a_file_adds_it_without_copying_a_byte(trip: Client, database: Database, blob_root: Path) -> None:
    blobs, files = sorted(blob_files(blob_root)), count(database, "SELECT count(*) FROM files")
    added = copy(trip, "/Files/Photos/beach.jpg", "/Albums/Trip/beach.jpg")
    assert added.status_code == 201
    assert names(trip, "/Albums/Trip/") == ["beach.jpg"]
    assert sorted(blob_files(blob_root)) == blobs
    assert count(database, "SELECT count(*) FROM files") == files
    in_album = trip.request("GET", "/Albums/Trip/beach.jpg")
    in_files = trip.request("GET", "/Files/Photos/beach.jpg")
    assert in_album.content == in_files.content and in_album.headers["ETag"] == in_files.headers["ETag"]
    assert copy(trip, "/Files/Photos/beach.jpg", "/Albums/Trip/beach.jpg").status_code == 204  # already there


def test_deleting_a_member_removes_it_from_the_album_only(trip: Client) -> None:
    copy(trip, "/Files/Photos/beach.jpg", "/Albums/Trip/beach.jpg")
    copy(trip, "/Files/Photos/hotel.jpg", "/Albums/Trip/hotel.jpg")
    assert trip.request("DELETE", "/Albums/Trip/beach.jpg").status_code == 204
    assert names(trip, "/Albums/Trip/") == ["hotel.jpg"]
    assert trip.request("GET", "/Files/Photos/beach.jpg").content == b"beach.jpg" * 100


def test_deleting_an_album_keeps_its_files(trip: Client, database: Database) -> None:
    copy(trip, "/Files/Photos/beach.jpg", "/Albums/Trip/beach.jpg")
    assert trip.request("DELETE", "/Albums/Trip").status_code == 204
    assert names(trip, "/Albums/") == []
    assert count(database, "SELECT count(*) FROM album_files") == 0
    assert names(trip, "/Files/Photos/") == ["beach.jpg", "hotel.jpg", "sunset.jpg"]


def test_a_put_into_an_album_stores_the_file_in_files_albums_and_adds_it(trip: Client) -> None:
    body = os.urandom(20_000)
    assert put(trip, "/Albums/Trip/new photo.jpg", body) == 201
    assert names(trip, "/Albums/Trip/") == ["new photo.jpg"]
    assert trip.request("GET", "/Files/Albums/Trip/new photo.jpg").content == body
    assert trip.request("GET", "/Albums/Trip/new photo.jpg").content == body
    # A second upload reuses the folder.
    assert put(trip, "/Albums/Trip/second.jpg", b"2") == 201
    assert names(trip, "/Files/Albums/Trip/") == ["new photo.jpg", "second.jpg"]


def test_a_put_over_a_member_saves_the_file_itself(trip: Client) -> None:
    copy(trip, "/Files/Photos/sunset.jpg", "/Albums/Trip/sunset.jpg")
    assert put(trip, "/Albums/Trip/sunset.jpg", b"edited") == 204
    assert trip.request("GET", "/Files/Photos/sunset.jpg").content == b"edited"
    assert names(trip, "/Files/") == ["Photos"]  # nothing stored anywhere else


def test_same_names_get_distinct_names_that_resolve_back(trip: Client) -> None:
    for folder, body in (("/Files/A", b"first"), ("/Files/B", b"second")):
        trip.request("MKCOL", folder)
        put(trip, f"{folder}/IMG_0001.jpg", body)
    put(trip, "/Files/B/IMG_0001 (2).jpg", b"really named (2)")
    assert copy(trip, "/Files/A/IMG_0001.jpg", "/Albums/Trip/IMG_0001.jpg").status_code == 201
    assert copy(trip, "/Files/B/IMG_0001 (2).jpg", "/Albums/Trip/IMG_0001 (2).jpg").status_code == 201
    assert copy(trip, "/Files/B/IMG_0001.jpg", "/Albums/Trip/IMG_0001 (3).jpg").status_code == 201
    # The real "IMG_0001 (2).jpg" keeps its name; the second IMG_0001.jpg becomes (3).
    assert names(trip, "/Albums/Trip/") == ["IMG_0001 (2).jpg", "IMG_0001 (3).jpg", "IMG_0001.jpg"]
    assert trip.request("GET", "/Albums/Trip/IMG_0001.jpg").content == b"first"
    assert trip.request("GET", "/Albums/Trip/IMG_0001 (2).jpg").content == b"really named (2)"
    assert trip.request("GET", "/Albums/Trip/IMG_0001 (3).jpg").content == b"second"
    listing = propfind(trip, "/Albums/Trip/")
    assert listing["/Albums/Trip/IMG_0001 (3).jpg"].findtext(".//{DAV:}displayname") == "IMG_0001 (3).jpg"

    assert copy(trip, "/Albums/Trip/IMG_0001 (3).jpg", "/Files/copied.jpg").status_code == 201
    assert trip.request("GET", "/Files/copied.jpg").content == b"second"
    assert trip.request("DELETE", "/Albums/Trip/IMG_0001 (3).jpg").status_code == 204
    assert names(trip, "/Albums/Trip/") == ["IMG_0001 (2).jpg", "IMG_0001.jpg"]
    assert trip.request("GET", "/Files/B/IMG_0001.jpg").content == b"second"


def test_moving_a_member_to_another_album_moves_the_membership(trip: Client) -> None:
    trip.request("MKCOL", "/Albums/Best of")
    copy(trip, "/Files/Photos/beach.jpg", "/Albums/Trip/beach.jpg")
    assert move(trip, "/Albums/Trip/beach.jpg", "/Albums/Best of/beach.jpg").status_code == 201
    assert names(trip, "/Albums/Trip/") == []
    assert names(trip, "/Albums/Best of/") == ["beach.jpg"]
    assert names(trip, "/Files/Photos/") == ["beach.jpg", "hotel.jpg", "sunset.jpg"]


def test_a_lock_taken_through_an_album_protects_the_file_in_files(trip: Client) -> None:
    copy(trip, "/Files/Photos/beach.jpg", "/Albums/Trip/beach.jpg")
    locked = trip.request("LOCK", "/Albums/Trip/beach.jpg", data=_LOCK_BODY, headers={"Timeout": "Second-60"})
    assert locked.status_code == 200
    token = locked.headers["Lock-Token"]
    assert put(trip, "/Files/Photos/beach.jpg", b"no token") == 423
    assert put(trip, "/Files/Photos/beach.jpg", b"with token", If=f"({token})") == 204
    assert trip.request("UNLOCK", "/Files/Photos/beach.jpg", headers={"Lock-Token": token}).status_code == 204


def test_cover_and_positions_are_properties(trip: Client) -> None:
    for name in ("beach.jpg", "sunset.jpg", "hotel.jpg"):
        copy(trip, f"/Files/Photos/{name}", f"/Albums/Trip/{name}")
    assert proppatch_mv(trip, "/Albums/Trip/hotel.jpg", "position", "0").status_code == 207
    assert proppatch_mv(trip, "/Albums/Trip/sunset.jpg", "position", "1").status_code == 207
    hrefs = list(propfind(trip, "/Albums/Trip/"))
    assert hrefs[1:] == ["/Albums/Trip/hotel.jpg", "/Albums/Trip/sunset.jpg", "/Albums/Trip/beach.jpg"]
    position = mv_property(trip, "/Albums/Trip/sunset.jpg", "position")
    assert position is not None and position.text == "1"

    assert mv_property(trip, "/Albums/Trip", "cover") is None
    assert proppatch_mv(trip, "/Albums/Trip", "cover", "beach.jpg").status_code == 207
    cover = mv_property(trip, "/Albums/Trip/", "cover")
    assert cover is not None and cover.text == "beach.jpg"
    refused = proppatch_mv(trip, "/Albums/Trip", "cover", "not-in-album.jpg")
    assert refused.status_code == 207 and "403" in refused.text
    assert mv_property(trip, "/Albums/Trip/", "cover").text == "beach.jpg"  # type: ignore[union-attr]


def test_housekeeping_files_never_become_members(trip: Client, database: Database) -> None:
    put(trip, "/Files/Photos/.DS_Store", b"finder")
    refused = copy(trip, "/Files/Photos/.DS_Store", "/Albums/Trip/.DS_Store")
    assert refused.status_code == 403 and "housekeeping" in refused.text
    # Finder writes "._name" beside a photo it copies: stored so Finder works, never shown.
    assert put(trip, "/Albums/Trip/beach.jpg", b"photo") == 201
    assert put(trip, "/Albums/Trip/._beach.jpg", b"appledouble") == 201
    assert names(trip, "/Albums/Trip/") == ["beach.jpg"]
    assert trip.request("GET", "/Albums/Trip/._beach.jpg").content == b"appledouble"
    assert count(database, "SELECT count(*) FROM album_files") == 1
    assert trip.request("DELETE", "/Albums/Trip/._beach.jpg").status_code == 204
    assert names(trip, "/Files/Albums/Trip/") == ["beach.jpg"]


@pytest.mark.parametrize(("method", "path", "destination", "reason"), [
    ("MKCOL", "/Albums/Trip/Inner", None, "files, not folders"),
    ("PUT", "/Albums/loose.jpg", None, "only albums"),
    ("COPY", "/Files/Photos", "/Albums/Trip/Photos", "holds files, not folders"),
    ("COPY", "/Files/Photos/beach.jpg", "/Albums/Trip/other name.jpg", "keeps its own name"),
    ("COPY", "/Albums/Trip", "/Albums/Trip copy", "cannot be copied"),
    ("MOVE", "/Files/Photos/beach.jpg", "/Albums/Trip/beach.jpg", "inside /Files/"),
    ("MOVE", "/Albums/Trip/member.jpg", "/Albums/Trip/renamed.jpg", "rename it in /Files/"),
    ("MOVE", "/Albums/Trip/member.jpg", "/Files/moved.jpg", "only into another album or tag"),
    ("MOVE", "/Albums/Trip", "/Files/Trip", "only be renamed within /Albums/"),
])
def test_unsupported_writes_are_403_with_a_reason_and_change_nothing(
        trip: Client, database: Database, method: str, path: str, destination: str | None, reason: str) -> None:
    assert put(trip, "/Albums/Trip/member.jpg", b"member") == 201
    snapshot = _state(database)
    if destination is None:
        response = trip.request(method, path, data=b"x" if method == "PUT" else None)
    else:
        response = (copy if method == "COPY" else move)(trip, path, destination)
    assert response.status_code == 403, (response.status_code, response.text[:300])
    assert reason in response.text
    assert _state(database) == snapshot


def _state(database: Database) -> tuple[int, ...]:
    return tuple(count(database, f"SELECT count(*) FROM {table}")
                 for table in ("albums", "album_files", "files", "folders", "tags", "file_tags"))


def test_another_users_albums_are_not_there(trip: Client, bob_client: Client) -> None:
    put(trip, "/Albums/Trip/private.jpg", b"alice")
    assert bob_client.request("PROPFIND", "/Albums/Trip", headers={"Depth": "0"}).status_code == 404
    assert bob_client.request("GET", "/Albums/Trip/private.jpg").status_code == 404
    assert names(bob_client, "/Albums/") == []
    put(bob_client, "/Files/bob.jpg", b"bob")
    assert copy(bob_client, "/Files/bob.jpg", "/Albums/Trip/bob.jpg").status_code in (403, 409)
    assert names(trip, "/Albums/Trip/") == ["private.jpg"]


def test_explorers_create_sequence_works_in_an_album(trip: Client) -> None:
    """Empty PUT, LOCK, PROPPATCH of Win32 times, PUT with the token, UNLOCK."""
    assert put(trip, "/Albums/Trip/dragged.jpg", b"") == 201
    locked = trip.request("LOCK", "/Albums/Trip/dragged.jpg", data=_LOCK_BODY, headers={"Timeout": "Second-3600"})
    assert locked.status_code == 200
    token = locked.headers["Lock-Token"]
    win32 = (b'<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:">'
             b"<D:set><D:prop><Z:Win32CreationTime>Thu, 26 Nov 2026 10:00:00 GMT</Z:Win32CreationTime>"
             b"</D:prop></D:set></D:propertyupdate>")
    patched = trip.request("PROPPATCH", "/Albums/Trip/dragged.jpg", data=win32, headers={"If": f"({token})"})
    assert patched.status_code == 207 and "200 OK" in patched.text
    assert put(trip, "/Albums/Trip/dragged.jpg", b"the photo", If=f"({token})") == 204
    assert trip.request("UNLOCK", "/Albums/Trip/dragged.jpg", headers={"Lock-Token": token}).status_code == 204
    assert trip.request("GET", "/Files/Albums/Trip/dragged.jpg").content == b"the photo"
    assert names(trip, "/Albums/Trip/") == ["dragged.jpg"]


def test_lock_on_a_new_name_in_an_album_creates_an_empty_member(trip: Client) -> None:
    locked = trip.request("LOCK", "/Albums/Trip/reserved.jpg", data=_LOCK_BODY, headers={"Timeout": "Second-60"})
    assert locked.status_code == 201
    assert names(trip, "/Albums/Trip/") == ["reserved.jpg"]
    assert trip.request("GET", "/Files/Albums/Trip/reserved.jpg").content == b""


def test_the_browser_listing_of_an_album_works(trip: Client) -> None:
    copy(trip, "/Files/Photos/beach.jpg", "/Albums/Trip/beach.jpg")
    page = trip.request("GET", "/Albums/Trip/")
    assert page.status_code == 200 and "beach.jpg" in page.text
