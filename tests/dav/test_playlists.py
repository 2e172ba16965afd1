"""``/Playlists/`` over HTTP: generated .m3u8 files, PUT to replace, and plays."""

from __future__ import annotations

import time
from urllib.parse import quote, urljoin

import pytest
import sqlalchemy as sa

from mediavault_dav.db.database import Database
from mediavault_dav.vault import m3u
from tests import media_samples
from tests.dav.virtual_support import count, move, mv_property, names, put
from tests.support import Client

SONGS = {
    "/Files/Music/Blue in Green.wav": media_samples.wav(2.5, title="Blue in Green", artist="Miles Davis"),
    "/Files/Music/Live/So What.wav": media_samples.wav(1.0, title="So What"),
    "/Files/Music/naïve & café #1.wav": media_samples.wav(0.5),
}


@pytest.fixture
def music(alice_client: Client) -> Client:
    alice_client.request("MKCOL", "/Files/Music")
    alice_client.request("MKCOL", "/Files/Music/Live")
    for path, body in SONGS.items():
        assert put(alice_client, quote(path), body) == 201
    deadline = time.monotonic() + 15
    while any(mv_property(alice_client, quote(path), "duration") is None for path in SONGS):
        assert time.monotonic() < deadline, "the metadata reader never finished"
        time.sleep(0.05)
    return alice_client


def _playlist_text(base: str) -> str:
    return "\n".join([
        "#EXTM3U",
        "../Files/Music/Blue in Green.wav",                      # relative to /Playlists/
        "/Files/Music/Live/So What.wav",                          # absolute in the vault
        base + "Files/Music/" + quote("naïve & café #1.wav"),     # a URL of this gateway
        "Z:\\Files\\Music\\Blue in Green.wav",                    # Windows, from the mapped drive
        "/Volumes/vault/Files/Music/Live/So What.wav",            # macOS, from the mounted volume
        "../Files/Music/missing.wav",                             # names nothing
        "../Albums/Trip/song.wav",                                # not a /Files/ path
    ]) + "\n"


def test_a_put_playlist_keeps_what_resolves_and_says_what_it_skipped(music: Client, database: Database) -> None:
    response = music.request("PUT", "/Playlists/Jazz.m3u8", data=_playlist_text(music.base_url).encode())
    assert response.status_code == 201
    assert response.headers["MediaVault-Playlist-Tracks"] == "5"
    assert response.headers["MediaVault-Playlist-Skipped"] == "2"
    assert names(music, "/Playlists/") == ["Jazz.m3u8"]
    assert count(database, "SELECT count(*) FROM playlist_tracks") == 5
    with database.transaction() as session:
        details = session.execute(sa.text(
            "SELECT details FROM activity_logs WHERE action = 'playlist.entries_skipped'")).scalar_one()
    assert details["skipped"] == 2 and details["entries"] == ["../Files/Music/missing.wav", "../Albums/Trip/song.wav"]

    replaced = music.request("PUT", "/Playlists/Jazz.m3u8", data=b"#EXTM3U\n../Files/Music/Live/So What.wav\n")
    assert replaced.status_code == 204 and replaced.headers["MediaVault-Playlist-Skipped"] == "0"
    assert count(database, "SELECT count(*) FROM playlist_tracks") == 1


def test_the_generated_m3u8_plays_every_entry_over_http(music: Client) -> None:
    music.request("PUT", "/Playlists/Jazz.m3u8", data=_playlist_text(music.base_url).encode())
    url = music.base_url.rstrip("/") + "/Playlists/Jazz.m3u8"
    response = music.request("GET", "/Playlists/Jazz.m3u8")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("audio/x-mpegurl")
    text = response.content.decode("utf-8")
    assert text.startswith("#EXTM3U\n")
    entries = m3u.parse(text)
    assert [entry.location for entry in entries] == [
        "../Files/Music/Blue in Green.wav", "../Files/Music/Live/So What.wav",
        "../Files/Music/naïve & café #1.wav", "../Files/Music/Blue in Green.wav",
        "../Files/Music/Live/So What.wav"]
    assert (entries[0].duration, entries[0].title) == (3, "Miles Davis - Blue in Green")
    assert (entries[1].duration, entries[1].title) == (1, "So What")
    assert entries[2].title == "naïve & café #1.wav"
    # A player resolves each entry against the playlist's own location and plays it.
    for entry in entries:
        track = urljoin(url, quote(entry.location))
        played = music.request("GET", track[len(music.base_url.rstrip("/")):])
        assert played.status_code == 200, track
        assert played.content == SONGS["/Files/" + entry.location.split("/Files/", 1)[1]]
    # As a file in a listing, its size and ETag are those of what GET returns.
    head = music.request("HEAD", "/Playlists/Jazz.m3u8")
    assert head.headers["Content-Length"] == str(len(response.content))
    assert head.headers["ETag"] == response.headers["ETag"]


