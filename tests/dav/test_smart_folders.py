"""``/Smart Folders/`` over HTTP: live, read-only results of saved rules."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
import sqlalchemy as sa

from mediavault_dav.db.database import Database
from mediavault_dav.vault import smart_folders
from mediavault_dav.vault.users import Account
from tests import media_samples
from tests.dav.virtual_support import copy, count, move, names, proppatch_mv, put
from tests.support import Client


def _smart_folder(database: Database, user: Account, name: str, rules: dict[str, Any]) -> None:
    with database.transaction() as session:
        smart_folders.create_smart_folder(session, user.id, name, rules)


@pytest.fixture
def library(alice_client: Client, alice: Account) -> Client:
    for folder in ("/Files/Photos", "/Files/Photos/2024", "/Files/Archive"):
        alice_client.request("MKCOL", folder)
    put(alice_client, "/Files/Photos/2024/beach.jpg", media_samples.png(10, 10))  # (a PNG body; .jpg name)
    put(alice_client, "/Files/Photos/2024/big.png", media_samples.png(2000, 1500))
    put(alice_client, "/Files/Photos/notes.txt", b"text " * 1000)
    put(alice_client, "/Files/Archive/old.jpg", b"old jpeg")
    put(alice_client, "/Files/Photos/.DS_Store", b"finder")
    put(alice_client, "/Files/Photos/._beach.jpg", b"appledouble")
    return alice_client


def test_a_smart_folder_shows_the_live_result_of_its_rules(
        library: Client, database: Database, alice: Account) -> None:
    _smart_folder(database, alice, "Recent photos", {"all": [
        {"extension": ["jpg", "png"]}, {"modified": {"within": "1d"}}, {"not": {"folder": "/Archive"}}]})
    assert names(library, "/Smart Folders/") == ["Recent photos"]
    assert names(library, "/Smart Folders/Recent photos/") == ["beach.jpg", "big.png"]
    assert library.request("GET", "/Smart Folders/Recent photos/big.png").content == media_samples.png(2000, 1500)
    # Uploaded a moment ago: there at once. Deleted or renamed in /Files/: gone or renamed at once.
    put(library, "/Files/Photos/new.jpg", b"new")
    assert names(library, "/Smart Folders/Recent photos/") == ["beach.jpg", "big.png", "new.jpg"]
    library.request("DELETE", "/Files/Photos/new.jpg")
    move(library, "/Files/Photos/2024/beach.jpg", "/Files/Photos/2024/shore.jpg")
    assert names(library, "/Smart Folders/Recent photos/") == ["big.png", "shore.jpg"]


def test_rules_on_tags_categories_size_names_and_albums(library: Client, database: Database, alice: Account) -> None:
    library.request("MKCOL", "/Albums/Best")
    copy(library, "/Files/Archive/old.jpg", "/Albums/Best/old.jpg")
    proppatch_mv(library, "/Files/Photos/notes.txt", "tags", "<mv:tag>keep</mv:tag><mv:tag>work</mv:tag>")
    proppatch_mv(library, "/Files/Photos/2024/big.png", "tags", "<mv:tag>keep</mv:tag>")
    cases = {
        "keep and work": {"tags": ["keep", "work"]},
        "keep not work": {"tags": {"all": ["keep"], "none": ["work"]}},
        "images": {"category": "images"},
        "small": {"size": {"max": "1 KB"}},
        "in best": {"album": "Best"},
        "named b": {"name": "B*"},
        "photos only here": {"folder": {"in": "/Photos"}},
        "mime": {"mime": "text/*"},
    }
    for name, rules in cases.items():
        _smart_folder(database, alice, name, rules)
    assert names(library, "/Smart Folders/keep and work/") == ["notes.txt"]
    assert names(library, "/Smart Folders/keep not work/") == ["big.png"]
    assert names(library, "/Smart Folders/images/") == ["beach.jpg", "big.png", "old.jpg"]
    assert names(library, "/Smart Folders/small/") == ["beach.jpg", "old.jpg"]
    assert names(library, "/Smart Folders/in best/") == ["old.jpg"]
    assert names(library, "/Smart Folders/named b/") == ["beach.jpg", "big.png"]
    assert names(library, "/Smart Folders/photos only here/") == ["notes.txt"]  # never .DS_Store or ._*
    assert names(library, "/Smart Folders/mime/") == ["notes.txt"]


def test_media_metadata_rules(library: Client, database: Database, alice: Account) -> None:
    import time

    put(library, "/Files/song.wav", media_samples.wav(3))
    _smart_folder(database, alice, "wide", {"width": {"min": 1920}})
    _smart_folder(database, alice, "short audio", {"duration": {"max": "10s"}})
    deadline = time.monotonic() + 15
    while names(library, "/Smart Folders/short audio/") != ["song.wav"] or \
            names(library, "/Smart Folders/wide/") != ["big.png"]:
        assert time.monotonic() < deadline, "metadata never arrived"
        time.sleep(0.05)


@pytest.mark.parametrize(("method", "path", "destination"), [
    ("PUT", "/Smart Folders/jpgs/new.jpg", None),
    ("PUT", "/Smart Folders/jpgs/old.jpg", None),
    ("DELETE", "/Smart Folders/jpgs/old.jpg", None),
    ("DELETE", "/Smart Folders/jpgs", None),
    ("MKCOL", "/Smart Folders/jpgs/sub", None),
    ("MKCOL", "/Smart Folders/new", None),
    ("PUT", "/Smart Folders/loose.jpg", None),
    ("COPY", "/Files/Photos/notes.txt", "/Smart Folders/jpgs/notes.txt"),
    ("MOVE", "/Smart Folders/jpgs/old.jpg", "/Smart Folders/jpgs/renamed.jpg"),
    ("MOVE", "/Smart Folders/jpgs", "/Smart Folders/renamed"),
    ("LOCK", "/Smart Folders/jpgs/old.jpg", None),
])
def test_smart_folders_are_read_only_over_dav(library: Client, database: Database, alice: Account,
                                              method: str, path: str, destination: str | None) -> None:
    _smart_folder(database, alice, "jpgs", {"extension": "jpg"})
    snapshot = [count(database, f"SELECT count(*) FROM {table}")
                for table in ("files", "smart_folders", "dav_locks", "folders")]
    headers = {"Destination": library.base_url.rstrip("/") + destination} if destination else {}
    data = b"x" if method == "PUT" else None
    if method == "LOCK":
        data = (b'<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>'
                b"<D:locktype><D:write/></D:locktype></D:lockinfo>")
    response = library.request(method, path, headers=headers, data=data)
    assert response.status_code == 403, (response.status_code, response.text[:300])
    if method != "LOCK":
        assert "smart-folder" in response.text
    assert snapshot == [count(database, f"SELECT count(*) FROM {table}")
                        for table in ("files", "smart_folders", "dav_locks", "folders")]
    assert library.request("GET", "/Files/Archive/old.jpg").content == b"old jpeg"


def _bulk_files(database: Database, user: Account, folder: str, how_many: int) -> None:
    """``how_many`` real entries of one content in /Files/<folder>/, in three statements."""
    with database.transaction() as session:
        params = {"user": user.id, "sha": "a" * 64, "folder": folder, "n": how_many}
        session.execute(sa.text("INSERT INTO media_files (uploaded_by, sha256, size_bytes, mime_type) "
                                "VALUES (:user, :sha, 3, 'image/jpeg') ON CONFLICT DO NOTHING"), params)
        session.execute(sa.text("INSERT INTO folders (user_id, parent_id, name) SELECT :user, id, :folder "
                                "FROM folders WHERE user_id = :user AND parent_id IS NULL"), params)
        session.execute(sa.text(
            """INSERT INTO files (user_id, folder_id, name, hash, media_file_id, size_bytes)
               SELECT :user, f.id, format('photo-%s.jpg', lpad(n::text, 5, '0')), :sha, m.id, 3
               FROM generate_series(1, :n) AS n,
                    folders f JOIN media_files m ON m.uploaded_by = :user AND m.sha256 = :sha
               WHERE f.user_id = :user AND f.name = :folder"""), params)


def test_listing_costs_the_same_statements_for_10_and_10000_files(
        alice_client: Client, database: Database, alice: Account, capsys: pytest.CaptureFixture[str]) -> None:
    counts = {}
    assert alice_client.request("PROPFIND", "/", headers={"Depth": "0"}).status_code == 207  # signed in
    for how_many in (10, 10_000):
        folder = f"Bulk{how_many}"
        _bulk_files(database, alice, folder, how_many)
        _smart_folder(database, alice, f"jpg in {folder}", {"all": [{"extension": "jpg"}, {"folder": f"/{folder}"}]})
        statements: list[str] = []

        def counted(conn, cursor, statement, parameters, context, executemany,  # noqa: ANN001
                    statements: list[str] = statements) -> None:
            if "FROM users" not in statement:  # the periodic sign-in re-check is not the listing's
                statements.append(statement)

        sa.event.listen(database.engine, "before_cursor_execute", counted)
        try:
            response = alice_client.request("PROPFIND", f"/Smart Folders/jpg in {folder}/",
                                            headers={"Depth": "1"}, stream=True)
            assert response.status_code == 207
            if how_many == 10_000:  # streamed, not built whole (a small listing goes with a Content-Length)
                assert response.headers.get("Transfer-Encoding") == "chunked"
            body = response.raw.read(decode_content=True)
        finally:
            sa.event.remove(database.engine, "before_cursor_execute", counted)
        assert len(ET.fromstring(body).findall("{DAV:}response")) == how_many + 1
        counts[how_many] = len(statements)
    with capsys.disabled():
        print(f"\nstatements for a smart folder PROPFIND Depth 1: {counts}")
    assert counts[10] == counts[10_000], counts
    assert counts[10] <= 5, counts
