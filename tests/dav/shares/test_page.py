"""The browser view of a share over HTTP: the page, and user content kept inert."""

from __future__ import annotations

import base64
import hashlib
import html
import re
from html.parser import HTMLParser

import pytest

from mediavault_dav.db.database import Database
from mediavault_dav.server import Gateway
from mediavault_dav.vault.users import Account
from tests.dav.shares.share_support import Share, make_share, mkcol, put
from tests.media_samples import png, wav
from tests.support import Client

HOSTILE = '<img src=x onerror="alert(1)">.txt'
QUOTED = "it's \"quoted\" & <b>bold.txt"


@pytest.fixture
def gallery(gateway: Gateway, alice: Account, alice_client: Client, database: Database) -> Share:
    mkcol(alice_client, "/Files/Gallery")
    mkcol(alice_client, "/Files/Gallery/Älbum 2")
    put(alice_client, "/Files/Gallery/photo.png", png(6, 4))
    put(alice_client, "/Files/Gallery/song.wav", wav(1.0))
    put(alice_client, "/Files/Gallery/clip.webm", b"\x1a\x45\xdf\xa3 not really a film")
    put(alice_client, "/Files/Gallery/page.html", b"<script>document.title='owned'</script>")
    put(alice_client, "/Files/Gallery/drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>')
    put(alice_client, "/Files/Gallery/data.xml", b"<x/>")
    put(alice_client, "/Files/Gallery/tool.js", b"alert(1)")
    put(alice_client, "/Files/Gallery/Älbum 2/deep.txt", b"deeper")
    put(alice_client, "/Files/Gallery/._photo.png", b"finder")
    for name in (HOSTILE, QUOTED):
        assert alice_client.request("PUT", "/Files/Gallery/" + _quote(name), data=b"x").status_code == 201
    return make_share(database, gateway.url, alice, "/Files/Gallery")


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def _tags(text: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = _Tags()
    parser.feed(text)
    return parser.found


def _hrefs(tags: list[tuple[str, list[tuple[str, str | None]]]]) -> set[str]:
    return {value or "" for _, attributes in tags for name, value in attributes if name in ("href", "src")}


def _quote(name: str) -> str:
    from urllib.parse import quote
    return quote(name, safe="")


def test_the_page_lists_names_sizes_dates_and_download_links(gallery: Share) -> None:
    page = gallery.get()
    assert page.status_code == 200 and page.headers["Content-Type"] == "text/html; charset=utf-8"
    text = page.text
    base = gallery.path
    assert '<h1 id="title">Gallery</h1>' in text
    assert f'href="{base}%C3%84lbum%202/">Älbum 2/</a>' in text
    assert f'href="{base}photo.png?download" download>Download</a>' in text
    assert f'<img class="thumb" src="{base}photo.png?preview"' in text  # a picture preview
    assert f'<audio controls preload="none" src="{base}song.wav">' in text
    assert f'<video controls preload="none" src="{base}clip.webm">' in text
    assert re.search(r'<td class="size" title="[\d,]+ bytes">[\d.]+ (bytes|kB)</td>', text)
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00">'
                     r'\d{4}-\d\d-\d\d \d\d:\d\d UTC</time>', text)
    assert f'href="{base}?download"' in text  # the folder as one zip
    assert "._photo.png" not in text
    sub = gallery.get("%C3%84lbum%202/")
    assert 'href="' + base + '">Gallery</a>' in sub.text and "deep.txt" in sub.text


def test_names_are_escaped_and_the_page_runs_no_script(gallery: Share) -> None:
    text = gallery.get().text
    assert HOSTILE not in text and "<b>bold" not in text
    shown = [html.unescape(cell) for cell in re.findall(r'<a class="entry" href="[^"]*">([^<]*)</a>', text)]
    assert HOSTILE in shown and QUOTED in shown  # shown as text, exactly
    tags = _tags(text)
    assert "script" not in {tag for tag, _ in tags}
    assert not [name for _, attributes in tags for name, _ in attributes if name.startswith("on")]
    assert all(link.startswith(gallery.path) for link in _hrefs(tags))  # no link leaves the share
    policy = gallery.get().headers["Content-Security-Policy"]
    assert "script-src" not in policy and "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    # The one stylesheet is allowed by its hash, and nothing else inline.
    style = re.search(r"<style>(.*?)</style>", text, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in policy


@pytest.mark.parametrize(("name", "disposition"), [
    ("page.html", "attachment"),
    ("drawing.svg", "attachment"),
    ("data.xml", "attachment"),
    ("tool.js", "attachment"),
    ("photo.png", "inline"),
    ("song.wav", "inline"),
    ("Älbum 2/deep.txt", "inline"),
])
def test_user_content_never_runs_in_the_gateway_origin(gallery: Share, name: str, disposition: str) -> None:
    answer = gallery.get("/".join(_quote(part) for part in name.split("/")))
    assert answer.status_code == 200
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Content-Disposition"].startswith(disposition + ";")
    policy = answer.headers["Content-Security-Policy"]
    assert "sandbox" in policy and "script-src" not in policy and "default-src 'none'" in policy
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    forced = gallery.get("/".join(_quote(part) for part in name.split("/")) + "?download")
    assert forced.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''" in forced.headers["Content-Disposition"]


def test_every_answer_carries_the_security_headers(gallery: Share) -> None:
    for answer in (gallery.get(), gallery.get("missing.txt"), gallery.guest.request("GET", "/s/nope/"),
                   gallery.request("PUT", "x.txt", data=b"x"), gallery.request("PROPFIND", headers={"Depth": "1"})):
        assert answer.headers["X-Content-Type-Options"] == "nosniff", answer.status_code
        assert answer.headers["Referrer-Policy"] == "no-referrer"
        assert answer.headers["X-Robots-Tag"] == "noindex, nofollow"
        assert "Content-Security-Policy" in answer.headers


def test_the_share_address_without_its_slash_is_the_page_not_a_redirect(gallery: Share) -> None:
    answer = gallery.guest.request("GET", gallery.path.rstrip("/"), allow_redirects=False)
    assert answer.status_code == 200 and "Location" not in answer.headers
    assert f'href="{gallery.path}photo.png?download"' in answer.text  # links are absolute all the same
