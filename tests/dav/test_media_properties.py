"""Media metadata read after uploads, and MediaVault's DAV properties of a file."""

from __future__ import annotations

import hashlib
import time
import xml.etree.ElementTree as ET

import sqlalchemy as sa

from mediavault_dav.db.database import Database
from tests import media_samples
from tests.dav.virtual_support import MV, count, mv_property, proppatch_mv, put
from tests.support import Client


def _eventually(client: Client, path: str, name: str, timeout: float = 15) -> ET.Element:
    """The property once the background reader has stored it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = mv_property(client, path, name)
        if found is not None:
            return found
        time.sleep(0.05)
    raise AssertionError(f"{name} of {path} never appeared")


def test_image_dimensions_are_read_after_the_upload(alice_client: Client) -> None:
    assert put(alice_client, "/Files/photo.png", media_samples.png(64, 48)) == 201
    assert _eventually(alice_client, "/Files/photo.png", "width").text == "64"
    assert mv_property(alice_client, "/Files/photo.png", "height").text == "48"  # type: ignore[union-attr]
    assert mv_property(alice_client, "/Files/photo.png", "category").text == "Images"  # type: ignore[union-attr]


def test_audio_length_title_and_artist_are_read(alice_client: Client) -> None:
    song = media_samples.wav(3.25, title="Blue in Green", artist="Miles Davis")
    assert put(alice_client, "/Files/song.wav", song) == 201
    assert _eventually(alice_client, "/Files/song.wav", "duration").text == "3.25"
    assert mv_property(alice_client, "/Files/song.wav", "title").text == "Blue in Green"  # type: ignore[union-attr]
    assert mv_property(alice_client, "/Files/song.wav", "artist").text == "Miles Davis"  # type: ignore[union-attr]
    assert mv_property(alice_client, "/Files/song.wav", "category").text == "Audio"  # type: ignore[union-attr]


def test_video_lengths_from_matroska_and_mp4(alice_client: Client) -> None:
    assert put(alice_client, "/Files/film.mkv", media_samples.mkv(5400.5)) == 201
    assert put(alice_client, "/Files/clip.mp4", media_samples.mp4(12.25)) == 201
    assert _eventually(alice_client, "/Files/film.mkv", "duration").text == "5400.5"
    assert mv_property(alice_client, "/Files/film.mkv", "title").text == "A film"  # type: ignore[union-attr]
    assert _eventually(alice_client, "/Files/clip.mp4", "duration").text == "12.25"


def test_an_unreadable_media_file_is_still_stored(alice_client: Client, database: Database) -> None:
    junk = b"this is not a JPEG at all" * 100
    assert put(alice_client, "/Files/broken.jpg", junk) == 201
    assert alice_client.request("GET", "/Files/broken.jpg").content == junk
    deadline = time.monotonic() + 15
    while count(database, "SELECT count(*) FROM media_files WHERE metadata_read_at IS NOT NULL") == 0:
        assert time.monotonic() < deadline, "the reader never looked at the file"
        time.sleep(0.05)
    assert mv_property(alice_client, "/Files/broken.jpg", "width") is None


def test_sha256_and_properties_are_only_given_when_asked_for(alice_client: Client) -> None:
    body = b"some text"
    put(alice_client, "/Files/notes.txt", body)
    assert mv_property(alice_client, "/Files/notes.txt", "sha256").text == hashlib.sha256(body).hexdigest()  # type: ignore[union-attr]
    assert mv_property(alice_client, "/Files/notes.txt", "category").text == "Documents"  # type: ignore[union-attr]
    allprop = alice_client.request("PROPFIND", "/Files/notes.txt", headers={"Depth": "0"})
    assert allprop.status_code == 207 and MV not in allprop.text


def test_proppatch_of_tags_sets_the_files_tags(alice_client: Client, database: Database) -> None:
    put(alice_client, "/Files/beach.jpg", b"jpg")
    tags = "<mv:tag>holiday</mv:tag><mv:tag>sea</mv:tag>"
    assert proppatch_mv(alice_client, "/Files/beach.jpg", "tags", tags).status_code == 207
    shown = mv_property(alice_client, "/Files/beach.jpg", "tags")
    assert shown is not None and [tag.text for tag in shown] == ["holiday", "sea"]
    listing = alice_client.request("PROPFIND", "/Tags/", headers={"Depth": "1"}).text
    assert "/Tags/holiday/" in listing and "/Tags/sea/" in listing
    assert alice_client.request("GET", "/Tags/sea/beach.jpg").content == b"jpg"

    assert proppatch_mv(alice_client, "/Files/beach.jpg", "tags", "sea").status_code == 207
    assert [tag.text for tag in mv_property(alice_client, "/Files/beach.jpg", "tags")] == ["sea"]  # type: ignore[union-attr]
    assert proppatch_mv(alice_client, "/Files/beach.jpg", "tags", "", remove=True).status_code == 207
    assert list(mv_property(alice_client, "/Files/beach.jpg", "tags")) == []  # type: ignore[arg-type]
    assert count(database, "SELECT count(*) FROM file_tags") == 0
    readonly = proppatch_mv(alice_client, "/Files/beach.jpg", "sha256", "0" * 64)
    assert readonly.status_code == 207 and "403" in readonly.text


def test_a_listing_asking_for_media_properties_costs_the_same_for_5_and_60_files(
        alice_client: Client, database: Database) -> None:
    body = ('<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:mv="urn:mediavault:props"><D:prop>'
            "<D:getcontentlength/><mv:sha256/><mv:tags/><mv:width/><mv:category/></D:prop></D:propfind>")
    costs = []
    for size in (5, 60):
        folder = f"/Files/F{size}"
        alice_client.request("MKCOL", folder)
        for number in range(size):
            put(alice_client, f"{folder}/{number}.txt", f"{number}".encode())
        proppatch_mv(alice_client, f"{folder}/0.txt", "tags", "<mv:tag>x</mv:tag>")
        statements: list[str] = []

        def counted(conn, cursor, statement, parameters, context, executemany,  # noqa: ANN001
                    statements: list[str] = statements) -> None:
            if "FROM users" not in statement:
                statements.append(statement)

        sa.event.listen(database.engine, "before_cursor_execute", counted)
        try:
            response = alice_client.request("PROPFIND", folder + "/", data=body, headers={"Depth": "1"})
        finally:
            sa.event.remove(database.engine, "before_cursor_execute", counted)
        assert response.status_code == 207
        tagged = [tag for tag in ET.fromstring(response.content).iter(f"{{{MV}}}tag") if tag.text == "x"]
        assert len(tagged) == 1
        costs.append(len(statements))
    assert costs[0] == costs[1], costs
