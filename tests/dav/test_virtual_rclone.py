"""A sync client reads the virtual trees: rclone copies /Albums/ and /Smart Folders/ down."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from mediavault_dav.db.database import Database
from mediavault_dav.server import Gateway
from mediavault_dav.vault import smart_folders
from mediavault_dav.vault.users import Account
from tests import media_samples
from tests.dav.test_rclone import Rclone
from tests.dav.virtual_support import copy, put
from tests.support import PASSWORD, Client


def _digests(root: Path) -> dict[str, str]:
    return {str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(root.rglob("*")) if path.is_file()}


@pytest.fixture
def rclone(gateway: Gateway, alice: Account, tmp_path: Path) -> Rclone:
    config = tmp_path / "rclone-home"
    config.mkdir()
    return Rclone(gateway.url.rstrip("/"), alice.username, PASSWORD, config)


def test_rclone_copies_albums_and_smart_folders_down(
        rclone: Rclone, alice_client: Client, database: Database, alice: Account, tmp_path: Path) -> None:
    client = alice_client
    for folder in ("/Files/Trip", "/Files/Trip/Day 2", "/Files/Other"):
        client.request("MKCOL", folder)
    bodies = {
        "/Files/Trip/beach.png": media_samples.png(40, 30),
        "/Files/Trip/Day 2/beach.png": media_samples.png(50, 30),  # same name, other file
        "/Files/Trip/Day 2/café.jpg": b"\xff\xd8 jpeg-ish bytes" * 50,
        "/Files/Other/notes.txt": b"not a photo",
        "/Files/Trip/.DS_Store": b"finder",
    }
    for path, body in bodies.items():
        assert put(client, path, body) == 201
    client.request("MKCOL", "/Albums/Summer")
    client.request("MKCOL", "/Albums/Empty album")
    for path in ("/Files/Trip/beach.png", "/Files/Trip/Day 2/café.jpg"):
        assert copy(client, path, "/Albums/Summer/" + path.rsplit("/", 1)[1]).status_code == 201
    assert copy(client, "/Files/Trip/Day 2/beach.png", "/Albums/Summer/beach (2).png").status_code == 201
    with database.transaction() as session:
        smart_folders.create_smart_folder(session, alice.id, "Trip pictures",
                                          {"all": [{"category": "Images"}, {"folder": "/Trip"}]})

    albums, smart = tmp_path / "albums", tmp_path / "smart"
    rclone("copy", "vault:Albums", str(albums))
    rclone("copy", "vault:Smart Folders", str(smart))

    expected = {
        "Summer/beach.png": bodies["/Files/Trip/beach.png"],
        "Summer/beach (2).png": bodies["/Files/Trip/Day 2/beach.png"],
        "Summer/café.jpg": bodies["/Files/Trip/Day 2/café.jpg"],
    }
    assert _digests(albums) == {name: hashlib.sha256(body).hexdigest() for name, body in expected.items()}
    assert _digests(smart) == {f"Trip pictures/{name.split('/', 1)[1]}": digest
                               for name, digest in _digests(albums).items()}
    # A second run finds nothing to transfer: sizes and times are stable.
    again = rclone("copy", "vault:Albums", str(albums), "-v")
    assert "Transferred:   \t          0 / 0" in again.stderr or "There was nothing to transfer" in again.stderr
