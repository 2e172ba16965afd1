"""``/Shared With Me/``: what a grant lets its grantee do, method by method (docs/permissions.md)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import requests

from mediavault_dav.db.database import Database
from mediavault_dav.vault import activity, quotas, users
from mediavault_dav.vault.users import Account
from tests import media_samples
from tests.dav.shared_support import SHARED, destination, expire, grant, lock, proppatch_body
from tests.dav.shares.share_support import vault_snapshot
from tests.dav.virtual_support import count, names, put
from tests.support import PASSWORD, Client, blob_files, counted_statements

DOCS = f"{SHARED}/alice/Docs"


@pytest.fixture
def docs(alice_client: Client, bob: Account) -> Client:
    """alice's /Files/Docs (a file, a subfolder) and a folder she shares with nobody."""
    for folder in ("/Files/Docs", "/Files/Docs/Sub", "/Files/Private"):
        assert alice_client.request("MKCOL", folder).status_code == 201
    assert put(alice_client, "/Files/Docs/report.txt", b"alice's report") == 201
    assert put(alice_client, "/Files/Docs/Sub/deep.txt", b"deep") == 201
    assert put(alice_client, "/Files/Private/diary.txt", b"alice's diary") == 201
    return alice_client


def _status(response: requests.Response) -> int:
    return response.status_code


def _reason(response: requests.Response) -> str:
    return response.text


# --- what the grantee sees ------------------------------------------------------------------


def test_owners_then_their_items_then_the_shared_folder_itself(
        docs: Client, bob_client: Client, database: Database, alice: Account, bob: Account) -> None:
    assert "Shared With Me" in names(bob_client, "/")
    assert names(bob_client, f"{SHARED}/") == []
    assert _status(bob_client.request("PROPFIND", f"{SHARED}/alice/", headers={"Depth": "1"})) == 404
    grant(database, alice, "/Files/Docs", bob, "read")
    assert names(bob_client, f"{SHARED}/") == ["alice"]
    assert names(bob_client, f"{SHARED}/alice/") == ["Docs"]
    assert names(bob_client, f"{DOCS}/") == ["Sub", "report.txt"]
    assert names(bob_client, f"{DOCS}/Sub/") == ["deep.txt"]
    assert bob_client.request("GET", f"{DOCS}/Sub/deep.txt").content == b"deep"
    # Nothing around the shared folder is reachable through it.
    for path in (f"{SHARED}/alice/Private", f"{SHARED}/alice/Private/diary.txt", f"{SHARED}/alice/Files",
                 f"{DOCS}/../Private/diary.txt", f"{DOCS}/%2E%2E/Private/diary.txt"):
        assert _status(bob_client.request("GET", path)) in (400, 404), path
    # alice sees nothing of her own grants in her own Shared With Me.
    assert names(docs, f"{SHARED}/") == []


