"""The M3U / M3U8 playlist format: writing and reading, nothing else.

Written as extended M3U in UTF-8 (``.m3u8``): ``#EXTM3U``, then per track an
``#EXTINF:<seconds>,<artist> - <title>`` line and the track's location. Reading
accepts what players and editors write: plain or extended M3U, UTF-8 with or
without a byte-order mark, else Windows-1252 (the old ``.m3u`` default), any line
ending; comments and directives other than ``#EXTINF`` are ignored.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

HEADER = "#EXTM3U"
UNKNOWN_DURATION = -1


@dataclass(frozen=True)
class Entry:
    location: str  # as written: a relative path, an absolute path or a URL
    duration: int | None = None  # whole seconds, None when unknown
    title: str | None = None


def _one_line(text: str) -> str:
    return " ".join(text.split())


def render(entries: Iterable[Entry], playlist_name: str | None = None) -> str:
    lines = [HEADER]
    if playlist_name:
        lines.append(f"#PLAYLIST:{_one_line(playlist_name)}")
    for entry in entries:
        duration = UNKNOWN_DURATION if entry.duration is None else entry.duration
        lines.append(f"#EXTINF:{duration},{_one_line(entry.title or '')}")
        lines.append(entry.location)
    return "\n".join(lines) + "\n"


def track_title(title: str | None, artist: str | None, fallback: str) -> str:
    if title and artist:
        return f"{artist} - {title}"
    return title or fallback


def whole_seconds(duration: float | None) -> int | None:
    return None if duration is None else int(math.ceil(float(duration)))


def decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def parse(text: str) -> list[Entry]:
    entries: list[Entry] = []
    duration: int | None = None
    title: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if line.upper().startswith("#EXTINF:"):
                duration, title = _extinf(line[len("#EXTINF:"):])
            continue
        entries.append(Entry(line, duration, title))
        duration, title = None, None
    return entries


def _extinf(value: str) -> tuple[int | None, str | None]:
    length, _, title = value.partition(",")
    # "#EXTINF:123 tvg-id=... ,Title": attributes may follow the length.
    length = length.strip().split(" ", 1)[0]
    try:
        seconds = int(float(length))
    except ValueError:
        seconds = UNKNOWN_DURATION
    return (None if seconds < 0 else seconds), (title.strip() or None)
