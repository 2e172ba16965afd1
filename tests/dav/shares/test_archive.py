"""A shared folder as one streamed zip: what the share shows, and memory that stays flat."""

from __future__ import annotations

import io
import os
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psutil
import pytest

from mediavault_dav.db.database import Database
from mediavault_dav.server import Gateway
from mediavault_dav.vault.users import Account
from tests.dav.shares.share_support import make_share, mkcol, put
from tests.support import Client

ODD = 'odd "name" <tag> & such.txt'


def _url_path(path: str) -> str:
    return "/".join(quote(part, safe="") for part in path.split("/"))


def test_a_folder_downloads_as_one_zip_of_what_the_share_shows(
        gateway: Gateway, alice: Account, alice_client: Client, database: Database) -> None:
    mkcol(alice_client, "/Files/Trip")
    mkcol(alice_client, "/Files/Trip/Älbum 2")
    mkcol(alice_client, "/Files/Trip/empty")
    put(alice_client, "/Files/Trip/a.txt", b"first")
    put(alice_client, "/Files/Trip/Älbum 2/deep.bin", os.urandom(3 * 1024 * 1024 + 17))
    put(alice_client, "/Files/Trip/" + _url_path(ODD), b"odd")
    put(alice_client, "/Files/Trip/._a.txt", b"finder")
    put(alice_client, "/Files/Trip/Älbum 2/Thumbs.db", b"explorer")
    share = make_share(database, gateway.url, alice, "/Files/Trip")

    answer = share.get("?download")
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/zip"
    assert "Content-Length" not in answer.headers and answer.headers["Transfer-Encoding"] == "chunked"
    assert answer.headers["Content-Disposition"].startswith('attachment; filename="Trip.zip"')
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    assert archive.testzip() is None  # every CRC checks
    assert sorted(archive.namelist()) == sorted(["Älbum 2/", "empty/", "a.txt", "Älbum 2/deep.bin", ODD])
    for name in archive.namelist():
        if not name.endswith("/"):
            original = alice_client.request("GET", "/Files/Trip/" + _url_path(name)).content
            assert archive.read(name) == original, name
    sub = zipfile.ZipFile(io.BytesIO(share.get("%C3%84lbum%202/?download").content))
    assert sub.namelist() == ["deep.bin"]
    head = share.request("HEAD", "?download")
    assert head.status_code == 200 and head.content == b""


def test_an_album_zips_flat_under_its_shown_names(gateway: Gateway, alice: Account, alice_client: Client,
                                                   database: Database) -> None:
    mkcol(alice_client, "/Files/A")
    mkcol(alice_client, "/Files/B")
    put(alice_client, "/Files/A/x.jpg", b"first")
    put(alice_client, "/Files/B/x.jpg", b"second")
    mkcol(alice_client, "/Albums/Both")
    for source, name in (("/Files/A/x.jpg", "x.jpg"), ("/Files/B/x.jpg", "x (2).jpg")):
        assert alice_client.request("COPY", source, headers={
            "Destination": alice_client.base_url.rstrip("/") + "/Albums/Both/" + quote(name)}).status_code == 201
    share = make_share(database, gateway.url, alice, "/Albums/Both")
    archive = zipfile.ZipFile(io.BytesIO(share.get("?download").content))
    assert {name: archive.read(name) for name in archive.namelist()} == {"x.jpg": b"first", "x (2).jpg": b"second"}


FILM_BYTES = 128 * 1024 * 1024
COPIES = 3


def _film_chunks() -> Iterator[bytes]:
    block = os.urandom(1024 * 1024)
    for number in range(FILM_BYTES // len(block)):
        yield number.to_bytes(8, "big") + block[8:]


class _PeakMemory:
    """The process's resident memory, sampled every 10 ms (the gateway runs in this process)."""

    def __init__(self) -> None:
        self._process = psutil.Process()
        self.baseline = self._process.memory_info().rss
        self.peak = self.baseline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._process.memory_info().rss)
            time.sleep(0.01)

    def __enter__(self) -> _PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@pytest.mark.slow
def test_a_384_mib_zip_streams_in_flat_memory(gateway: Gateway, alice: Account, alice_client: Client,
                                              database: Database, tmp_path: Path) -> None:
    mkcol(alice_client, "/Files/Films")
    for number in range(COPIES):  # one blob, three names: the zip reads it three times
        response = alice_client.request("PUT", f"/Files/Films/film {number}.mkv", data=_film_chunks(), timeout=300)
        assert response.status_code == 201
    share = make_share(database, gateway.url, alice, "/Files/Films")
    saved = tmp_path / "films.zip"
    with _PeakMemory() as memory, share.get("?download", stream=True, timeout=300) as answer, \
            saved.open("wb") as output:
        assert answer.status_code == 200
        for chunk in answer.iter_content(chunk_size=1024 * 1024):
            output.write(chunk)
    growth = memory.peak - memory.baseline
    assert saved.stat().st_size > COPIES * FILM_BYTES
    assert growth < 48 * 1024 * 1024, f"memory grew by {growth / 2**20:.0f} MiB for a {COPIES * 128} MiB zip"
    with zipfile.ZipFile(saved) as archive:
        assert [(info.filename, info.file_size) for info in archive.infolist()] == [
            (f"film {number}.mkv", FILM_BYTES) for number in range(COPIES)]
        assert archive.testzip() is None
