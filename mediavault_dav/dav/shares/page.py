"""The page a guest's browser gets for a share (or a folder inside one).

A plain HTML listing — names, sizes, dates, a download link for every file and a
zip of the whole folder — with pictures previewed and audio and video playable
in place (the browser seeks with Range requests, which the file GET serves).
There is no script on the page; names are escaped by Jinja2's autoescaping and
every link is built from percent-encoded names under the share's own address,
so a file called ``<img src=x onerror=…>.jpg`` is text, and no link leaves it.

A share with a download limit shows no picture previews (each would spend a
download); its players load nothing until played (``preload="none"``, as on
every share), and playing a file counts as one download however much it is
seeked (vault/share_downloads.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any
from urllib.parse import quote

import jinja2

from mediavault_dav.dav import content_policy
from mediavault_dav.dav.shares.resources import ShareCollection

_TEMPLATES = resources.files("mediavault_dav.dav.shares") / "templates"
STYLESHEET = (_TEMPLATES / "page.css").read_text(encoding="utf-8")
POLICY = content_policy.page_policy(STYLESHEET)
_ENVIRONMENT = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                                  lstrip_blocks=True)
_TEMPLATE = _ENVIRONMENT.from_string((_TEMPLATES / "page.html").read_text(encoding="utf-8"))

_KINDS = {"folder": "Shared folder", "file": "Shared file", "album": "Shared album",
          "smart_folder": "Shared smart folder", "tag": "Shared tag"}


@dataclass(frozen=True)
class Crumb:
    name: str
    href: str


@dataclass(frozen=True)
class Row:
    name: str
    kind: str  # folder, image, audio, video, file
    href: str
    is_folder: bool
    size: str
    exact_size: str
    modified: str
    iso_modified: str
    download_href: str | None = None
    preview: str | None = None
    player: str | None = None


def respond(collection: ShareCollection, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    body = render(collection, environ).encode("utf-8")
    start_response("200 OK", [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Length", str(len(body))),
        ("Content-Security-Policy", POLICY),
        ("Cache-Control", "private, no-store"),
    ])
    return [b"" if environ["REQUEST_METHOD"] == "HEAD" else body]


def render(collection: ShareCollection, environ: dict[str, Any]) -> str:
    listing = collection.load_listing()
    share = collection.opened.share
    left = None if share.max_downloads is None else share.max_downloads - share.download_count
    limited = left is not None
    base = environ.get("SCRIPT_NAME", "") + collection.path.rstrip("/")
    rows: list[Row] = []
    for folder in listing.folders:
        href = _href(base, folder.name) + "/"
        rows.append(Row(folder.name, "folder", href, True, "", "", *_when(folder.modified_at)))
    total = 0
    for shown in listing.files:
        entry = shown.entry
        total += entry.size
        href = _href(base, shown.name)
        player = content_policy.media_kind(entry.mime_type)
        preview = href + "?preview" if content_policy.is_previewable_image(entry.mime_type) and not limited else None
        kind = player or ("image" if content_policy.is_previewable_image(entry.mime_type) else "file")
        rows.append(Row(shown.name, kind, href, False, human_size(entry.size), f"{entry.size:,} bytes",
                        *_when(entry.modified_at), download_href=href + "?download", preview=preview, player=player))
    counts = [_count(len(listing.folders), "folder"), _count(len(listing.files), "file")]
    summary = " · ".join([_KINDS[collection.target.kind], *[count for count in counts if count], human_size(total)])
    return _TEMPLATE.render(
        title=collection.get_display_name(),
        stylesheet=STYLESHEET,
        crumbs=_crumbs(collection, environ),
        summary=summary,
        zip_href=(base + "/?download") if rows and collection.target.kind != "file" else None,
        downloads_left=left,
        rows=rows,
    )


def _crumbs(collection: ShareCollection, environ: dict[str, Any]) -> list[Crumb]:
    root = environ.get("SCRIPT_NAME", "") + "/" + collection.opened.token
    crumbs = [Crumb(collection.target.name, quote(root, safe="/") + "/")]
    walked = root
    for segment in [part for part in collection.path.split("/") if part][1:]:
        walked += "/" + segment
        crumbs.append(Crumb(segment, quote(walked, safe="/") + "/"))
    return crumbs


def _href(base: str, name: str) -> str:
    return quote(base, safe="/") + "/" + quote(name, safe="")


def _when(moment: datetime) -> tuple[str, str]:
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%d %H:%M UTC"), utc.isoformat(timespec="seconds")


def _count(number: int, noun: str) -> str:
    if not number:
        return ""
    return f"{number} {noun}" + ("" if number == 1 else "s")


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} bytes"