def test_a_read_grant_reads_and_copies_out_and_every_write_is_a_403_that_changes_nothing(
        docs: Client, bob_client: Client, database: Database, alice: Account, bob: Account,
        blob_root: Path) -> None:
    grant(database, alice, "/Files/Docs", bob, "read")
    assert bob_client.request("GET", f"{DOCS}/report.txt").content == b"alice's report"
    assert _status(bob_client.request("HEAD", f"{DOCS}/report.txt")) == 200
    assert _status(bob_client.request("PROPFIND", f"{DOCS}/report.txt", headers={"Depth": "0"})) == 207
    before = vault_snapshot(database, blob_root)
    refused = {
        "PUT over": bob_client.request("PUT", f"{DOCS}/report.txt", data=b"bob's"),
        "PUT new": bob_client.request("PUT", f"{DOCS}/new.txt", data=b"bob's"),
        "MKCOL": bob_client.request("MKCOL", f"{DOCS}/New"),
        "DELETE": bob_client.request("DELETE", f"{DOCS}/report.txt"),
        "DELETE folder": bob_client.request("DELETE", f"{DOCS}/Sub"),
        "PROPPATCH": bob_client.request("PROPPATCH", f"{DOCS}/report.txt", data=proppatch_body()),
        "MOVE inside": bob_client.request("MOVE", f"{DOCS}/report.txt",
                                          headers=destination(bob_client, f"{DOCS}/Sub/report.txt")),
        "MOVE out": bob_client.request("MOVE", f"{DOCS}/report.txt",
                                       headers=destination(bob_client, "/Files/report.txt")),
        "COPY inside": bob_client.request("COPY", f"{DOCS}/report.txt",
                                          headers=destination(bob_client, f"{DOCS}/Sub/copy.txt")),
        "LOCK": bob_client.request("LOCK", f"{DOCS}/report.txt", data=b""),
        "UNLOCK": bob_client.request("UNLOCK", f"{DOCS}/report.txt", headers={"Lock-Token": "<urn:x>"}),
    }
    for what, response in refused.items():
        assert _status(response) == 403, (what, response.status_code, response.text[:200])
    for what in ("PUT over", "MKCOL", "DELETE", "PROPPATCH", "MOVE out"):
        assert "shared with you read-only" in _reason(refused[what]), what
    assert vault_snapshot(database, blob_root) == before

    # COPY out into bob's own /Files/ is reading: allowed, and the copy is bob's.
    assert _status(bob_client.request("COPY", f"{DOCS}/report.txt",
                                      headers=destination(bob_client, "/Files/mine.txt"))) == 201
    assert bob_client.request("GET", "/Files/mine.txt").content == b"alice's report"
    assert _status(bob_client.request("COPY", DOCS, headers=destination(bob_client, "/Files/Docs copy"))) == 201
    assert names(bob_client, "/Files/Docs copy/Sub/") == ["deep.txt"]


def test_a_write_grant_changes_inside_the_folder_but_never_the_folder_itself(
        docs: Client, bob_client: Client, database: Database, alice: Account, bob: Account) -> None:
    grant(database, alice, "/Files/Docs", bob, "write")
    assert _status(bob_client.request("PUT", f"{DOCS}/report.txt", data=b"edited by bob")) == 204
    assert _status(bob_client.request("PUT", f"{DOCS}/new.txt", data=b"new from bob")) == 201
    assert _status(bob_client.request("MKCOL", f"{DOCS}/From Bob")) == 201
    assert _status(bob_client.request("MOVE", f"{DOCS}/new.txt",
                                      headers=destination(bob_client, f"{DOCS}/From Bob/new.txt"))) == 201
    assert _status(bob_client.request("COPY", f"{DOCS}/report.txt",
                                      headers=destination(bob_client, f"{DOCS}/Sub/report copy.txt"))) == 201
    patched = bob_client.request("PROPPATCH", f"{DOCS}/report.txt", data=proppatch_body())
    assert _status(patched) == 207 and "200 OK" in patched.text
    assert _status(bob_client.request("DELETE", f"{DOCS}/Sub/deep.txt")) == 204

    # alice sees it all in her own tree.
    assert docs.request("GET", "/Files/Docs/report.txt").content == b"edited by bob"
    assert docs.request("GET", "/Files/Docs/From Bob/new.txt").content == b"new from bob"
    assert names(docs, "/Files/Docs/Sub/") == ["report copy.txt"]
    assert "set by a test" in docs.request("PROPFIND", "/Files/Docs/report.txt", headers={"Depth": "0"}).text

    # The shared folder itself is alice's: not deleted, moved or renamed; nothing leaves it by MOVE.
    for response in (bob_client.request("DELETE", DOCS),
                     bob_client.request("MOVE", DOCS, headers=destination(bob_client, f"{SHARED}/alice/Renamed")),
                     bob_client.request("MOVE", DOCS, headers=destination(bob_client, "/Files/Docs"))):
        assert _status(response) == 403, response.text[:200]
    moved_out = bob_client.request("MOVE", f"{DOCS}/report.txt", headers=destination(bob_client, "/Files/r.txt"))
    assert _status(moved_out) == 403 and "copy it instead" in moved_out.text
    moved_in = bob_client.request("MOVE", "/Files/Docs copy", headers=destination(bob_client, f"{DOCS}/x"))
    assert _status(moved_in) in (403, 404)
    # ... nor into alice's folders around it, however the Destination is spelled.
    put(bob_client, "/Files/mine.txt", b"bob's own")
    for target in ("/Files/Private/x.txt", f"{SHARED}/alice/Private/x.txt", f"{DOCS}/../Private/x.txt"):
        response = bob_client.request("COPY", "/Files/mine.txt", headers=destination(bob_client, target))
        assert _status(response) in (400, 403, 409), (target, response.status_code)
    assert names(docs, "/Files/Private/") == ["diary.txt"]
    assert names(docs, "/Files/Docs/") == ["From Bob", "Sub", "report.txt"]


