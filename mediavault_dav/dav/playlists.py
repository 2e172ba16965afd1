"""``/Playlists/<name>.m3u8``: playlists as files a player on the mounted drive opens.

GET generates the text from ``playlist_tracks`` in order (vault/m3u.py): an
``#EXTINF`` line with the length and title of each track, then its path *relative
to the playlist file* (``../Files/Music/song.mp3``), so a player that opens the
playlist from the mounted drive finds every track, and one that opens it by URL
resolves the same path against the playlist's URL.

PUT of a ``.m3u8`` or ``.m3u`` creates or replaces the playlist from the entries
that name files of the user: relative paths (from /Playlists/), absolute paths in
the vault (``/Files/...``), URLs of this gateway, and absolute paths of a mounted
drive (``Z:\\Files\\...``, ``/Volumes/vault/Files/...``: from their ``Files``
folder on). Entries that name nothing are not silently dropped: they are written
to the activity log, and the response says how many were kept and skipped
(``MediaVault-Playlist-Tracks``, ``MediaVault-Playlist-Skipped``).
"""

from __future__ import annotations

import hashlib
import io
import posixpath
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlparse

from wsgidav import util
from wsgidav.dav_error import HTTP_REQUEST_ENTITY_TOO_LARGE, DAVError
from wsgidav.dav_provider import DAVNonCollection

from mediavault_dav.dav.changes import changing
from mediavault_dav.dav.files import CREATED_KEY, FILES_ROOT
from mediavault_dav.dav.virtual import Area, Listing, dav_errors, refuse, renamed_within
from mediavault_dav.vault import m3u, playlists
from mediavault_dav.vault.errors import InvalidInput
from mediavault_dav.vault.names import check_name
from mediavault_dav.vault.playlists import Playlist, Track

PLAYLISTS_ROOT = "/Playlists"
SUFFIX = ".m3u8"
ACCEPTED_SUFFIXES = (".m3u8", ".m3u")
CONTENT_TYPE = "audio/x-mpegurl"
MAX_PLAYLIST_BYTES = 4 * 1024 * 1024
RESULT_KEY = "mediavault.playlist_result"
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_DRIVE = re.compile(r"^[a-zA-Z]:[\\/]")


def playlist_name(file_name: str) -> str | None:
    """``Road trip.m3u8`` → ``Road trip``; None for other names."""
    lowered = file_name.lower()
    for suffix in ACCEPTED_SUFFIXES:
        if lowered.endswith(suffix) and len(file_name) > len(suffix):
            return file_name[:-len(suffix)]
    return None


def render(playlist: Playlist, tracks: list[Track]) -> bytes:
    """The ``.m3u8`` text: paths relative to /Playlists/, where the file is."""
    entries = [
        m3u.Entry(location=".." + FILES_ROOT + track.member.tree_path,
                  duration=m3u.whole_seconds(track.duration_seconds),
                  title=m3u.track_title(track.title, track.artist, track.member.entry.name))
        for track in tracks
    ]
    return m3u.render(entries, playlist.name).encode("utf-8")


class PlaylistsCollection(Area):
    display_name = "Playlists"
    refusal = "/Playlists/ holds playlists only: store a .m3u8 or .m3u file here"

    def load_listing(self) -> Listing:
        with dav_errors(), self.provider.database.transaction() as session:
            found = playlists.list_playlists(session, self.provider.user_id(self.environ))
            tracks = playlists.all_tracks(session, self.provider.user_id(self.environ)) if found else {}
        return Listing([(playlist, tracks.get(playlist.id, [])) for playlist in found], [], {})

    def build_member(self, item: tuple[Playlist, list[Track]], listing: Listing) -> PlaylistFile:
        playlist, tracks = item
        return PlaylistFile(self.child_path(playlist.name + SUFFIX), self.environ, playlist, tracks)

    def get_member(self, name: str) -> PlaylistFile | None:
        wanted = playlist_name(name)
        if wanted is None:
            return None
        with dav_errors(), self.provider.database.transaction() as session:
            playlist = playlists.find_playlist(session, self.provider.user_id(self.environ), wanted)
            tracks = playlists.tracks(session, playlist) if playlist is not None else []
        return None if playlist is None else PlaylistFile(self.child_path(name), self.environ, playlist, tracks)

    def create_empty_resource(self, name: str) -> DAVNonCollection:
        wanted = playlist_name(name)
        if wanted is None:
            refuse(self.refusal)
        with dav_errors():
            check_name(wanted)
        pending = PendingPlaylist(self.child_path(name), self.environ, wanted)
        if self.environ["REQUEST_METHOD"] != "PUT":  # LOCK on a new name: an empty playlist
            pending.save(b"")
        return pending


