"""When a GET is someone listening: the decision behind ``play_history``.

A sync client (rclone, a mounted drive copying a folder, Cyberduck ...) downloads
whole libraries; that must never count as listening. A GET counts as a play only
when all of these hold:

- it reads an audio or video file, from its first byte (no Range, or a Range
  starting at 0: seeking and buffering later in the track are the same play),
  unconditionally (a cache revalidation is not a play);
- the client says it is a media player or a browser (VLC, mpv, ffmpeg-based
  players, GStreamer, foobar2000, Winamp, Kodi, Apple's media stack, Windows
  Media Player, browsers), and is not a known sync or file-system client.

Plays through a mounted drive are therefore not counted: the operating system's
WebDAV client fetches the bytes for the player, and a copy looks exactly the same.
The vault then counts one play per track length (vault/play_history.py).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from mediavault_dav.vault import play_history
from mediavault_dav.vault.tree import FileEntry

_log = logging.getLogger(__name__)

_PLAYERS = re.compile(
    r"VLC|LibVLC|\bmpv\b|libmpv|Lavf|GStreamer|foobar2000|Winamp|Kodi|XBMC|AppleCoreMedia|iTunes|"
    r"QuickTime|Windows-Media-Player|NSPlayer|MPlayer|Audacious|Rhythmbox|Clementine|Strawberry|Mozilla/",
    re.IGNORECASE,
)
_NOT_LISTENING = re.compile(
    r"rclone|WebDAVFS|WebDAVLib|MiniRedir|davfs2|neon|gvfs|\bkio\b|Cyberduck|Mountain ?Duck|WinSCP|DAVx|"
    r"curl|Wget|python-requests|aiohttp|Go-http-client|ownCloud|Nextcloud|Seafile|litmus|cadaver",
    re.IGNORECASE,
)
_FROM_START = re.compile(r"^\s*bytes\s*=\s*0\s*-")


def is_listening(environ: dict[str, Any], entry: FileEntry) -> bool:
    if environ.get("REQUEST_METHOD") != "GET":
        return False
    if not (entry.mime_type.startswith(("audio/", "video/")) or entry.mime_type == "application/ogg"):
        return False
    if any(key in environ for key in ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE")):
        return False
    ranges = environ.get("HTTP_RANGE")
    if ranges and not _FROM_START.match(ranges):
        return False
    agent = environ.get("HTTP_USER_AGENT", "")
    return bool(_PLAYERS.search(agent)) and not _NOT_LISTENING.search(agent)


def record(environ: dict[str, Any], database: Any, entry: FileEntry) -> None:
    """Count the play; a failure here never fails the download."""
    try:
        with database.transaction() as session:
            play_history.record_play(session, entry, environ.get("HTTP_USER_AGENT"))
    except Exception:  # noqa: BLE001
        _log.warning("could not record a play of file %s", entry.id, exc_info=True)