def test_copy_into_a_folder_shared_for_writing_gives_the_owner_a_copy_of_their_own(
        docs: Client, bob_client: Client, database: Database, alice: Account, bob: Account,
        blob_root: Path) -> None:
    grant(database, alice, "/Files/Docs", bob, "write")
    put(bob_client, "/Files/mine.txt", b"bob's own content")
    blobs = len(blob_files(blob_root))
    assert _status(bob_client.request("COPY", "/Files/mine.txt",
                                      headers=destination(bob_client, f"{DOCS}/from bob.txt"))) == 201
    assert docs.request("GET", "/Files/Docs/from bob.txt").content == b"bob's own content"
    assert len(blob_files(blob_root)) == blobs  # no byte copied
    assert count(database, "SELECT count(*) FROM media_files WHERE sha256 = "
                           "(SELECT hash FROM files WHERE name = 'mine.txt')") == 2  # one catalogue row each
    # A MOVE would give bob's file away: refused.
    assert _status(bob_client.request("MOVE", "/Files/mine.txt",
                                      headers=destination(bob_client, f"{DOCS}/moved.txt"))) == 403
    assert bob_client.request("GET", "/Files/mine.txt").content == b"bob's own content"


def test_copy_out_is_the_grantees_on_the_same_blob_and_counts_against_their_quota(
        docs: Client, bob_client: Client, database: Database, alice: Account, bob: Account,
        blob_root: Path) -> None:
    grant(database, alice, "/Files/Docs", bob, "read")
    assert _status(docs.request("PROPPATCH", "/Files/Docs/Sub/deep.txt", data=proppatch_body(value="kept"))) == 207
    blobs = len(blob_files(blob_root))
    assert _status(bob_client.request("COPY", DOCS, headers=destination(bob_client, "/Files/Copied"))) == 201
    assert len(blob_files(blob_root)) == blobs
    assert bob_client.request("GET", "/Files/Copied/Sub/deep.txt").content == b"deep"
    assert ">kept<" in bob_client.request("PROPFIND", "/Files/Copied/Sub/deep.txt", headers={"Depth": "0"}).text
    with database.transaction() as session:
        assert quotas.usage(session, bob.id).used == len(b"alice's report") + len(b"deep")
        assert quotas.usage(session, alice.id).used == len(b"alice's report") + len(b"deep") + len(b"alice's diary")
    assert count(database, "SELECT count(*) FROM files WHERE user_id = :bob", bob=bob.id) == 2
    assert count(database, "SELECT count(*) FROM media_files WHERE uploaded_by = :bob", bob=bob.id) == 2
    # A content bob holds already costs nothing more (counted once per user) ...
    with database.transaction() as session:
        quotas.set_quota(session, bob.id, 20)
    again = bob_client.request("COPY", f"{DOCS}/report.txt", headers=destination(bob_client, "/Files/again.txt"))
    assert _status(again) == 201
    # ... a new one over bob's own quota is a 507 and stores nothing, whatever room alice has.
    put(docs, "/Files/Docs/big.txt", b"b" * 100)
    refused = bob_client.request("COPY", f"{DOCS}/big.txt", headers=destination(bob_client, "/Files/big.txt"))
    assert _status(refused) == 507
    assert count(database, "SELECT count(*) FROM files WHERE user_id = :bob", bob=bob.id) == 3


