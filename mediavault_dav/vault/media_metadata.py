"""What is cheap to know about a content: image size, play length, title, artist.

Read from the stored blob after an upload is safe (vault/media_scanner.py), never
on the upload path, and never allowed to fail anything: a file that cannot be
parsed simply has no metadata. Three small pure-Python readers do the work
(docs/dependencies.md): imagesize (dimensions from image headers), mutagen
(audio tags and length, and MP4/M4A/MOV length), and our Matroska reader.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import BinaryIO

import imagesize
import mutagen
import sqlalchemy as sa
from sqlalchemy.orm import Session

from mediavault_dav.vault import matroska

_log = logging.getLogger(__name__)

MAX_TEXT = 500
_MATROSKA_TYPES = ("video/x-matroska", "video/webm", "audio/webm", "audio/x-matroska", "application/x-matroska")


@dataclass(frozen=True)
class MediaMetadata:
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None
    title: str | None = None
    artist: str | None = None


def can_read(mime_type: str) -> bool:
    """Only media types are worth opening; everything else has nothing to read."""
    return mime_type.startswith(("image/", "audio/", "video/")) or mime_type in _MATROSKA_TYPES \
        or mime_type == "application/ogg"


def read(stream: BinaryIO, mime_type: str) -> MediaMetadata:
    """Whatever can be read; an empty result for anything unreadable."""
    try:
        if mime_type.startswith("image/"):
            return _image(stream)
        if mime_type in _MATROSKA_TYPES:
            duration, title = matroska.read(stream)
            return MediaMetadata(duration_seconds=_length(duration), title=_text(title))
        return _audio_or_video(stream)
    except Exception as error:  # noqa: BLE001 - a parse failure is never an upload failure
        _log.info("could not read %s metadata: %s", mime_type, type(error).__name__)
        return MediaMetadata()


def _image(stream: BinaryIO) -> MediaMetadata:
    width, height = imagesize.get(stream)
    if width <= 0 or height <= 0:
        return MediaMetadata()
    return MediaMetadata(width=width, height=height)


def _audio_or_video(stream: BinaryIO) -> MediaMetadata:
    parsed = mutagen.File(stream, easy=True)
    if parsed is None:
        return MediaMetadata()
    info = getattr(parsed, "info", None)
    tags = parsed.tags or {}
    return MediaMetadata(
        duration_seconds=_length(getattr(info, "length", None)),
        title=_first(tags, _TITLE_KEYS),
        artist=_first(tags, _ARTIST_KEYS),
    )


# mutagen's "easy" names (MP3, MP4, Vorbis, FLAC), then raw ID3 frames (WAV, AIFF) and ASF (WMA).
_TITLE_KEYS = ("title", "TIT2", "Title")
_ARTIST_KEYS = ("artist", "TPE1", "Author")


def _first(tags: object, keys: tuple[str, ...]) -> str | None:
    for key in keys:
        try:
            values = tags[key]  # type: ignore[index]
        except (KeyError, ValueError, TypeError):
            continue
        values = getattr(values, "text", values)  # an ID3 frame holds its values in .text
        if isinstance(values, list):
            values = values[0] if values else None
        found = _text(getattr(values, "value", values))  # ASF values wrap theirs in .value
        if found:
            return found
    return None


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).replace("\x00", " ").split())
    return text[:MAX_TEXT] or None


def _length(seconds: float | None) -> float | None:
    if seconds is None or not math.isfinite(seconds) or seconds <= 0 or seconds > 10**8:
        return None
    return round(float(seconds), 3)


def record(session: Session, media_file_id: int, metadata: MediaMetadata) -> None:
    """Store what was read, and that it was read (even if nothing was)."""
    session.execute(
        sa.text("""UPDATE media_files SET width = :width, height = :height, duration_seconds = :duration,
                          title = :title, artist = :artist, metadata_read_at = now()
                   WHERE id = :id"""),
        {"id": media_file_id, "width": metadata.width, "height": metadata.height,
         "duration": None if metadata.duration_seconds is None else Decimal(str(metadata.duration_seconds)),
         "title": metadata.title, "artist": metadata.artist},
    )


@dataclass(frozen=True)
class Unread:
    media_file_id: int
    sha256: str
    mime_type: str


def unread(session: Session, limit: int = 1000) -> list[Unread]:
    """Media contents the reader has not looked at yet (oldest first)."""
    found = session.execute(
        sa.text("""SELECT id, sha256, mime_type FROM media_files
                   WHERE metadata_read_at IS NULL
                     AND (mime_type LIKE 'image/%' OR mime_type LIKE 'audio/%' OR mime_type LIKE 'video/%'
                          OR mime_type = ANY(CAST(:others AS text[])))
                   ORDER BY id LIMIT :limit"""),
        {"limit": limit, "others": [*_MATROSKA_TYPES, "application/ogg"]},
    )
    return [Unread(row.id, row.sha256, row.mime_type) for row in found]


@dataclass(frozen=True)
class Description:
    """What the DAV properties show about one file."""

    category: str | None
    tags: list[str] = field(default_factory=list)
    metadata: MediaMetadata = MediaMetadata()


def describe(session: Session, user_id: int, file_ids: Sequence[int]) -> dict[int, Description]:
    """Category, tags and metadata of the user's files, in one statement."""
    if not file_ids:
        return {}
    found = session.execute(
        sa.text("""SELECT e.id, c.name AS category, m.width, m.height, m.duration_seconds, m.title, m.artist,
                          ARRAY(SELECT t.name FROM file_tags ft JOIN tags t ON t.id = ft.tag_id
                                WHERE ft.file_id = e.id ORDER BY t.name_key) AS tags
                   FROM files e JOIN media_files m ON m.id = e.media_file_id
                   LEFT JOIN categories c ON c.id = m.category_id
                   WHERE e.user_id = :user AND e.id = ANY(CAST(:ids AS bigint[]))"""),
        {"user": user_id, "ids": list(file_ids)},
    )
    return {
        row.id: Description(row.category, list(row.tags), MediaMetadata(
            row.width, row.height, None if row.duration_seconds is None else float(row.duration_seconds),
            row.title, row.artist))
        for row in found
    }