class _PlaylistResource(DAVNonCollection):
    """What a playlist file and a playlist being created share: writing by PUT."""

    def __init__(self, path: str, environ: dict[str, Any], name: str) -> None:
        super().__init__(path, environ)
        self.playlist_name = name
        self._writer: _PlaylistWriter | None = None

    def get_ref_url(self) -> str:
        return f"/~{self.provider.user_id(self.environ)}" + super().get_ref_url()

    def begin_write(self, *, content_type: str | None = None) -> _PlaylistWriter:
        self._writer = _PlaylistWriter(self)
        return self._writer

    def end_write(self, *, with_errors: bool) -> None:
        self._writer = None

    def set_last_modified(self, dest_path: str, time_stamp: Any, *, dry_run: bool) -> bool:
        return True  # a generated file's time is its playlist's; X-OC-Mtime is ignored

    def save(self, data: bytes) -> None:
        """Replace the playlist with the entries of ``data`` that name the user's files."""
        entries = m3u.parse(m3u.decode(data))
        user_id = self.provider.user_id(self.environ)
        candidates = [_candidate_paths(entry.location) for entry in entries]
        flat = [path for paths in candidates for path in paths]
        with dav_errors(), changing(self.provider.database, self.environ, "put", self.path) as change:
            session = change.session
            found = iter(playlists.resolve_files(session, user_id, flat))
            file_ids: list[int] = []
            skipped: list[str] = []
            for entry, paths in zip(entries, candidates, strict=True):
                resolved = [next(found) for _ in paths]
                file_id = next((ident for ident in resolved if ident is not None), None)
                if file_id is None:
                    skipped.append(entry.location)
                else:
                    file_ids.append(file_id)
            playlist, _ = playlists.save_playlist(session, user_id, self.playlist_name, file_ids,
                                                  skipped=skipped, path=self.path)
            tracks = playlists.tracks(session, playlist)
            change.resource_type, change.resource_id, change.bytes = "playlist", playlist.id, len(data)
            change.details = {"tracks": len(file_ids), "skipped": len(skipped)}
        self.environ[RESULT_KEY] = (len(file_ids), len(skipped))
        self.saved(playlist, tracks)

    def saved(self, playlist: Playlist, tracks: list[Track]) -> None:
        raise NotImplementedError


class PlaylistFile(_PlaylistResource):
    def __init__(self, path: str, environ: dict[str, Any], playlist: Playlist, tracks: list[Track]) -> None:
        super().__init__(path, environ, playlist.name)
        self.saved(playlist, tracks)

    def saved(self, playlist: Playlist, tracks: list[Track]) -> None:
        self.playlist = playlist
        self.content = render(playlist, tracks)
        self.modified = max([playlist.updated_at, *(track.member.entry.modified_at for track in tracks)])

    def get_display_name(self) -> str:
        return util.get_uri_name(self.path)

    def get_content_length(self) -> int:
        return len(self.content)

    def get_content_type(self) -> str:
        return CONTENT_TYPE

    def get_content(self) -> io.BytesIO:
        return io.BytesIO(self.content)

    def get_etag(self) -> str:
        return hashlib.sha256(self.content).hexdigest()[:24]

    def support_etag(self) -> bool:
        return True

    def support_ranges(self) -> bool:
        return True

    def get_creation_date(self) -> float:
        return self.playlist.created_at.timestamp()

    def get_last_modified(self) -> float:
        return self.modified.timestamp()

    def handle_delete(self) -> bool:
        """Deletes the playlist; never a track's file."""
        with dav_errors(), changing(self.provider.database, self.environ, "delete", self.path) as change:
            change.resource_type, change.resource_id, change.status_code = "playlist", self.playlist.id, 204
            playlists.delete_playlist(change.session, self.playlist)
        self._drop_locks()
        return True

    def handle_move(self, dest_path: str) -> bool:
        new_file_name = renamed_within(PLAYLISTS_ROOT + "/", dest_path)
        new_name = playlist_name(new_file_name)
        if new_name is None:
            refuse("a playlist's name ends in .m3u8")
        with dav_errors(), changing(self.provider.database, self.environ, "move", self.path) as change:
            change.resource_type, change.resource_id = "playlist", self.playlist.id
            change.details = {"destination": dest_path}
            replaced = playlists.rename_playlist(change.session, self.playlist, new_name,
                                                 replace=self.environ.get("HTTP_OVERWRITE", "T") == "T")
        self._drop_locks()
        self.environ[CREATED_KEY] = not replaced
        return True

    def handle_copy(self, dest_path: str, *, depth_infinity: bool) -> bool:
        refuse("a playlist cannot be copied; download it and upload it under another name")

    def _drop_locks(self) -> None:
        if self.provider.lock_manager is not None:
            self.provider.lock_manager.remove_all_locks_from_url(self.get_ref_url(), recursive=False)