def test_uploads_through_a_grant_are_the_owners_files_on_the_owners_quota(
        docs: Client, bob_client: Client, database: Database, alice: Account, bob: Account) -> None:
    grant(database, alice, "/Files/Docs", bob, "write")
    with database.transaction() as session:
        alice_before = quotas.usage(session, alice.id).used
    assert _status(bob_client.request("PUT", f"{DOCS}/upload.bin", data=b"x" * 1000)) == 201
    with database.transaction() as session:
        assert quotas.usage(session, alice.id).used == alice_before + 1000
        assert quotas.usage(session, bob.id).used == 0
    assert count(database, "SELECT count(*) FROM media_files WHERE uploaded_by = :bob", bob=bob.id) == 0
    # The owner's quota decides, whatever room the grantee has: 507 before storing anything.
    with database.transaction() as session:
        quotas.set_quota(session, alice.id, alice_before + 1500)
    assert _status(bob_client.request("PUT", f"{DOCS}/big.bin", data=b"y" * 1000)) == 507
    assert _status(bob_client.request("GET", f"{DOCS}/big.bin")) == 404
    # Quota properties on a folder shared for writing are the owner's (where uploads go).
    body = (b'<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:quota-available-bytes/>'
            b"<D:quota-used-bytes/></D:prop></D:propfind>")
    answer = bob_client.request("PROPFIND", f"{DOCS}/", data=body, headers={"Depth": "0"})
    assert f"<D:quota-used-bytes>{alice_before + 1000}<" in answer.text
    assert "<D:quota-available-bytes>500<" in answer.text


def test_a_read_only_folder_answers_no_quota(docs: Client, bob_client: Client, database: Database,
                                            alice: Account, bob: Account) -> None:
    grant(database, alice, "/Files/Docs", bob, "read")
    body = b'<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:quota-used-bytes/></D:prop></D:propfind>'
    answer = bob_client.request("PROPFIND", f"{DOCS}/", data=body, headers={"Depth": "0"})
    assert answer.status_code == 207 and "404 Not Found" in answer.text and "quota-used-bytes" in answer.text


def test_a_shared_file_is_that_file(docs: Client, bob_client: Client, database: Database, alice: Account,
                                    bob: Account) -> None:
    made = grant(database, alice, "/Files/Docs/report.txt", bob, "read")
    assert names(bob_client, f"{SHARED}/alice/") == ["report.txt"]
    shared = f"{SHARED}/alice/report.txt"
    assert bob_client.request("GET", shared).content == b"alice's report"
    assert bob_client.request("GET", shared).headers["ETag"] == docs.request("GET", "/Files/Docs/report.txt").headers[
        "ETag"]
    assert _status(bob_client.request("PUT", shared, data=b"no")) == 403
    grant(database, alice, "/Files/Docs/report.txt", bob, "write")
    assert _status(bob_client.request("PUT", shared, data=b"bob edits the file")) == 204
    assert docs.request("GET", "/Files/Docs/report.txt").content == b"bob edits the file"
    assert _status(bob_client.request("DELETE", shared)) == 403  # the shared item itself
    assert _status(bob_client.request("MOVE", shared, headers=destination(bob_client, "/Files/r.txt"))) == 403
    assert _status(bob_client.request("GET", f"{shared}/below")) == 404
    # Renamed or moved by its owner, it is still shared (the grant points at the file).
    assert _status(docs.request("MOVE", "/Files/Docs/report.txt",
                                headers=destination(docs, "/Files/Private/renamed.txt"))) == 201
    assert bob_client.request("GET", f"{SHARED}/alice/renamed.txt").content == b"bob edits the file"
    assert made.id == grant(database, alice, "/Files/Private/renamed.txt", bob, "read").id
    # Deleted by its owner, the grant goes with it.
    assert _status(docs.request("DELETE", "/Files/Private/renamed.txt")) == 204
    assert count(database, "SELECT count(*) FROM permissions") == 0


