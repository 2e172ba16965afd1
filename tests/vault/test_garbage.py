"""The garbage collector never takes a blob an upload or a backup still needs."""

from __future__ import annotations

import hashlib
import threading

import pytest
import sqlalchemy as sa

from mediavault_dav.blobs import LocalBlobStore
from mediavault_dav.db.database import Database
from mediavault_dav.settings import Settings
from mediavault_dav.vault import blob_references, fsck, garbage
from mediavault_dav.vault.errors import Conflict
from tests.support import Client


def test_gc_with_no_grace_racing_dedup_uploads_of_the_same_content_loses_nothing(
        alice_client: Client, database: Database, settings: Settings) -> None:
    """F15: every PUT of content gc is busy collecting still ends with its bytes."""
    blobs = LocalBlobStore(settings.blob_root)
    body = b"the same bytes, uploaded again and again" * 1000
    stop = threading.Event()
    collections: list[garbage.Collected] = []
    failures: list[BaseException] = []

    def collect_forever() -> None:
        try:
            while not stop.is_set():
                collections.append(garbage.collect(database, blobs, grace_seconds=0))
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            failures.append(error)

    collector = threading.Thread(target=collect_forever)
    collector.start()
    try:
        for round_number in range(40):
            name = f"/Files/round-{round_number}.bin"
            assert alice_client.request("PUT", name, data=body).status_code == 201
            response = alice_client.request("GET", name)
            assert response.status_code == 200 and response.content == body, round_number
            # Unreferenced again: the collector may take the blob before the next PUT.
            assert alice_client.request("DELETE", name).status_code == 204
    finally:
        stop.set()
        collector.join(60)
    assert not failures, failures
    assert sum(collected.blobs for collected in collections) > 0, "the race never happened"
    assert alice_client.request("PUT", "/Files/last.bin", data=body).status_code == 201
    assert alice_client.request("GET", "/Files/last.bin").content == body
    assert fsck.check(database, blobs).missing == 0


def test_a_held_shared_lock_keeps_gc_from_deleting_until_it_is_released(
        alice_client: Client, database: Database, settings: Settings) -> None:
    """What a backup does: gc waits for the lock, then removes what is still garbage."""
    blobs = LocalBlobStore(settings.blob_root)
    writer = blobs.writer()
    writer.write(b"garbage")
    info = writer.finish()
    with database.transaction() as session:
        blob_references.hold_shared(session)
        with pytest.raises(Conflict, match="blob lock stayed busy"):
            garbage.collect(database, blobs, grace_seconds=0, lock_wait_seconds=0.3)
        assert blobs.exists(info.sha256)
    assert garbage.collect(database, blobs, grace_seconds=0).blobs == 1
    assert not blobs.exists(info.sha256)


def test_a_catalogue_row_named_again_by_an_upload_is_not_pruned(
        alice_client: Client, database: Database, settings: Settings) -> None:
    body = b"catalogued"
    sha = hashlib.sha256(body).hexdigest()
    alice_client.request("PUT", "/Files/a.txt", data=body)
    alice_client.request("PUT", "/Files/b.txt", data=body)
    alice_client.request("DELETE", "/Files/a.txt")
    garbage.collect(database, LocalBlobStore(settings.blob_root), grace_seconds=0)
    with database.reading() as session:
        rows = session.execute(sa.text("SELECT count(*) FROM media_files WHERE sha256 = :s"), {"s": sha})
        assert rows.scalar_one() == 1
    assert alice_client.request("GET", "/Files/b.txt").content == body
