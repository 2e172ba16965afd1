"""Grants without a server: what each level allows, making and taking back grants, what a grantee sees."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from mediavault_dav.blobs import BlobInfo
from mediavault_dav.db.database import Database
from mediavault_dav.vault import activity, albums, permissions, shared_with_me, smart_folders, tags, tree, users
from mediavault_dav.vault.errors import Forbidden, InvalidInput, NotFound
from mediavault_dav.vault.permissions import Action
from mediavault_dav.vault.tree import FolderEntry
from mediavault_dav.vault.users import Account
from tests.support import PASSWORD

OPERATOR = activity.Actor(None, "cli:test")

# --- the one place that decides ------------------------------------------------------------

# (kind, level) -> the actions allowed, from docs/permissions.md's table.
_ALLOWED = {
    ("folder", "read"): {Action.READ},
    ("folder", "write"): {Action.READ, Action.CHANGE, Action.LOCK},
    ("folder", "manage"): {Action.READ, Action.CHANGE, Action.LOCK, Action.RESHARE},
    ("file", "read"): {Action.READ},
    ("file", "write"): {Action.READ, Action.CHANGE, Action.LOCK},
    ("file", "manage"): {Action.READ, Action.CHANGE, Action.LOCK, Action.RESHARE},
    ("album", "read"): {Action.READ},
    ("album", "write"): {Action.READ, Action.CHANGE, Action.LOCK},
    ("album", "manage"): {Action.READ, Action.CHANGE, Action.LOCK, Action.RESHARE},
    # A smart folder is read-only even for its owner: manage adds re-sharing only.
    ("smart_folder", "read"): {Action.READ},
    ("smart_folder", "manage"): {Action.READ, Action.RESHARE},
}


@pytest.mark.parametrize(("kind", "level"), sorted(_ALLOWED))
def test_each_level_allows_exactly_its_actions_and_nobody_removes_the_shared_item(kind: str, level: str) -> None:
    for action in Action:
        expected = action in _ALLOWED[(kind, level)]
        assert permissions.allows(kind, level, action) is expected, (kind, level, action)
        if expected:
            permissions.require(kind, level, action)
        else:
            with pytest.raises(Forbidden) as refused:
                permissions.require(kind, level, action)
            assert str(refused.value)  # a reason, in words


def test_refusals_say_why() -> None:
    with pytest.raises(Forbidden, match="shared with you read-only: you can open and copy it"):
        permissions.require("folder", "read", Action.CHANGE)
    with pytest.raises(Forbidden, match="re-sharing needs a manage grant"):
        permissions.require("album", "write", Action.RESHARE)
    with pytest.raises(Forbidden, match="not delete, move or rename it"):
        permissions.require("folder", "manage", Action.REMOVE)
    with pytest.raises(Forbidden, match="smart folder is read-only"):
        permissions.require("smart_folder", "manage", Action.LOCK)


# --- making, changing and revoking grants ------------------------------------------------------


@pytest.fixture
def carol(database: Database) -> Account:
    with database.transaction() as session:
        return users.add_user(session, "carol", "carol@example.com", PASSWORD)


def _folder(database: Database, owner: Account, *names: str) -> FolderEntry:
    """/Files/<names...> of ``owner``, made as needed."""
    with database.transaction() as session:
        folder = tree.resolve(session, owner.id, [])
        for depth in range(1, len(names) + 1):
            found = tree.resolve(session, owner.id, names[:depth])
            assert isinstance(folder, FolderEntry)
            folder = found or tree.create_folder(session, owner.id, folder.id, names[depth - 1])
        assert isinstance(folder, FolderEntry)
        return folder


def _file(database: Database, owner: Account, folder: FolderEntry, name: str, content: bytes) -> None:
    info = BlobInfo(hashlib.sha256(content).hexdigest(), len(content))  # rows only: no blob is read here
    with database.transaction() as session:
        tree.store_file(session, owner.id, folder.id, name, info, mime_type="text/plain")


def _grant(database: Database, owner: Account, path: str, grantee: Account, level: str,
           **options: Any) -> tuple[permissions.Grant, bool]:
    with database.transaction() as session:
        target = permissions.target_for_path(session, owner.id, path)
        return permissions.grant(session, owner.id, target, grantee.id, level, actor=OPERATOR, **options)


def _audit(database: Database) -> list[activity.Entry]:
    with database.transaction() as session:
        return list(reversed(activity.query(session, action="grant")))


def test_granting_again_changes_the_level_and_expiry_and_each_step_is_one_audit_row(
        database: Database, alice: Account, bob: Account) -> None:
    _folder(database, alice, "Trip")
    made, created = _grant(database, alice, "/Files/Trip", bob, "read")
    assert created and (made.owner, made.grantee, made.target, made.kind, made.level) == (
        "alice", "bob", "/Files/Trip", "folder", "read")
    soon = datetime.now(UTC) + timedelta(days=2)
    changed, created = _grant(database, alice, "/Files/Trip", bob, "write", expires_at=soon)
    assert not created and changed.id == made.id and changed.level == "write" and changed.expires_at == soon
    with database.transaction() as session:
        target = permissions.target_for_path(session, alice.id, "/Files/Trip")
        gone = permissions.revoke(session, alice.id, target, bob.id, actor=OPERATOR)
        assert gone.id == made.id and permissions.list_grants(session) == []

    rows = _audit(database)
    assert [row.action for row in rows] == ["grant.create", "grant.update", "grant.revoke"]
    assert all(row.username == "cli:test" and row.user_id is None and row.outcome == "success"
               and row.resource_type == "permission" and row.resource_id == made.id and row.path == "/Files/Trip"
               for row in rows)
    assert rows[0].details == {"owner": "alice", "grantee": "bob", "target": "/Files/Trip", "kind": "folder",
                               "level": "read", "expires_at": None}
    assert rows[1].details["level"] == "write" and rows[1].details["expires_at"] == soon.isoformat()
    assert rows[1].details["previous"] == {"level": "read", "expires_at": None}
    assert rows[2].details["level"] == "write"


@pytest.mark.parametrize(("path", "level", "message"), [
    ("/Tags/red", "read", "a grant names one of /Files/..., /Albums/<album> or /Smart Folders/<smart folder>"),
    ("/Categories/Images", "read", "a grant names one of"),
    ("/Playlists/Mix.m3u8", "read", "a grant names one of"),
    ("/Albums/Best/x.jpg", "read", "grant a single file by its /Files/ path"),
    ("/Smart Folders/Recent", "write", "a smart folder is read-only, even for its owner"),
    ("/Files/Nowhere", "read", "/Files/Nowhere does not exist"),
    ("/Files/._photo.jpg", "read", "housekeeping file"),
])
def test_what_cannot_be_granted_is_refused_with_a_reason_and_nothing_is_stored(
        database: Database, alice: Account, bob: Account, path: str, level: str, message: str) -> None:
    with database.transaction() as session:
        tags.create_tag(session, alice.id, "red")
        albums.create_album(session, alice.id, "Best")
        smart_folders.create_smart_folder(session, alice.id, "Recent", {"extension": "jpg"})
    _file(database, alice, _folder(database, alice), "._photo.jpg", b"finder")
    with pytest.raises((InvalidInput, NotFound, Forbidden), match=message):
        _grant(database, alice, path, bob, level)
    with database.transaction() as session:
        assert permissions.list_grants(session) == []
    assert _audit(database) == []


def test_no_grant_to_oneself_nor_one_that_has_expired(database: Database, alice: Account, bob: Account) -> None:
    _folder(database, alice, "Trip")
    with pytest.raises(InvalidInput, match="the owner has every right already"):
        _grant(database, alice, "/Files/Trip", alice, "read")
    with pytest.raises(InvalidInput, match="the expiry is in the past"):
        _grant(database, alice, "/Files/Trip", bob, "read", expires_at=datetime.now(UTC) - timedelta(seconds=1))
    with pytest.raises(NotFound, match="bob has no grant of /Files/Trip"), database.transaction() as session:
        target = permissions.target_for_path(session, alice.id, "/Files/Trip")
        permissions.revoke(session, alice.id, target, bob.id, actor=OPERATOR)


def test_a_manager_may_reshare_what_they_manage_and_nothing_else(
        database: Database, alice: Account, bob: Account, carol: Account) -> None:
    _folder(database, alice, "Trip", "Day 1")
    _folder(database, alice, "Private")
    _grant(database, alice, "/Files/Trip", bob, "manage")
    # bob re-shares a folder inside the one he manages; the row says it was him.
    made, _ = _grant(database, alice, "/Files/Trip/Day 1", carol, "write", acting_id=bob.id)
    assert made.granted_by == "bob"
    assert _audit(database)[-1].details["as"] == "bob"
    with database.transaction() as session:
        target = permissions.target_for_path(session, alice.id, "/Files/Trip/Day 1")
        permissions.revoke(session, alice.id, target, carol.id, actor=OPERATOR, acting_id=bob.id)

    with pytest.raises(Forbidden, match="re-sharing needs a live manage grant of /Files/Private"):
        _grant(database, alice, "/Files/Private", carol, "read", acting_id=bob.id)
    with pytest.raises(Forbidden, match="nobody can change their own grant"):
        _grant(database, alice, "/Files/Trip", bob, "manage", acting_id=bob.id)
    _grant(database, alice, "/Files/Trip", carol, "write")  # carol writes, but does not manage
    with pytest.raises(Forbidden, match="re-sharing needs a live manage grant"):
        _grant(database, alice, "/Files/Trip/Day 1", bob, "read", acting_id=carol.id)
    # A manage grant that expired manages nothing.
    with database.transaction() as session:
        session.execute(sa.text("UPDATE permissions SET expires_at = now() - interval '1 second' "
                                "WHERE grantee_id = :bob"), {"bob": bob.id})
    with pytest.raises(Forbidden, match="re-sharing needs a live manage grant"):
        _grant(database, alice, "/Files/Trip/Day 1", carol, "read", acting_id=bob.id)


# --- what a grantee sees -------------------------------------------------------------------------


def test_a_grantee_sees_live_grants_only_by_owner_with_distinct_names(
        database: Database, alice: Account, bob: Account, carol: Account) -> None:
    trip = _folder(database, alice, "Photos", "Trip")
    _file(database, alice, trip, "Trip", b"a file named like the folder")
    _folder(database, alice, "Old")
    with database.transaction() as session:
        albums.create_album(session, alice.id, "Trip")
    _grant(database, alice, "/Files/Photos/Trip", bob, "write")
    _grant(database, alice, "/Albums/Trip", bob, "read")
    _grant(database, alice, "/Files/Photos/Trip/Trip", bob, "read")
    _grant(database, alice, "/Files/Old", bob, "read", expires_at=datetime.now(UTC) + timedelta(hours=1))
    _grant(database, carol, "/Files", bob, "read")

    with database.transaction() as session:
        assert [owner.username for owner in shared_with_me.owners_sharing_with(session, bob.id)] == ["alice",
                                                                                                   "carol"]
        items = shared_with_me.shared_items(session, bob.id, "ALICE")  # user names in any case
        assert [(item.name, item.kind, item.level) for item in items] == [
            ("Trip", "folder", "write"), ("Trip (2)", "album", "read"), ("Trip (3)", "file", "read"),
            ("Old", "folder", "read")]
        assert items[0].tree_path == "/Photos/Trip" and items[2].tree_path == "/Photos/Trip/Trip"
        assert items[1].tree_path is None
        carols = shared_with_me.shared_items(session, bob.id, "carol")
        assert [(item.name, item.tree_path) for item in carols] == [("Files", "")]  # a whole /Files/
        assert shared_with_me.shared_items(session, carol.id, "alice") == []
        assert shared_with_me.shared_items(session, bob.id, "nobody") == []

        # Expiry is read by the statement itself: no cache, no restart.
        session.execute(sa.text("UPDATE permissions SET expires_at = now() - interval '1 second' "
                                "WHERE folder_id IS NOT NULL AND owner_id = :alice"), {"alice": alice.id})
        # The folder's grant is gone, so the album is now the earliest "Trip".
        assert [(item.name, item.kind) for item in shared_with_me.shared_items(session, bob.id, "alice")] == [
            ("Trip", "album"), ("Trip (2)", "file")]
    with database.transaction() as session:
        users.set_active(session, "carol", False)
    with database.transaction() as session:
        assert [owner.username for owner in shared_with_me.owners_sharing_with(session, bob.id)] == ["alice"]
        assert shared_with_me.shared_items(session, bob.id, "carol") == []
