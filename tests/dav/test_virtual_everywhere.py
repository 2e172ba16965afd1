"""One file seen through every virtual folder: changes in /Files/ show everywhere at once."""

from __future__ import annotations

from mediavault_dav.db.database import Database
from mediavault_dav.vault import smart_folders
from mediavault_dav.vault.users import Account
from tests import media_samples
from tests.dav.virtual_support import copy, move, names, put
from tests.support import Client


def test_renaming_and_deleting_in_files_shows_in_every_virtual_folder(
        alice_client: Client, database: Database, alice: Account) -> None:
    client = alice_client
    client.request("MKCOL", "/Files/Music")
    put(client, "/Files/Music/track.wav", media_samples.wav(0.2))
    client.request("MKCOL", "/Albums/Road")
    client.request("MKCOL", "/Tags/loud")
    copy(client, "/Files/Music/track.wav", "/Albums/Road/track.wav")
    copy(client, "/Files/Music/track.wav", "/Tags/loud/track.wav")
    with database.transaction() as session:
        smart_folders.create_smart_folder(session, alice.id, "Audio", {"category": "Audio"})
    client.request("PUT", "/Playlists/Road.m3u8", data=b"../Files/Music/track.wav\n")
    places = ["/Albums/Road/", "/Tags/loud/", "/Smart Folders/Audio/", "/Categories/Audio/"]
    assert [names(client, place) for place in places] == [["track.wav"]] * 4

    assert move(client, "/Files/Music/track.wav", "/Files/Music/renamed.wav").status_code == 201
    assert [names(client, place) for place in places] == [["renamed.wav"]] * 4
    assert "../Files/Music/renamed.wav" in client.request("GET", "/Playlists/Road.m3u8").text
    for place in places:
        assert client.request("GET", place + "renamed.wav").content == media_samples.wav(0.2)

    assert client.request("DELETE", "/Files/Music/renamed.wav").status_code == 204
    assert [names(client, place) for place in places] == [[]] * 4
    assert ".wav" not in client.request("GET", "/Playlists/Road.m3u8").text
    assert names(client, "/Albums/") == ["Road"] and names(client, "/Tags/") == ["loud"]


def test_the_root_lists_every_area_and_writes_to_areas_are_refused(alice_client: Client) -> None:
    assert names(alice_client, "/") == ["Albums", "Categories", "Files", "Playlists", "Shared With Me",
                                        "Smart Folders", "Tags"]
    for method, path in (("DELETE", "/Albums"), ("DELETE", "/Tags/"), ("MOVE", "/Playlists"),
                         ("PUT", "/Categories/x.jpg"), ("MKCOL", "/Smart Folders/New")):
        headers = {"Destination": alice_client.base_url + "Elsewhere"} if method == "MOVE" else {}
        response = alice_client.request(method, path, headers=headers, data=b"x" if method == "PUT" else None)
        assert response.status_code in (403, 405), (method, path, response.status_code)


HOUSEKEEPING = ["._photo.jpg", ".DS_Store", "desktop.ini", "Thumbs.db", "~$report.docx", ".~lock.report.odt#"]


def test_housekeeping_files_appear_in_no_album_tag_category_smart_folder_or_share_page(
        alice_client: Client, database: Database, alice: Account) -> None:
    from mediavault_dav.vault import shares

    client = alice_client
    client.request("MKCOL", "/Files/Pics")
    put(client, "/Files/Pics/photo.jpg", media_samples.png(4, 3))
    for name in HOUSEKEEPING:  # stored, as Finder, Explorer and Office need
        assert client.request("PUT", "/Files/Pics/" + name.replace("#", "%23"), data=b"client data").status_code == 201
    client.request("MKCOL", "/Albums/Holiday")
    client.request("MKCOL", "/Tags/best")
    for place in ("/Albums/Holiday/", "/Tags/best/"):
        assert copy(client, "/Files/Pics/photo.jpg", place + "photo.jpg").status_code == 201
        for name in HOUSEKEEPING:  # a deliberate add is refused with a reason
            refused = copy(client, "/Files/Pics/" + name.replace("#", "%23"), place + name.replace("#", "%23"))
            assert refused.status_code == 403, (place, name, refused.status_code)
    with database.transaction() as session:
        smart_folders.create_smart_folder(session, alice.id, "Everything in Pics", {"folder": {"under": "/Pics"}})
        token, _ = shares.create_share(session, alice.id, shares.target_for_path(session, alice.id, "/Files/Pics"))
    for place in ("/Albums/Holiday/", "/Tags/best/", "/Smart Folders/Everything in Pics/", "/Categories/Images/"):
        assert names(client, place) == ["photo.jpg"], place
    page = Client(client.base_url, None).request("GET", f"/s/{token}/")
    assert page.status_code == 200 and "photo.jpg" in page.text
    assert not any(name in page.text for name in HOUSEKEEPING)