def test_expiry_and_revocation_take_effect_on_the_next_request(
        docs: Client, bob_client: Client, database: Database, alice: Account, bob: Account) -> None:
    made = grant(database, alice, "/Files/Docs", bob, "write")
    assert _status(bob_client.request("GET", f"{DOCS}/report.txt")) == 200
    expire(database, made.id)  # no restart, no cache to clear
    assert _status(bob_client.request("GET", f"{DOCS}/report.txt")) == 404
    assert _status(bob_client.request("PUT", f"{DOCS}/late.txt", data=b"too late")) == 409
    assert names(bob_client, f"{SHARED}/") == []
    grant(database, alice, "/Files/Docs", bob, "read")  # granted again: works again, at the new level
    assert _status(bob_client.request("GET", f"{DOCS}/report.txt")) == 200
    assert _status(bob_client.request("PUT", f"{DOCS}/late.txt", data=b"too late")) == 403
    with database.transaction() as session:
        users.set_active(session, "alice", False)  # a disabled owner shares nothing
    assert _status(bob_client.request("GET", f"{DOCS}/report.txt")) == 404


def test_locks_of_the_owner_and_the_grantee_on_one_file_conflict(
        docs: Client, bob_client: Client, database: Database, alice: Account, bob: Account) -> None:
    grant(database, alice, "/Files/Docs", bob, "write")
    token = lock(docs, "/Files/Docs/report.txt")
    blocked = bob_client.request("PUT", f"{DOCS}/report.txt", data=b"bob")
    assert _status(blocked) == 423
    # The conflict names the file where bob sees it (not alice's lock key /~<id>/Files/...).
    assert "/Shared%20With%20Me/alice/Docs/report.txt" in blocked.text and "/~" not in blocked.text
    # Naming alice's token does not make it bob's: the If condition fails.
    assert _status(bob_client.request("PUT", f"{DOCS}/report.txt", data=b"bob",
                                      headers={"If": f"(<{token}>)"})) == 412
    assert _status(bob_client.request("LOCK", f"{DOCS}/report.txt", data=b'<?xml version="1.0"?>'
                                      b'<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>'
                                      b"<D:locktype><D:write/></D:locktype></D:lockinfo>")) == 423
    # Tokens are not secrets (RFC 4918 6.4): bob can read alice's, but not use, refresh or release it.
    assert token in bob_client.request("PROPFIND", f"{DOCS}/report.txt", headers={"Depth": "0"}).text
    assert _status(bob_client.request("UNLOCK", f"{DOCS}/report.txt", headers={"Lock-Token": f"<{token}>"})) == 403
    refresh = bob_client.request("LOCK", f"{DOCS}/report.txt", headers={"If": f"(<{token}>)"})
    assert _status(refresh) == 412  # a refresh names the lock in its If header: not bob's
    assert _status(docs.request("UNLOCK", "/Files/Docs/report.txt", headers={"Lock-Token": f"<{token}>"})) == 204

    # The other way round: bob's lock through the grant protects the file from alice.
    bobs = lock(bob_client, f"{DOCS}/report.txt")
    assert _status(docs.request("PUT", "/Files/Docs/report.txt", data=b"alice")) == 423
    assert _status(docs.request("DELETE", "/Files/Docs")) == 423  # a lock deeper in the folder
    assert _status(bob_client.request("PUT", f"{DOCS}/report.txt", data=b"bob holds it",
                                      headers={"If": f"(<{bobs}>)"})) == 204
    assert _status(bob_client.request("UNLOCK", f"{DOCS}/report.txt", headers={"Lock-Token": f"<{bobs}>"})) == 204
    assert _status(docs.request("PUT", "/Files/Docs/report.txt", data=b"alice again")) == 204


def test_a_lock_above_the_shared_folder_shows_at_the_shared_folder_never_at_the_owners_path(
        docs: Client, bob_client: Client, database: Database, alice: Account, bob: Account) -> None:
    grant(database, alice, "/Files/Docs/Sub", bob, "write")
    response = docs.request("LOCK", "/Files/Docs", data=b'<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:">'
                            b"<D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype>"
                            b"</D:lockinfo>", headers={"Depth": "infinity"})
    assert _status(response) == 200
    listing = bob_client.request("PROPFIND", f"{SHARED}/alice/Sub/deep.txt", headers={"Depth": "0"})
    root = ET.fromstring(listing.content).findtext(".//{DAV:}lockroot/{DAV:}href")
    assert root == "/Shared%20With%20Me/alice/Sub/"
    assert "/Files/Docs" not in listing.text
    assert _status(bob_client.request("PUT", f"{SHARED}/alice/Sub/deep.txt", data=b"bob")) == 423


