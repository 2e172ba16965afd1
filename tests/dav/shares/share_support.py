"""Helpers for the share-link tests: making shares, guests, snapshots of the vault."""

from __future__ import annotations

import dataclasses
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from mediavault_dav.db.database import Database
from mediavault_dav.vault import shares
from mediavault_dav.vault.users import Account
from tests.support import Client, blob_files


@dataclasses.dataclass(frozen=True)
class Share:
    """A share made for a test, and a guest client (no credentials) for it."""

    id: int
    token: str
    guest: Client

    @property
    def path(self) -> str:
        return f"/s/{self.token}/"

    def get(self, rest: str = "", **kwargs: Any):  # noqa: ANN201
        return self.guest.request("GET", self.path + rest, **kwargs)

    def request(self, method: str, rest: str = "", **kwargs: Any):  # noqa: ANN201
        return self.guest.request(method, self.path + rest, **kwargs)


def make_share(database: Database, base_url: str, owner: Account, path: str, *,
               expires_at: datetime | None = None, password: str | None = None,
               max_downloads: int | None = None, label: str | None = None) -> Share:
    with database.transaction() as session:
        target = shares.target_for_path(session, owner.id, path)
        token, link = shares.create_share(session, owner.id, target, expires_at=expires_at, password=password,
                                          max_downloads=max_downloads, label=label)
    return Share(link.id, token, Client(base_url, None))


def put(client: Client, path: str, body: bytes) -> None:
    response = client.request("PUT", path, data=body)
    assert response.status_code in (201, 204), (path, response.status_code, response.text[:300])


def mkcol(client: Client, path: str) -> None:
    response = client.request("MKCOL", path)
    assert response.status_code == 201, (path, response.status_code, response.text[:300])


_SNAPSHOT_TABLES = ("folders", "files", "media_files", "albums", "album_files", "tags", "file_tags",
                    "smart_folders", "playlists", "playlist_tracks", "dav_properties", "dav_locks", "permissions")


def vault_snapshot(database: Database, blob_root: Path) -> dict[str, Any]:
    """Everything a write could change: every row of the content tables, every blob, and
    the share rows without their access counters (reading a share moves those)."""
    snapshot: dict[str, Any] = {}
    with database.transaction() as session:
        for table in _SNAPSHOT_TABLES:
            snapshot[table] = sorted(map(tuple, session.execute(sa.text(f"SELECT * FROM {table}")).all()), key=repr)
        snapshot["share_links"] = sorted(map(tuple, session.execute(sa.text(
            "SELECT id, owner_id, token_hash, folder_id, album_id, smart_folder_id, tag_id, file_id, label, "
            "password_hash, expires_at, max_downloads, download_count, revoked_at FROM share_links")).all()))
    snapshot["blobs"] = sorted((str(path), path.stat().st_size, path.stat().st_mtime_ns)
                               for path in blob_files(blob_root))
    return snapshot


def activity(database: Database, action: str | None = None, *, at_least: int = 0) -> list[Any]:
    """Share rows of activity_logs, oldest first.

    The row of a served file or page is written after its last byte has gone
    (its byte count is known only then), so a test that just received one waits
    for ``at_least`` rows, for a few seconds at most.
    """
    sql = ("SELECT action, outcome, user_id, resource_type, resource_id, path, host(client_address) AS address, "
           "user_agent, status_code, bytes, details FROM activity_logs WHERE action LIKE 'share.%'")
    if action:
        sql += " AND action = :action"
    deadline = time.monotonic() + 5
    while True:
        with database.transaction() as session:
            rows = list(session.execute(sa.text(sql + " ORDER BY id"), {"action": action}).all())
        if len(rows) >= at_least or time.monotonic() > deadline:
            return rows
        time.sleep(0.02)
