"""Playlists: ordered lists of a user's files (``playlists`` / ``playlist_tracks``).

A track is a reference to a ``files`` row; the same file may appear several times.
Deleting a file removes its tracks (ON DELETE CASCADE); renaming or moving it
changes nothing here, because a playlist's text is generated from the rows each
time it is read (see dav/playlists.py for the ``.m3u8`` form).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mediavault_dav.vault import activity
from mediavault_dav.vault.errors import Conflict, InvalidInput, NotFound
from mediavault_dav.vault.members import Member, MemberSource, rows
from mediavault_dav.vault.names import check_name

MAX_TRACKS = 10_000
_COLUMNS = "p.id, p.user_id, p.name, p.description, p.created_at, p.updated_at"


@dataclass(frozen=True)
class Playlist:
    id: int
    user_id: int
    name: str
    description: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Track:
    member: Member  # the file, with its folder path
    duration_seconds: float | None
    title: str | None
    artist: str | None


def _playlist(row: sa.Row) -> Playlist:
    return Playlist(row.id, row.user_id, row.name, row.description, row.created_at, row.updated_at)


def list_playlists(session: Session, user_id: int) -> list[Playlist]:
    found = session.execute(
        sa.text(f"SELECT {_COLUMNS} FROM playlists p WHERE p.user_id = :user ORDER BY p.name_key"),
        {"user": user_id},
    )
    return [_playlist(row) for row in found]


def find_playlist(session: Session, user_id: int, name: str) -> Playlist | None:
    row = session.execute(
        sa.text(f"SELECT {_COLUMNS} FROM playlists p WHERE p.user_id = :user AND p.name_key = normalize(:name, NFC)"),
        {"user": user_id, "name": name},
    ).one_or_none()
    return None if row is None else _playlist(row)


def _tracks_source(user_id: int, condition: str, params: dict[str, int]) -> MemberSource:
    return MemberSource(
        user_id=user_id,
        joins="JOIN playlist_tracks pt ON pt.file_id = e.id",
        condition=condition,
        params=params,
        extra_columns=", pt.playlist_id, pt.position, m.duration_seconds, m.title, m.artist",
        order="playlist_id, position",
    )


def _track(member: Member, row: dict) -> Track:  # type: ignore[type-arg]
    duration = row["duration_seconds"]
    return Track(member, None if duration is None else float(duration), row["title"], row["artist"])


def tracks(session: Session, playlist: Playlist) -> list[Track]:
    """The playlist's tracks in order, each with its file's path: one statement."""
    source = _tracks_source(playlist.user_id, "pt.playlist_id = :playlist", {"playlist": playlist.id})
    return [_track(member, row) for member, row in rows(session, source)]  # type: ignore[arg-type]


def all_tracks(session: Session, user_id: int) -> dict[int, list[Track]]:
    """Every playlist's tracks by playlist id, in one statement (for a listing)."""
    source = _tracks_source(user_id, "pt.playlist_id IN (SELECT id FROM playlists WHERE user_id = :user)", {})
    found: dict[int, list[Track]] = {}
    for member, row in rows(session, source):
        found.setdefault(row["playlist_id"], []).append(_track(member, row))  # type: ignore[arg-type]
    return found


