"""What a guest reaches through ``/s/<token>/``: the shared thing, read-only, and nothing else."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mediavault_dav.db.database import Database
from mediavault_dav.server import Gateway
from mediavault_dav.vault import smart_folders, users
from mediavault_dav.vault.users import Account
from tests.dav.shares.share_support import Share, make_share, mkcol, put
from tests.media_samples import png
from tests.support import Client, propfind

HOUSEKEEPING = ("._photo.png", ".DS_Store", "desktop.ini", "Thumbs.db")
PHOTO = png(4, 3)


@pytest.fixture
def trip(alice_client: Client) -> Client:
    """/Files/Trip (a photo, notes in a subfolder, a client's housekeeping files) and /Files/Private."""
    mkcol(alice_client, "/Files/Trip")
    mkcol(alice_client, "/Files/Trip/Notes")
    put(alice_client, "/Files/Trip/photo.png", PHOTO)
    put(alice_client, "/Files/Trip/Notes/day 1.txt", b"we arrived")
    for name in HOUSEKEEPING:
        put(alice_client, f"/Files/Trip/{name}", b"client bookkeeping")
    mkcol(alice_client, "/Files/Private")
    put(alice_client, "/Files/Private/secret.txt", b"not for guests")
    return alice_client


def _listed(share: Share, rest: str = "") -> list[str]:
    """The names a Depth 1 PROPFIND lists below the share path (folders end with "/")."""
    found = propfind(share.guest, share.path + rest)
    prefix = share.path + rest
    return sorted(href[len(prefix):] for href in found if href != prefix)


def test_a_folder_share_serves_its_tree_to_anyone_without_credentials(
        gateway: Gateway, alice: Account, trip: Client, database: Database) -> None:
    share = make_share(database, gateway.url, alice, "/Files/Trip")
    assert _listed(share) == ["Notes/", "photo.png"]
    assert _listed(share, "Notes/") == ["day 1.txt"]

    photo = share.get("photo.png")
    assert photo.status_code == 200 and photo.content == PHOTO
    assert photo.headers["Content-Type"] == "image/png" and photo.headers["Accept-Ranges"] == "bytes"
    notes = share.get("Notes/day 1.txt")
    assert notes.content == b"we arrived"
    head = share.request("HEAD", "Notes/day 1.txt")
    assert head.status_code == 200 and head.headers["Content-Length"] == "10" and head.content == b""
    assert share.get("photo.png", headers={"Range": "bytes=1-3"}).content == PHOTO[1:4]
    assert share.get("Notes/").status_code == 200  # a browser page for a folder inside


def test_options_answers_read_only_for_every_share_path(gateway: Gateway, alice: Account, trip: Client,
                                                        database: Database) -> None:
    share = make_share(database, gateway.url, alice, "/Files/Trip")
    for path in (share.path, share.path + "photo.png", "/s/not-a-token/"):
        answer = share.guest.request("OPTIONS", path)
        assert answer.status_code == 200
        assert answer.headers["DAV"] == "1"  # no locks: a guest cannot write
        assert answer.headers["Allow"] == "OPTIONS, GET, HEAD, PROPFIND"


def test_housekeeping_files_are_neither_listed_nor_served(gateway: Gateway, alice: Account, trip: Client,
                                                          database: Database) -> None:
    share = make_share(database, gateway.url, alice, "/Files/Trip")
    assert not set(_listed(share)) & set(HOUSEKEEPING)
    page = share.get().text
    for name in HOUSEKEEPING:
        assert share.get(name).status_code == 404
        assert name not in page


def test_a_file_share_is_a_folder_holding_that_file_alone(gateway: Gateway, alice: Account, trip: Client,
                                                          database: Database) -> None:
    share = make_share(database, gateway.url, alice, "/Files/Trip/Notes/day 1.txt")
    assert _listed(share) == ["day 1.txt"]
    assert share.get("day 1.txt").content == b"we arrived"
    assert share.get("photo.png").status_code == 404
    assert share.get("Notes/day 1.txt").status_code == 404
    assert "day 1.txt" in share.get().text


def test_album_tag_and_smart_folder_shares_show_their_members(
        gateway: Gateway, alice: Account, trip: Client, database: Database) -> None:
    mkcol(trip, "/Albums/Holiday")
    mkcol(trip, "/Tags/best")
    mkcol(trip, "/Files/Other")
    put(trip, "/Files/Other/photo.png", b"another photo of the same name")
    # The second photo.png goes in under its numbered name (docs/virtual-folders.md).
    for source, name in (("/Files/Trip/photo.png", "photo.png"), ("/Files/Other/photo.png", "photo (2).png")):
        for folder in ("/Albums/Holiday/", "/Tags/best/"):
            response = trip.request("COPY", source, headers={
                "Destination": trip.base_url.rstrip("/") + folder + name, "Overwrite": "F"})
            assert response.status_code in (201, 204), response.text
    with database.transaction() as session:
        smart_folders.create_smart_folder(session, alice.id, "Texts", {"extension": "txt"})

    album = make_share(database, gateway.url, alice, "/Albums/Holiday")
    assert _listed(album) == ["photo (2).png", "photo.png"]
    assert album.get("photo.png").content == PHOTO
    assert album.get("photo (2).png").content == b"another photo of the same name"
    tag = make_share(database, gateway.url, alice, "/Tags/best")
    assert _listed(tag) == ["photo (2).png", "photo.png"]
    smart = make_share(database, gateway.url, alice, "/Smart Folders/Texts")
    assert _listed(smart) == ["day 1.txt", "secret.txt"]  # the live result of the rules
    assert smart.get("day 1.txt").content == b"we arrived"
    # A flat share has no subfolders: deeper paths name nothing.
    assert album.get("Trip/photo.png").status_code == 404


def test_a_share_follows_its_folder_and_dies_with_it(gateway: Gateway, alice: Account, trip: Client,
                                                      database: Database) -> None:
    share = make_share(database, gateway.url, alice, "/Files/Trip")
    moved = trip.request("MOVE", "/Files/Trip", headers={"Destination": trip.base_url.rstrip("/") + "/Files/Italy"})
    assert moved.status_code == 201
    assert share.get("photo.png").content == PHOTO
    assert trip.request("DELETE", "/Files/Italy").status_code == 204
    assert share.get("photo.png").status_code == 404
    with database.transaction() as session:
        assert session.execute(sa.text("SELECT count(*) FROM share_links")).scalar_one() == 0


def test_a_disabled_owner_shares_nothing_until_enabled_again(gateway: Gateway, alice: Account, trip: Client,
                                                             database: Database) -> None:
    share = make_share(database, gateway.url, alice, "/Files/Trip")
    with database.transaction() as session:
        users.set_active(session, "alice", False)
    assert share.get("photo.png").status_code == 404
    with database.transaction() as session:
        users.set_active(session, "alice", True)
    assert share.get("photo.png").status_code == 200


def test_propfind_depth_infinity_is_refused_on_shares(gateway: Gateway, alice: Account, trip: Client,
                                                      database: Database) -> None:
    share = make_share(database, gateway.url, alice, "/Files/Trip")
    refused = share.request("PROPFIND", headers={"Depth": "infinity"})
    assert refused.status_code == 403 and b"propfind-finite-depth" in refused.content


def test_guests_see_live_properties_only(gateway: Gateway, alice: Account, trip: Client,
                                         database: Database) -> None:
    body = (b'<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:x="urn:example">'
            b"<D:set><D:prop><x:note>private remark</x:note></D:prop></D:set></D:propertyupdate>")
    assert trip.request("PROPPATCH", "/Files/Trip/photo.png", data=body).status_code == 207
    share = make_share(database, gateway.url, alice, "/Files/Trip")
    listing = share.request("PROPFIND", "photo.png", headers={"Depth": "0"})
    assert listing.status_code == 207
    assert b"private remark" not in listing.content and b"lockdiscovery" not in listing.content
    assert b"<ns0:getcontentlength>" in listing.content or b"getcontentlength" in listing.content
