"""Duration and title of a Matroska / WebM file, read from its EBML header.

mutagen (used for audio and MP4) does not read Matroska, and a full container
library would be far heavier than the question: the duration is one float in the
Segment's Info element, normally within the first few kilobytes. This reader walks
the top-level elements, skipping clusters, and never reads more than ``LIMIT``.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

LIMIT = 4 * 1024 * 1024
_EBML = 0x1A45DFA3
_SEGMENT = 0x18538067
_INFO = 0x1549A966
_TIMECODE_SCALE = 0x2AD7B1
_DURATION = 0x4489
_TITLE = 0x7BA9
_UNKNOWN_SIZE = -1


def _vint(stream: BinaryIO, *, keep_marker: bool) -> tuple[int, int] | None:
    """(value, length in bytes) of an EBML variable-length integer."""
    first = stream.read(1)
    if not first:
        return None
    byte = first[0]
    length = 1
    mask = 0x80
    while length <= 8 and not byte & mask:
        mask >>= 1
        length += 1
    if length > 8:
        raise ValueError("invalid EBML length")
    value = byte if keep_marker else byte & (mask - 1)
    rest = stream.read(length - 1)
    if len(rest) != length - 1:
        return None
    for extra in rest:
        value = (value << 8) | extra
    if not keep_marker and value == (1 << (7 * length)) - 1:
        value = _UNKNOWN_SIZE
    return value, length


def _element(stream: BinaryIO) -> tuple[int, int] | None:
    ident = _vint(stream, keep_marker=True)
    size = _vint(stream, keep_marker=False)
    if ident is None or size is None:
        return None
    return ident[0], size[0]


def read(stream: BinaryIO) -> tuple[float | None, str | None]:
    """(duration in seconds, title), or (None, None) if this is not Matroska."""
    head = _element(stream)
    if head is None or head[0] != _EBML:
        return None, None
    stream.seek(head[1], 1)
    while stream.tell() < LIMIT:
        found = _element(stream)
        if found is None:
            return None, None
        ident, size = found
        if ident == _SEGMENT:
            continue  # descend: the Segment's children follow
        if ident == _INFO and size != _UNKNOWN_SIZE:
            return _info(stream.read(min(size, 64 * 1024)))
        if size == _UNKNOWN_SIZE:
            return None, None
        stream.seek(size, 1)
    return None, None


def _info(data: bytes) -> tuple[float | None, str | None]:
    import io

    stream = io.BytesIO(data)
    scale = 1_000_000  # nanoseconds per timecode unit, the default
    duration: float | None = None
    title: str | None = None
    while True:
        found = _element(stream)
        if found is None or found[1] == _UNKNOWN_SIZE:
            break
        ident, size = found
        value = stream.read(size)
        if ident == _TIMECODE_SCALE and 0 < size <= 8:
            scale = int.from_bytes(value, "big")
        elif ident == _DURATION and size in (4, 8):
            duration = struct.unpack(">f" if size == 4 else ">d", value)[0]
        elif ident == _TITLE:
            title = value.decode("utf-8", errors="replace").strip("\x00").strip() or None
    seconds = None if duration is None else duration * scale / 1_000_000_000
    return seconds, title
