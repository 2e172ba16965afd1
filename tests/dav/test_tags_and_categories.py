"""``/Tags/`` and ``/Categories/`` over HTTP."""

from __future__ import annotations

import pytest

from mediavault_dav.db.database import Database
from tests import media_samples
from tests.dav.virtual_support import copy, count, move, names, put
from tests.support import Client


@pytest.fixture
def files(alice_client: Client) -> Client:
    alice_client.request("MKCOL", "/Files/Docs")
    put(alice_client, "/Files/Docs/report.pdf", b"%PDF-1.4 report")
    put(alice_client, "/Files/Docs/photo.png", media_samples.png(8, 8))
    put(alice_client, "/Files/Docs/song.wav", media_samples.wav(0.5))
    put(alice_client, "/Files/Docs/data.xyz", b"unknown kind")
    return alice_client


# --- tags ------------------------------------------------------------------------


def test_mkcol_creates_a_tag_and_copy_tags_a_file(files: Client, database: Database) -> None:
    assert files.request("MKCOL", "/Tags/important").status_code == 201
    assert names(files, "/Tags/") == ["important"]
    assert copy(files, "/Files/Docs/report.pdf", "/Tags/important/report.pdf").status_code == 201
    assert names(files, "/Tags/important/") == ["report.pdf"]
    assert files.request("GET", "/Tags/important/report.pdf").content == b"%PDF-1.4 report"
    assert count(database, "SELECT count(*) FROM file_tags") == 1


def test_delete_inside_a_tag_untags_and_delete_of_the_tag_keeps_files(files: Client, database: Database) -> None:
    files.request("MKCOL", "/Tags/work")
    copy(files, "/Files/Docs/report.pdf", "/Tags/work/report.pdf")
    copy(files, "/Files/Docs/photo.png", "/Tags/work/photo.png")
    assert files.request("DELETE", "/Tags/work/report.pdf").status_code == 204
    assert names(files, "/Tags/work/") == ["photo.png"]
    assert files.request("DELETE", "/Tags/work").status_code == 204
    assert names(files, "/Tags/") == []
    assert names(files, "/Files/Docs/") == ["data.xyz", "photo.png", "report.pdf", "song.wav"]
    assert count(database, "SELECT count(*) FROM file_tags") == 0


def test_a_tag_is_renamed_by_move_and_a_member_moves_to_another_tag(files: Client) -> None:
    files.request("MKCOL", "/Tags/todo")
    files.request("MKCOL", "/Tags/done")
    copy(files, "/Files/Docs/report.pdf", "/Tags/todo/report.pdf")
    assert move(files, "/Tags/todo/report.pdf", "/Tags/done/report.pdf").status_code == 201
    assert names(files, "/Tags/todo/") == [] and names(files, "/Tags/done/") == ["report.pdf"]
    assert move(files, "/Tags/done", "/Tags/finished").status_code == 201
    assert names(files, "/Tags/") == ["finished", "todo"]


def test_tags_refuse_uploads_and_folders_and_change_nothing(files: Client, database: Database) -> None:
    files.request("MKCOL", "/Tags/work")
    before = (count(database, "SELECT count(*) FROM files"), count(database, "SELECT count(*) FROM tags"))
    upload = files.request("PUT", "/Tags/work/new.txt", data=b"new")
    assert upload.status_code == 403 and "copy a file here to tag it" in upload.text
    assert files.request("MKCOL", "/Tags/work/sub").status_code == 403
    assert files.request("PUT", "/Tags/loose.txt", data=b"x").status_code == 403
    assert (count(database, "SELECT count(*) FROM files"), count(database, "SELECT count(*) FROM tags")) == before


# --- categories --------------------------------------------------------------------


def test_uploads_are_listed_by_the_category_of_their_content_type(files: Client) -> None:
    assert names(files, "/Categories/") == ["Archives", "Audio", "Documents", "Images", "Videos"]
    assert names(files, "/Categories/Images/") == ["photo.png"]
    assert names(files, "/Categories/Audio/") == ["song.wav"]
    assert names(files, "/Categories/Documents/") == ["report.pdf"]
    assert names(files, "/Categories/Videos/") == []
    assert files.request("GET", "/Categories/Images/photo.png").content == media_samples.png(8, 8)
    # A file that arrives later is there at once.
    put(files, "/Files/clip.mkv", media_samples.mkv(3))
    assert names(files, "/Categories/Videos/") == ["clip.mkv"]


@pytest.mark.parametrize(("method", "path", "destination"), [
    ("PUT", "/Categories/Images/new.png", None),
    ("MKCOL", "/Categories/Maps", None),
    ("DELETE", "/Categories/Images/photo.png", None),
    ("DELETE", "/Categories/Images", None),
    ("COPY", "/Files/Docs/report.pdf", "/Categories/Images/report.pdf"),
    ("MOVE", "/Categories/Images/photo.png", "/Categories/Audio/photo.png"),
    ("PROPPATCH", "/Categories/Images/photo.png", None),
])
def test_categories_are_read_only(files: Client, database: Database, method: str, path: str,
                                  destination: str | None) -> None:
    before = [count(database, f"SELECT count(*) FROM {table}") for table in ("files", "categories", "dav_properties")]
    headers = {"Destination": files.base_url.rstrip("/") + destination} if destination else {}
    body = (b'<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>'
            b"<D:displayname>x</D:displayname></D:prop></D:set></D:propertyupdate>") if method == "PROPPATCH" \
        else (b"x" if method == "PUT" else None)
    response = files.request(method, path, headers=headers, data=body)
    if method == "PROPPATCH":  # a 207 whose every property is refused (RFC 4918 9.2)
        assert response.status_code == 207 and "403 Forbidden" in response.text and "200 OK" not in response.text
    else:
        assert response.status_code == 403, (response.status_code, response.text[:300])
        assert "read-only" in response.text
    after = [count(database, f"SELECT count(*) FROM {table}") for table in ("files", "categories", "dav_properties")]
    assert after == before
    assert names(files, "/Categories/Images/") == ["photo.png"]