def test_changes_through_a_grant_are_audited_with_the_grantee_as_actor(
        docs: Client, bob_client: Client, database: Database, alice: Account, bob: Account) -> None:
    made = grant(database, alice, "/Files/Docs", bob, "write")
    assert _status(bob_client.request("PUT", f"{DOCS}/audited.txt", data=b"12345")) == 201
    assert _status(bob_client.request("DELETE", f"{DOCS}/Sub")) == 204
    assert _status(bob_client.request("DELETE", DOCS)) == 403

    with database.transaction() as session:
        rows = activity.query(session, username="bob")
    put_row, delete_row, refused_row = (next(row for row in rows if (row.action, row.path) == wanted) for wanted in
                                        (("put", f"{DOCS}/audited.txt"), ("delete", f"{DOCS}/Sub"),
                                         ("delete", DOCS)))
    assert (put_row.user_id, put_row.outcome, put_row.status_code, put_row.bytes, put_row.resource_type) == (
        bob.id, "success", 201, 5, "file")
    assert put_row.details == {"shared": [{"grant": made.id, "owner": "alice"}]}
    assert (delete_row.outcome, delete_row.resource_type) == ("success", "folder")
    assert (refused_row.outcome, refused_row.status_code) == ("refused", 403)


def test_an_album_shared_for_reading_and_for_writing(
        docs: Client, bob_client: Client, database: Database, alice: Account, bob: Account) -> None:
    assert docs.request("MKCOL", "/Albums/Trip").status_code == 201
    assert docs.request("COPY", "/Files/Docs/report.txt",
                        headers=destination(docs, "/Albums/Trip/report.txt")).status_code == 201
    grant(database, alice, "/Albums/Trip", bob, "read")
    trip = f"{SHARED}/alice/Trip"
    assert names(bob_client, f"{trip}/") == ["report.txt"]
    assert bob_client.request("GET", f"{trip}/report.txt").content == b"alice's report"
    for response in (bob_client.request("PUT", f"{trip}/new.txt", data=b"x"),
                     bob_client.request("DELETE", f"{trip}/report.txt"),
                     bob_client.request("LOCK", f"{trip}/report.txt", data=b"")):
        assert _status(response) == 403

    grant(database, alice, "/Albums/Trip", bob, "write")
    assert _status(bob_client.request("PUT", f"{trip}/holiday.txt", data=b"from bob")) == 201
    assert docs.request("GET", "/Files/Albums/Trip/holiday.txt").content == b"from bob"  # alice's file
    assert names(docs, "/Albums/Trip/") == ["holiday.txt", "report.txt"]
    assert _status(bob_client.request("DELETE", f"{trip}/report.txt")) == 204  # out of the album only
    assert docs.request("GET", "/Files/Docs/report.txt").content == b"alice's report"
    token = lock(bob_client, f"{trip}/holiday.txt")
    assert _status(docs.request("PUT", "/Files/Albums/Trip/holiday.txt", data=b"alice")) == 423
    bob_client.request("UNLOCK", f"{trip}/holiday.txt", headers={"Lock-Token": f"<{token}>"})
    # bob's own files never become members of alice's album; the album itself stays alice's.
    put(bob_client, "/Files/mine.txt", b"bob's")
    assert _status(bob_client.request("COPY", "/Files/mine.txt",
                                      headers=destination(bob_client, f"{trip}/mine.txt"))) == 403
    assert _status(bob_client.request("DELETE", trip)) == 403
    assert _status(bob_client.request("MOVE", trip, headers=destination(bob_client, f"{SHARED}/alice/X"))) == 403
    assert _status(bob_client.request("MOVE", f"{trip}/holiday.txt",
                                      headers=destination(bob_client, "/Files/holiday.txt"))) == 403
    assert names(docs, "/Albums/Trip/") == ["holiday.txt"]