def resolve_files(session: Session, user_id: int, paths: Sequence[Sequence[str]]) -> list[int | None]:
    """The file id at each path below the user's root (or None), in one statement."""
    if not paths:
        return []
    found = session.execute(
        sa.text(
            """
            WITH RECURSIVE wanted(ord, segments) AS (
                SELECT ord, string_to_array(path, '/')
                FROM unnest(CAST(:paths AS text[])) WITH ORDINALITY AS given(path, ord)
            ), walk(ord, depth, folder_id) AS (
                SELECT w.ord, 0, r.id FROM wanted w
                JOIN folders r ON r.user_id = :user AND r.parent_id IS NULL
              UNION ALL
                SELECT walk.ord, walk.depth + 1, f.id FROM walk
                JOIN wanted w ON w.ord = walk.ord
                JOIN folders f ON f.parent_id = walk.folder_id AND f.user_id = :user
                 AND f.name_key = normalize(w.segments[walk.depth + 1], NFC)
                WHERE walk.depth < cardinality(w.segments) - 1
            )
            SELECT w.ord, e.id FROM wanted w
            JOIN walk ON walk.ord = w.ord AND walk.depth = cardinality(w.segments) - 1
            JOIN files e ON e.user_id = :user AND e.folder_id = walk.folder_id
             AND e.name_key = normalize(w.segments[cardinality(w.segments)], NFC)
            """
        ),
        {"user": user_id, "paths": ["/".join(segments) for segments in paths]},
    )
    by_order = {int(row.ord): int(row.id) for row in found}
    return [by_order.get(index + 1) for index in range(len(paths))]


def save_playlist(session: Session, user_id: int, name: str, file_ids: Sequence[int], *,
                  skipped: Sequence[str] = (), path: str | None = None) -> tuple[Playlist, bool]:
    """Create or replace the playlist ``name`` with these tracks, in order.

    ``skipped`` are entries of the uploaded text that named no file of the user;
    they are written to the activity log with the change. Returns (playlist, created).
    """
    check_name(name)
    if len(file_ids) > MAX_TRACKS:
        raise InvalidInput(f"a playlist may hold at most {MAX_TRACKS} tracks")
    row = session.execute(
        sa.text(f"""INSERT INTO playlists AS p (user_id, name) VALUES (:user, :name)
                    ON CONFLICT ON CONSTRAINT uq_playlists_user_id_name_key DO UPDATE SET updated_at = now()
                    RETURNING {_COLUMNS}, (xmax = 0) AS created"""),
        {"user": user_id, "name": name},
    ).one()
    playlist = _playlist(row)
    session.execute(sa.text("DELETE FROM playlist_tracks WHERE playlist_id = :id"), {"id": playlist.id})
    if file_ids:
        session.execute(
            sa.text("""INSERT INTO playlist_tracks (playlist_id, file_id, position)
                       SELECT :id, e.id, given.ord - 1
                       FROM unnest(CAST(:files AS bigint[])) WITH ORDINALITY AS given(file_id, ord)
                       JOIN files e ON e.id = given.file_id AND e.user_id = :user"""),
            {"id": playlist.id, "files": list(file_ids), "user": user_id},
        )
    if skipped:
        activity.record(session, user_id=user_id, action="playlist.entries_skipped", outcome="partial",
                        resource_type="playlist", resource_id=playlist.id, path=path,
                        details={"skipped": len(skipped), "entries": list(skipped[:100]),
                                 "kept": len(file_ids)})
    return playlist, bool(row.created)


def rename_playlist(session: Session, playlist: Playlist, new_name: str, *, replace: bool) -> bool:
    check_name(new_name)
    existing = find_playlist(session, playlist.user_id, new_name)
    replaced = False
    if existing is not None and existing.id != playlist.id:
        if not replace:
            raise Conflict(f"a playlist named {new_name!r} already exists")
        delete_playlist(session, existing)
        replaced = True
    session.execute(sa.text("UPDATE playlists SET name = :name, updated_at = now() WHERE id = :id"),
                    {"name": new_name, "id": playlist.id})
    return replaced


def delete_playlist(session: Session, playlist: Playlist) -> None:
    """The playlist and its tracks; never a file."""
    session.execute(sa.text("DELETE FROM playlists WHERE id = :id AND user_id = :user"),
                    {"id": playlist.id, "user": playlist.user_id})


def get_playlist(session: Session, user_id: int, name: str) -> Playlist:
    playlist = find_playlist(session, user_id, name)
    if playlist is None:
        raise NotFound(f"there is no playlist named {name!r}")
    return playlist
