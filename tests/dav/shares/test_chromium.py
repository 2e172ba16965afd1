"""A guest's browser on a share page: headless Chromium (Debian ``chromium``) against the real server.

The screenshot of the page is kept as a test artifact in ``$MEDIAVAULT_TEST_ARTIFACTS``
(default: ``test-artifacts/`` at the top of the repository), as
``chromium-share-page.png``, with the DOM Chromium built beside it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mediavault_dav.db.database import Database
from mediavault_dav.server import Gateway
from mediavault_dav.vault.users import Account
from tests.chromium import Chromium
from tests.dav.shares.share_support import Share, activity, make_share, mkcol, put
from tests.media_samples import png, wav
from tests.support import Client, require_tool

pytestmark = pytest.mark.slow

REPOSITORY = Path(__file__).resolve().parents[3]
SONG = wav(240.0, rate=48_000)  # 11.5 MB: more than a player fetches ahead, so a far seek asks again
PHOTO = png(64, 48)
NOTES = b"Packing list:\n- passport\n- <script>alert('not run')</script>\n"


def artifacts() -> Path:
    return Path(os.environ.get("MEDIAVAULT_TEST_ARTIFACTS", REPOSITORY / "test-artifacts"))


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[Chromium]:
    browser = Chromium(require_tool("chromium"), tmp_path / "profile")
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def holiday(gateway: Gateway, alice: Account, alice_client: Client, database: Database) -> Share:
    mkcol(alice_client, "/Files/Holiday")
    mkcol(alice_client, "/Files/Holiday/Day 2")
    put(alice_client, "/Files/Holiday/beach.png", PHOTO)
    put(alice_client, "/Files/Holiday/waves.wav", SONG)
    put(alice_client, "/Files/Holiday/notes.txt", NOTES)
    put(alice_client, "/Files/Holiday/._beach.png", b"finder")
    return make_share(database, gateway.url, alice, "/Files/Holiday")


def test_a_guest_sees_the_listing_downloads_a_file_and_seeks_in_audio(
        chromium: Chromium, holiday: Share, gateway: Gateway, database: Database, tmp_path: Path) -> None:
    page = chromium.open_page()
    url = gateway.url.rstrip("/") + holiday.path
    chromium.navigate(page, url)

    # The listing, as the guest sees it (and styled: the stylesheet passed the page's CSP).
    seen = chromium.evaluate(page, """({
        title: document.querySelector('h1').textContent,
        names: [...document.querySelectorAll('#listing a.entry')].map(a => a.textContent),
        sizes: [...document.querySelectorAll('#listing td.size')].map(td => td.textContent),
        downloads: [...document.querySelectorAll('#listing a.download')].map(a => a.getAttribute('href')),
        zip: document.querySelector('#download-all').getAttribute('href'),
        styled: getComputedStyle(document.body).maxWidth,
    })""")
    assert seen["title"] == "Holiday"
    assert seen["names"] == ["Day 2/", "beach.png", "notes.txt", "waves.wav"]
    assert seen["sizes"][1:] == [f"{len(PHOTO)} bytes", f"{len(NOTES)} bytes", f"{len(SONG) / 1e6:.1f} MB"]
    assert seen["downloads"] == [holiday.path + name + "?download" for name in ("beach.png", "notes.txt", "waves.wav")]
    assert seen["zip"] == holiday.path + "?download"
    assert seen["styled"] == "1024px"
    preview = chromium.evaluate(page, """(async () => {
        const img = document.querySelector('img.thumb');
        if (!img.complete) await new Promise(ok => img.addEventListener('load', ok, {once: true}));
        return [img.naturalWidth, img.naturalHeight];
    })()""")
    assert preview == [64, 48]

    # The screenshot: kept for people to look at.
    shot = artifacts() / "chromium-share-page.png"
    chromium.screenshot(page, shot)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 5000
    (artifacts() / "chromium-share-page.html").write_text(
        chromium.evaluate(page, "document.documentElement.outerHTML"), encoding="utf-8")

    # A download link works: the browser saves the file, byte for byte.
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    chromium.send("Browser.setDownloadBehavior",
                  {"behavior": "allow", "downloadPath": str(downloads), "eventsEnabled": True})
    chromium.evaluate(page, "document.querySelector('a.download[href$=\"notes.txt?download\"]').click()")
    chromium.wait_for("Browser.downloadProgress", state="completed")
    assert (downloads / "notes.txt").read_bytes() == NOTES

    # The audio element plays and seeks: the server answers its Range requests.
    played = chromium.evaluate(page, """(async () => {
        const audio = document.querySelector('audio');
        const waitFor = (name) => new Promise((ok, fail) => {
            audio.addEventListener(name, ok, {once: true});
            audio.addEventListener('error', () => fail('media error ' + (audio.error && audio.error.code)),
                                   {once: true});
            setTimeout(() => fail('no ' + name + ' within 20 s'), 20000);
        });
        const loaded = waitFor('loadedmetadata');
        audio.preload = 'auto';
        audio.load();
        await loaded;
        await audio.play();
        const target = audio.duration * 0.9;
        const seeked = waitFor('seeked');
        audio.currentTime = target;
        await seeked;
        return {duration: audio.duration, target: target, now: audio.currentTime,
                seekable: audio.seekable.length ? audio.seekable.end(0) : 0, src: audio.currentSrc};
    })()""", timeout=60)
    assert played["src"] == url + "waves.wav"
    assert abs(played["duration"] - 240.0) < 0.5
    assert played["seekable"] == pytest.approx(played["duration"], abs=0.5)  # seekable: Range is served
    assert abs(played["now"] - played["target"]) < 2.0

    # What the server saw: the player's requests were Range requests answered 206, one starting
    # far into the file for the seek, and playing counted as one download.
    deadline = time.monotonic() + 10
    while True:
        ranged = [row for row in activity(database, "share.access")
                  if row.path == "/waves.wav" and row.status_code == 206 and "HeadlessChrome" in (row.user_agent or "")]
        starts = sorted(int(row.details["range"].split("=")[1].split("-")[0]) for row in ranged)
        if (starts and starts[-1] > len(SONG) // 2) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert starts and starts[0] == 0, starts
    assert starts[-1] > len(SONG) // 2, starts
    counted = [row for row in activity(database, "share.download") if row.path == "/waves.wav"]
    assert len(counted) == 1
    errors = [event["params"]["entry"]["text"] for event in chromium.events
              if event["method"] == "Log.entryAdded" and event["params"]["entry"]["level"] == "error"]
    assert not [text for text in errors if "Content Security Policy" in text], errors
