"""Storage quotas: usage counted once per content, refusals before a byte is stored."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from mediavault_dav.db.database import Database
from mediavault_dav.vault import quotas, system_settings, tree
from mediavault_dav.vault.users import Account
from tests.support import Client, blob_files

_QUOTA_BODY = (b'<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop>'
               b"<D:quota-available-bytes/><D:quota-used-bytes/></D:prop></D:propfind>")


def _quota_properties(client: Client, path: str = "/") -> tuple[int, int]:
    response = client.request("PROPFIND", path, headers={"Depth": "0"}, data=_QUOTA_BODY)
    assert response.status_code == 207
    document = ET.fromstring(response.content)
    used = document.findtext(".//{DAV:}quota-used-bytes")
    available = document.findtext(".//{DAV:}quota-available-bytes")
    assert used is not None and available is not None
    return int(used), int(available)


def _set(database: Database, definition: system_settings.SettingDefinition, text: str) -> None:
    with database.transaction() as session:
        system_settings.set_value(session, definition, text)


def _counts(database: Database, blob_root: Path) -> tuple[int, int, int]:
    with database.reading() as session:
        files = session.execute(sa.text("SELECT count(*) FROM files")).scalar_one()
        media = session.execute(sa.text("SELECT count(*) FROM media_files")).scalar_one()
    return files, media, len(blob_files(blob_root))


def _chunks(data: bytes, size: int = 65536) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]


def test_usage_counts_each_content_once_per_user(alice_client: Client, bob_client: Client,
                                                 database: Database) -> None:
    data = os.urandom(10_000)
    assert alice_client.request("PUT", "/Files/one.bin", data=data).status_code == 201
    assert alice_client.request("PUT", "/Files/two.bin", data=data).status_code == 201  # same content
    assert alice_client.request("COPY", "/Files/one.bin",
                                headers={"Destination": alice_client.base_url + "/Files/three.bin"}).status_code == 201
    assert bob_client.request("PUT", "/Files/bobs.bin", data=data).status_code == 201  # bob's own catalogue
    assert _quota_properties(alice_client)[0] == 10_000
    assert alice_client.request("DELETE", "/Files/one.bin").status_code == 204
    assert alice_client.request("DELETE", "/Files/two.bin").status_code == 204
    assert _quota_properties(alice_client)[0] == 10_000  # three.bin still names it
    assert alice_client.request("DELETE", "/Files/three.bin").status_code == 204
    assert _quota_properties(alice_client)[0] == 0
    assert _quota_properties(bob_client)[0] == 10_000


def test_free_space_shows_the_quota_remainder_on_every_collection(alice_client: Client, alice: Account,
                                                                  database: Database) -> None:
    _set(database, system_settings.DEFAULT_QUOTA_BYTES, "100 KB")
    assert alice_client.request("PUT", "/Files/a.bin", data=b"x" * 30_000).status_code == 201
    assert _quota_properties(alice_client) == (30_000, 70_000)
    assert alice_client.request("MKCOL", "/Files/Deep").status_code == 201
    for path in ("/Files/", "/Files/Deep/", "/Albums/"):
        assert _quota_properties(alice_client, path) == (30_000, 70_000)
    with database.transaction() as session:  # the user's own quota wins over the default
        quotas.set_quota(session, alice.id, 40_000)
    assert _quota_properties(alice_client) == (30_000, 10_000)
    with database.transaction() as session:
        quotas.set_quota(session, alice.id, quotas.UNLIMITED)
    used, available = _quota_properties(alice_client)
    assert used == 30_000 and available > 70_000  # the disk's free space


def test_an_upload_over_quota_is_refused_before_anything_is_stored(alice_client: Client, alice: Account,
                                                                   database: Database, blob_root: Path) -> None:
    _set(database, system_settings.DEFAULT_QUOTA_BYTES, "50 KB")
    assert alice_client.request("PUT", "/Files/fits.bin", data=os.urandom(40_000)).status_code == 201
    before = _counts(database, blob_root)
    response = alice_client.request("PUT", "/Files/too-much.bin", data=os.urandom(20_000))
    assert response.status_code == 507 and "quota" in response.text
    assert _counts(database, blob_root) == before
    # The same content again costs nothing: a second name for it fits.
    with database.reading() as session:
        assert quotas.usage(session, alice.id).used == 40_000
    assert alice_client.request("PUT", "/Files/small.bin", data=b"y" * 5_000).status_code == 201


def test_a_chunked_upload_is_stopped_when_it_crosses_the_quota_and_leaves_nothing(
        alice_client: Client, database: Database, blob_root: Path) -> None:
    _set(database, system_settings.DEFAULT_QUOTA_BYTES, "1 MB")
    before = _counts(database, blob_root)
    response = alice_client.request("PUT", "/Files/stream.bin", data=_chunks(os.urandom(3_000_000)))
    assert response.status_code == 507
    assert _counts(database, blob_root) == before
    assert list((blob_root / ".incoming").iterdir()) == []
    assert alice_client.request("GET", "/Files/stream.bin").status_code == 404


def test_the_largest_upload_setting_answers_413(alice_client: Client, database: Database, blob_root: Path) -> None:
    _set(database, system_settings.MAX_UPLOAD_BYTES, "64 KiB")
    before = _counts(database, blob_root)
    assert alice_client.request("PUT", "/Files/big.bin", data=os.urandom(70_000)).status_code == 413
    assert alice_client.request("PUT", "/Files/big.bin", data=_chunks(os.urandom(70_000))).status_code == 413
    assert _counts(database, blob_root) == before
    assert alice_client.request("PUT", "/Files/fine.bin", data=os.urandom(60_000)).status_code == 201


def test_the_database_refuses_a_change_past_the_quota_when_it_commits(alice: Account, database: Database,
                                                                      blob_root: Path) -> None:
    """Whatever checked before (or raced), the committing transaction has the last word."""
    from mediavault_dav.blobs import LocalBlobStore

    _set(database, system_settings.DEFAULT_QUOTA_BYTES, "1000")
    writer = LocalBlobStore(blob_root).writer()
    writer.write(b"z" * 2000)
    blob = writer.finish()
    with pytest.raises(sa.exc.DBAPIError) as raised, database.transaction() as session:
        root = tree.resolve(session, alice.id, [])
        assert isinstance(root, tree.FolderEntry)
        tree.store_file(session, alice.id, root.id, "over.bin", blob, mime_type="application/octet-stream")
    refusal = quotas.over_quota(raised.value)
    assert refusal is not None and "quota" in str(refusal)
    with database.reading() as session:
        assert quotas.usage(session, alice.id).used == 0
        assert session.execute(sa.text("SELECT count(*) FROM files")).scalar_one() == 0