def test_finders_housekeeping_file_in_a_shared_album_is_the_owners_and_follows_the_grant(
        docs: Client, bob_client: Client, database: Database, alice: Account, bob: Account) -> None:
    assert docs.request("MKCOL", "/Albums/Trip").status_code == 201
    made = grant(database, alice, "/Albums/Trip", bob, "write")
    trip = f"{SHARED}/alice/Trip"
    assert _status(bob_client.request("PUT", f"{trip}/._photo.jpg", data=b"finder metadata")) == 201
    assert names(bob_client, f"{trip}/") == []  # never a member
    assert bob_client.request("GET", f"{trip}/._photo.jpg").content == b"finder metadata"
    assert docs.request("GET", "/Files/Albums/Trip/._photo.jpg").content == b"finder metadata"
    # Locked where it lives in alice's tree: alice's lock there stops bob.
    token = lock(docs, "/Files/Albums/Trip/._photo.jpg")
    assert _status(bob_client.request("PUT", f"{trip}/._photo.jpg", data=b"bob")) == 423
    docs.request("UNLOCK", "/Files/Albums/Trip/._photo.jpg", headers={"Lock-Token": f"<{token}>"})
    expire(database, made.id)
    grant(database, alice, "/Albums/Trip", bob, "read")
    assert _status(bob_client.request("DELETE", f"{trip}/._photo.jpg")) == 403
    assert _status(bob_client.request("PUT", f"{trip}/._photo.jpg", data=b"bob")) == 403
    grant(database, alice, "/Albums/Trip", bob, "write")
    assert _status(bob_client.request("DELETE", f"{trip}/._photo.jpg")) == 204
    assert _status(docs.request("GET", "/Files/Albums/Trip/._photo.jpg")) == 404


def test_a_smart_folder_is_read_only_even_with_a_manage_grant(
        docs: Client, bob_client: Client, database: Database, alice: Account, bob: Account) -> None:
    from mediavault_dav.vault import smart_folders

    with database.transaction() as session:
        smart_folders.create_smart_folder(session, alice.id, "Texts", {"extension": "txt"})
    grant(database, alice, "/Smart Folders/Texts", bob, "manage")
    texts = f"{SHARED}/alice/Texts"
    # The rules' live result, wherever in alice's files it is: that is what was shared.
    assert names(bob_client, f"{texts}/") == ["deep.txt", "diary.txt", "report.txt"]
    copied = bob_client.request("COPY", f"{texts}/deep.txt", headers=destination(bob_client, "/Files/d.txt"))
    assert _status(copied) == 201
    for response in (bob_client.request("PUT", f"{texts}/report.txt", data=b"x"),
                     bob_client.request("DELETE", f"{texts}/report.txt"),
                     bob_client.request("PROPPATCH", f"{texts}/report.txt", data=proppatch_body()),
                     bob_client.request("LOCK", f"{texts}/report.txt", data=b"")):
        assert _status(response) == 403 and "smart folder is read-only" in response.text


def test_a_grantee_listening_is_not_counted_as_the_owners_play(
        docs: Client, bob_client: Client, database: Database, alice: Account, bob: Account) -> None:
    assert put(docs, "/Files/Docs/song.wav", media_samples.wav(0.5)) == 201
    grant(database, alice, "/Files/Docs", bob, "read")
    player = {"User-Agent": "VLC/3.0.20 LibVLC/3.0.20"}
    assert _status(bob_client.request("GET", f"{DOCS}/song.wav", headers=player)) == 200
    assert count(database, "SELECT count(*) FROM play_history") == 0
    assert _status(docs.request("GET", "/Files/Docs/song.wav", headers=player)) == 200
    assert count(database, "SELECT count(*) FROM play_history WHERE user_id = :alice", alice=alice.id) == 1


