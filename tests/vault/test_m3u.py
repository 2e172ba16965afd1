"""The M3U format: what we write reads back, and what others write is understood."""

from __future__ import annotations

from mediavault_dav.vault import m3u


def test_render_then_parse_round_trips() -> None:
    entries = [m3u.Entry("../Files/Music/Blue in Green.flac", 337, "Miles Davis - Blue in Green"),
               m3u.Entry("../Files/Music/unknown.mp3", None, "unknown.mp3")]
    text = m3u.render(entries, "Jazz")
    assert text.startswith("#EXTM3U\n#PLAYLIST:Jazz\n#EXTINF:337,Miles Davis - Blue in Green\n")
    assert "#EXTINF:-1,unknown.mp3\n" in text
    assert m3u.parse(text) == entries


def test_plain_and_windows_playlists_are_understood() -> None:
    data = "\ufeffone.mp3\r\n# a comment\r\n\r\n#EXTINF:12 tvg-id=\"x\",Title\r\nZ:\\Files\\two.mp3\r\n".encode()
    assert m3u.parse(m3u.decode(data)) == [m3u.Entry("one.mp3"), m3u.Entry("Z:\\Files\\two.mp3", 12, "Title")]
    assert m3u.decode("café.mp3\n".encode("cp1252")) == "café.mp3\n"
