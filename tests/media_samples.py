"""Small, real media files made on the spot (no fixtures to ship, no encoder needed)."""

from __future__ import annotations

import io
import struct
import wave
import zlib


def png(width: int, height: int) -> bytes:
    """A valid PNG of one grey colour."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def wav(seconds: float, *, title: str | None = None, artist: str | None = None, rate: int = 8000) -> bytes:
    """A silent mono WAV, with ID3 title/artist when given (written by mutagen)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as output:
        output.setnchannels(1)
        output.setsampwidth(1)
        output.setframerate(rate)
        output.writeframes(b"\x80" * int(seconds * rate))
    if title is None and artist is None:
        return buffer.getvalue()
    from mutagen.id3 import TIT2, TPE1
    from mutagen.wave import WAVE

    buffer.seek(0)
    tagged = WAVE(buffer)
    tagged.add_tags()
    if title:
        tagged.tags.add(TIT2(encoding=3, text=title))
    if artist:
        tagged.tags.add(TPE1(encoding=3, text=artist))
    tagged.save(buffer)
    return buffer.getvalue()


def _ebml(ident: int, payload: bytes) -> bytes:
    ident_bytes = ident.to_bytes((ident.bit_length() + 7) // 8, "big")
    size = len(payload) | (1 << 56)  # an 8-byte size
    return ident_bytes + size.to_bytes(8, "big") + payload


def mkv(seconds: float, title: str = "A film") -> bytes:
    """A Matroska header whose Segment Info says how long it is (no frames)."""
    header = _ebml(0x1A45DFA3, _ebml(0x4282, b"matroska"))
    info = _ebml(0x1549A966, _ebml(0x2AD7B1, (1_000_000).to_bytes(3, "big"))
                 + _ebml(0x4489, struct.pack(">d", seconds * 1000)) + _ebml(0x7BA9, title.encode()))
    seek_head = _ebml(0x114D9B74, b"\x00" * 16)
    return header + _ebml(0x18538067, seek_head + info + _ebml(0x1F43B675, b"\x00" * 64))


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4(seconds: float) -> bytes:
    """An MP4 with a movie header (mvhd) saying its length, and an empty video track."""
    timescale = 1000
    mvhd = _box(b"mvhd", b"\x00" * 4 + struct.pack(">IIII", 0, 0, timescale, int(seconds * timescale))
                + b"\x00" * 80)
    hdlr = _box(b"hdlr", b"\x00" * 8 + b"vide" + b"\x00" * 12 + b"video\x00")
    mdhd = _box(b"mdhd", b"\x00" * 4 + struct.pack(">IIII", 0, 0, timescale, int(seconds * timescale)) + b"\x00" * 4)
    trak = _box(b"trak", _box(b"mdia", mdhd + hdlr))
    return _box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2mp41") + _box(b"moov", mvhd + trak) + _box(b"mdat", b"\x00" * 32)
