"""Planner statistics: outdated tables are analyzed before the gateway caches a plan."""

from __future__ import annotations

import sqlalchemy as sa

from mediavault_dav.blobs import LocalBlobStore
from mediavault_dav.db import maintenance
from mediavault_dav.db.database import Database
from mediavault_dav.settings import Settings
from mediavault_dav.vault import tree, users
from tests.support import gateway_with


def _fill_a_folder_without_statistics(database: Database, settings: Settings, account: users.Account,
                                      count: int) -> None:
    """``count`` files written with autovacuum off for ``files``, so only we can analyze it."""
    with database.engine.connect() as connection:
        connection.execute(sa.text("ALTER TABLE files SET (autovacuum_enabled = false)"))
        connection.commit()
    writer = LocalBlobStore(settings.blob_root).writer()
    writer.write(b"same bytes")
    blob = writer.finish()
    with database.transaction() as session:
        root = tree.resolve(session, account.id, [])
        assert isinstance(root, tree.FolderEntry)
        folder = tree.create_folder(session, account.id, root.id, "bulk")
        for number in range(count):
            tree.store_file(session, account.id, folder.id, f"file-{number:04d}.txt", blob, mime_type="text/plain")
        # Report this backend's counts at commit, not up to ten seconds later.
        session.execute(sa.text("SELECT pg_stat_force_next_flush()"))


def _last_analyzed(database: Database, table: str) -> object:
    with database.engine.connect() as connection:
        return connection.execute(sa.text("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = :t"),
                                  {"t": table}).scalar_one()


def test_only_tables_with_outdated_statistics_are_analyzed(database: Database, settings: Settings,
                                                          alice: users.Account) -> None:
    _fill_a_folder_without_statistics(database, settings, alice, 300)
    assert _last_analyzed(database, "files") is None

    analyzed = maintenance.analyze_outdated(database.engine)

    assert "public.files" in analyzed
    assert "public.sessions" not in analyzed  # empty, nothing to learn
    assert _last_analyzed(database, "files") is not None
    assert maintenance.analyze_outdated(database.engine) == []  # now current


def test_the_gateway_analyzes_outdated_tables_before_it_serves(database: Database, settings: Settings,
                                                               alice: users.Account) -> None:
    _fill_a_folder_without_statistics(database, settings, alice, 300)
    assert _last_analyzed(database, "files") is None
    with gateway_with(settings, database):
        assert _last_analyzed(database, "files") is not None