def test_a_playlist_follows_renames_and_deletions_in_files(music: Client) -> None:
    text = b"../Files/Music/Blue in Green.wav\n../Files/Music/Live/So What.wav\n"
    music.request("PUT", "/Playlists/Mix.m3u8", data=text)
    move(music, "/Files/Music/Live", "/Files/Music/Concerts")
    music.request("DELETE", "/Files/Music/Blue in Green.wav")
    entries = m3u.parse(music.request("GET", "/Playlists/Mix.m3u8").text)
    assert [entry.location for entry in entries] == ["../Files/Music/Concerts/So What.wav"]


def test_playlists_are_renamed_and_deleted_without_touching_files(music: Client, database: Database) -> None:
    music.request("PUT", "/Playlists/Old.m3u8", data=b"../Files/Music/Blue in Green.wav\n")
    assert move(music, "/Playlists/Old.m3u8", "/Playlists/New.m3u8").status_code == 201
    assert names(music, "/Playlists/") == ["New.m3u8"]
    assert music.request("DELETE", "/Playlists/New.m3u8").status_code == 204
    assert names(music, "/Playlists/") == []
    assert count(database, "SELECT count(*) FROM files") == len(SONGS)
    # An .m3u is accepted and shown as .m3u8; other names are refused.
    assert music.request("PUT", "/Playlists/Plain.m3u", data=b"../Files/Music/Blue in Green.wav\n").status_code == 201
    assert names(music, "/Playlists/") == ["Plain.m3u8"]
    refused = music.request("PUT", "/Playlists/notes.txt", data=b"x")
    assert refused.status_code == 403 and ".m3u8" in refused.text
    assert music.request("MKCOL", "/Playlists/Folder").status_code == 403
    assert count(database, "SELECT count(*) FROM playlists") == 1


def test_a_play_counts_for_players_never_for_sync_clients(music: Client, database: Database) -> None:
    path = "/Files/Music/Blue in Green.wav"

    def plays() -> list[str]:
        with database.transaction() as session:
            return list(session.execute(sa.text("SELECT client FROM play_history ORDER BY id")).scalars())

    for agent in ("rclone/v1.60.1", "WebDAVFS/3.0.0 (03008000) Darwin/22.1.0 (x86_64)",
                  "Microsoft-WebDAV-MiniRedir/10.0.19045", "davfs2/1.7.0 neon/0.32.5"):
        assert music.request("GET", path, headers={"User-Agent": agent}).status_code == 200
    assert plays() == []
    vlc = {"User-Agent": "VLC/3.0.18 LibVLC/3.0.18"}
    assert music.request("GET", path, headers={**vlc, "Range": "bytes=1000-"}).status_code == 206  # a seek
    assert plays() == []
    assert music.request("GET", path, headers={**vlc, "Range": "bytes=0-"}).status_code == 206
    assert music.request("GET", path, headers=vlc).status_code == 200  # the same play, re-opened
    assert plays() == ["VLC/3.0.18 LibVLC/3.0.18"]
    mpv = {"User-Agent": "mpv 0.35.1"}
    assert music.request("GET", "/Files/Music/Live/So What.wav", headers=mpv).status_code == 200
    assert plays() == ["VLC/3.0.18 LibVLC/3.0.18", "mpv 0.35.1"]  # each play names its client