def test_an_administrator_has_no_way_into_other_users_files_over_dav(
        docs: Client, gateway, database: Database) -> None:  # noqa: ANN001
    with database.transaction() as session:
        users.add_user(session, "root", "root@example.com", PASSWORD, is_admin=True)
    admin = Client(gateway.url, ("root", PASSWORD))
    for path in ("/Files/Docs/report.txt", f"{SHARED}/alice/Docs/report.txt", "/~1/Files/Docs/report.txt"):
        assert _status(admin.request("GET", path)) == 404, path
    assert names(admin, f"{SHARED}/") == []


# --- cost -----------------------------------------------------------------------------------


def _listing_statements(client: Client, database: Database, path: str) -> int:
    with counted_statements(database) as statements:
        assert _status(client.request("PROPFIND", path, headers={"Depth": "1"})) == 207
    return len(statements)


def test_listings_cost_the_same_statements_for_5_and_200_members(
        alice_client: Client, bob_client: Client, database: Database, alice: Account, bob: Account) -> None:
    from mediavault_dav.vault import smart_folders

    with database.transaction() as session:
        smart_folders.create_smart_folder(session, alice.id, "Small", {"folder": "/Small"})
        smart_folders.create_smart_folder(session, alice.id, "Large", {"folder": "/Large"})
    costs: dict[str, list[int]] = {}
    assert _status(bob_client.request("PROPFIND", "/", headers={"Depth": "0"})) == 207  # signed in first
    for size, folder in ((5, "Small"), (200, "Large")):
        alice_client.request("MKCOL", f"/Files/{folder}")
        alice_client.request("MKCOL", f"/Albums/{folder}")
        for number in range(size):
            put(alice_client, f"/Files/{folder}/f{number}.txt", f"{folder} {number}".encode())
            alice_client.request("COPY", f"/Files/{folder}/f{number}.txt",
                                 headers=destination(alice_client, f"/Albums/{folder}/f{number}.txt"))
        grant(database, alice, f"/Files/{folder}", bob, "read")
        grant(database, alice, f"/Albums/{folder}", bob, "write")
        grant(database, alice, f"/Smart Folders/{folder}", bob, "read")
        for kind, path in (("folder", f"{SHARED}/alice/{folder}/"), ("album", f"{SHARED}/alice/{folder} (2)/"),
                           ("smart folder", f"{SHARED}/alice/{folder} (3)/"), ("owner", f"{SHARED}/alice/"),
                           ("owners", f"{SHARED}/")):
            costs.setdefault(kind, []).append(_listing_statements(bob_client, database, path))
    assert len(names(bob_client, f"{SHARED}/alice/Large/")) == 200
    own = _listing_statements(alice_client, database, "/Files/Large/")
    print("statements for a PROPFIND Depth 1 under /Shared With Me/ (5 and 200 members):", costs,
          "; alice's own /Files/Large/:", own)
    for kind, (small, large) in costs.items():
        assert small == large, (kind, costs)
    # No more than alice listing her own folder: the owner's live grants take the place of
    # the path lookup (and a read grant shows no locks: none can be taken through it).
    assert costs["folder"][0] <= own, own


def test_a_shared_get_and_put_cost_a_constant_few_statements(
        docs: Client, bob_client: Client, database: Database, alice: Account, bob: Account) -> None:
    grant(database, alice, "/Files/Docs", bob, "write")
    bob_client.request("GET", f"{DOCS}/report.txt")  # warm the sign-in
    with counted_statements(database) as statements:
        assert _status(bob_client.request("GET", f"{DOCS}/Sub/deep.txt")) == 200
    get = len(statements)
    with counted_statements(database) as statements:
        assert _status(bob_client.request("PUT", f"{DOCS}/Sub/new.txt", data=b"new")) == 201
    put_cost = len(statements)
    print(f"statements through a grant: GET {get}, new PUT {put_cost}")
    assert get == 2  # the owner's live grants, then the path below the shared folder
    # One more than a PUT into /Files/ (7): the grants and the path below the folder are two
    # statements, and the owner's quota is read on its own (the grantee's is not the one that counts).
    assert put_cost == 8
