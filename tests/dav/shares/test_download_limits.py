"""Download limits: counted once per download (not per Range request), atomically; then 410."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import requests
import sqlalchemy as sa

from mediavault_dav.db.database import Database
from mediavault_dav.server import Gateway
from mediavault_dav.settings import Settings
from mediavault_dav.vault.users import Account
from tests.dav.shares.share_support import activity, make_share, mkcol, put
from tests.media_samples import png, wav
from tests.support import Client, gateway_with

SONG = wav(20.0)


@pytest.fixture
def proxied(settings: Settings, database: Database) -> Iterator[Gateway]:
    """Believes X-Forwarded-For from loopback, so a test can speak for several guests."""
    with gateway_with(settings, database, trusted_proxies=("127.0.0.1/32",)) as running:
        yield running


@pytest.fixture
def music(alice_client: Client) -> None:
    mkcol(alice_client, "/Files/Music")
    put(alice_client, "/Files/Music/song.wav", SONG)
    put(alice_client, "/Files/Music/cover.png", png(8, 8))


def _downloads(database: Database, share_id: int) -> int:
    with database.transaction() as session:
        return session.execute(sa.text("SELECT download_count FROM share_links WHERE id = :id"),
                               {"id": share_id}).scalar_one()


def _fetch(gateway: Gateway, path: str, address: str, **headers: str) -> requests.Response:
    return requests.get(gateway.url.rstrip("/") + path, headers={"X-Forwarded-For": address, **headers},
                        timeout=30)


def test_a_player_seeking_counts_once_and_keeps_playing_after_the_limit(
        proxied: Gateway, alice: Account, music: None, database: Database) -> None:
    share = make_share(database, proxied.url, alice, "/Files/Music/song.wav", max_downloads=2)
    song = share.path + "song.wav"
    listener, other = "192.0.2.10", "198.51.100.20"
    # A browser's player: first from the start, then seeks backwards and forwards.
    for byte_range in ("bytes=0-", "bytes=100000-", "bytes=50000-59999", "bytes=0-1", "bytes=150000-"):
        answer = _fetch(proxied, song, listener, Range=byte_range)
        assert answer.status_code == 206, (byte_range, answer.status_code)
    assert _downloads(database, share.id) == 1
    # A whole-file download is a download of its own: the second and last.
    full = _fetch(proxied, song, listener)
    assert full.status_code == 200 and full.content == SONG
    assert _downloads(database, share.id) == 2
    # Used up: new downloads are refused with 410, from anyone ...
    assert _fetch(proxied, song, listener).status_code == 410
    assert _fetch(proxied, song, other, Range="bytes=0-").status_code == 410
    for method in ("HEAD", "PROPFIND"):
        assert requests.request(method, proxied.url.rstrip("/") + share.path, timeout=30,
                                headers={"Depth": "1"}).status_code == 410
    gone = _fetch(proxied, share.path, other)
    assert gone.status_code == 410 and b"download limit" in gone.content.lower()
    # ... but the listener's player may still seek in the download it started.
    assert _fetch(proxied, song, listener, Range="bytes=120000-120009").content == SONG[120000:120010]
    assert _downloads(database, share.id) == 2
    counted = activity(database, "share.download")
    assert [row.details["number"] for row in counted] == [1, 2]
    refused = [row for row in activity(database, "share.access", at_least=12) if row.outcome == "limit_reached"]
    assert len(refused) == 5 and all(row.status_code == 410 for row in refused)


def test_a_limit_of_one_with_twenty_concurrent_downloads_serves_exactly_one(
        gateway: Gateway, alice: Account, music: None, database: Database) -> None:
    share = make_share(database, gateway.url, alice, "/Files/Music/song.wav", max_downloads=1)
    url = gateway.url.rstrip("/") + share.path + "song.wav"
    start = threading.Barrier(20)
    results: list[tuple[int, bytes]] = []
    lock = threading.Lock()

    def download() -> None:
        start.wait()
        answer = requests.get(url, timeout=60)
        with lock:
            results.append((answer.status_code, answer.content))

    threads = [threading.Thread(target=download) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [410] * 19
    assert next(content for status, content in results if status == 200) == SONG
    assert _downloads(database, share.id) == 1
    assert len(activity(database, "share.download")) == 1


def test_looking_is_not_downloading(gateway: Gateway, alice: Account, alice_client: Client, music: None,
                                    database: Database) -> None:
    share = make_share(database, gateway.url, alice, "/Files/Music", max_downloads=1)
    guest = share.guest
    assert share.get().status_code == 200  # the page
    assert share.request("PROPFIND", headers={"Depth": "1"}).status_code == 207
    assert share.request("HEAD", "song.wav").status_code == 200
    assert share.request("OPTIONS", "song.wav").status_code == 200
    etag = alice_client.request("HEAD", "/Files/Music/song.wav").headers["ETag"]
    assert guest.request("GET", share.path + "song.wav", headers={"If-None-Match": etag}).status_code == 304
    assert _downloads(database, share.id) == 0
    # A limited share's page shows no picture previews (each would spend a download).
    assert "?preview" not in share.get().text and "1 more download" in share.get().text


def test_a_zip_is_one_download_and_previews_are_not_a_way_around_the_limit(
        gateway: Gateway, alice: Account, music: None, database: Database) -> None:
    limited = make_share(database, gateway.url, alice, "/Files/Music", max_downloads=2)
    assert limited.get("?download").status_code == 200
    assert _downloads(database, limited.id) == 1
    assert limited.get("cover.png?preview").status_code == 200  # counted like any download
    assert _downloads(database, limited.id) == 2
    assert limited.get("cover.png?preview").status_code == 410
    assert limited.get("?download").status_code == 410

    unlimited = make_share(database, gateway.url, alice, "/Files/Music")
    for _ in range(3):
        assert unlimited.get("cover.png?preview").status_code == 200  # a page's thumbnails: not downloads
    assert unlimited.get("cover.png").status_code == 200
    assert _downloads(database, unlimited.id) == 1