class PendingPlaylist(_PlaylistResource):
    """A playlist being created by PUT; it exists once its text is saved."""

    def __init__(self, path: str, environ: dict[str, Any], name: str) -> None:
        super().__init__(path, environ, name)
        self.file: PlaylistFile | None = None

    def saved(self, playlist: Playlist, tracks: list[Track]) -> None:
        self.file = PlaylistFile(self.path, self.environ, playlist, tracks)
        self.provider.remember(self.path, self.file, self.environ)

    def get_content_length(self) -> int:
        return self.file.get_content_length() if self.file else 0

    def get_content_type(self) -> str:
        return CONTENT_TYPE

    def get_content(self) -> io.BytesIO:
        return self.file.get_content() if self.file else io.BytesIO(b"")

    def get_etag(self) -> str | None:
        return self.file.get_etag() if self.file else None

    def support_etag(self) -> bool:
        return True


@dataclass
class _PlaylistWriter:
    """Collects an uploaded playlist (at most 4 MiB), then saves it in one transaction."""

    resource: _PlaylistResource

    def __post_init__(self) -> None:
        self._data = bytearray()

    def write(self, chunk: bytes) -> None:
        self._data += chunk
        if len(self._data) > MAX_PLAYLIST_BYTES:
            raise DAVError(HTTP_REQUEST_ENTITY_TOO_LARGE, f"a playlist may have at most {MAX_PLAYLIST_BYTES} bytes")

    def close(self) -> None:
        self.resource.save(bytes(self._data))


def _candidate_paths(location: str) -> list[list[str]]:
    """Paths below /Files that an entry may mean (as written, then percent-decoded)."""
    written = location.strip()
    variants = [written]
    if _SCHEME.match(written):
        parsed = urlparse(written)
        variants = [unquote(parsed.path)]
        absolute_filesystem = parsed.scheme.lower() == "file"
    else:
        absolute_filesystem = bool(_DRIVE.match(written)) or written.startswith(("/", "\\"))
        if "%" in written:
            variants.append(unquote(written))
    found = []
    for variant in variants:
        segments = _files_segments(variant, absolute_filesystem)
        if segments is not None and segments not in found:
            found.append(segments)
    return found


def _files_segments(location: str, absolute_filesystem: bool) -> list[str] | None:
    path = location.replace("\\", "/")
    if _DRIVE.match(path):
        path = path[2:]
    if not path.startswith("/"):
        path = posixpath.join(PLAYLISTS_ROOT, path)
    segments = [segment for segment in posixpath.normpath(path).split("/") if segment]
    if segments[:1] == [FILES_ROOT.strip("/")]:
        below = segments[1:]
    elif absolute_filesystem and FILES_ROOT.strip("/") in segments:
        # A mounted drive's path (/Volumes/vault/Files/..., Z:/Files/...): from its Files folder on.
        below = segments[segments.index(FILES_ROOT.strip("/")) + 1:]
    else:
        return None
    try:
        return [check_name(segment) for segment in below] if below else None
    except InvalidInput:
        return None
