"""The isolation proof: every DAV method of bob against every kind of path of alice.

alice has a folder tree (a folder, a subfolder, files, one of them locked by her,
one with a dead property), an album and its member, a smart folder and its
member, a tag and its member, a category member and a playlist. bob drives 16
requests — OPTIONS, GET, HEAD, PROPFIND Depth 0 and 1, PROPPATCH, PUT, MKCOL,
DELETE, COPY and MOVE from the path into his own /Files/, COPY and MOVE of his
own file onto the path, LOCK, a LOCK refresh naming alice's lock token and an
UNLOCK with it — against each of them:

1. **through alice's own paths** (``/Files/Docs/report.txt`` ...): bob's namespace
   is his own, so each answer must be exactly the answer for a path that does not
   exist anywhere (a "twin" such as ``/Files/Nope/nope.txt``, asked the same way):
   404, 409, or whatever creating that name in bob's own namespace gives;
2. **through /Shared With Me/alice/...** with no grant at all, and with grants that
   have expired: again exactly the twin's answer;
3. with a **read** grant: reads answer as they answer alice herself, every write a
   403 (the table below), nothing of alice's changes;
4. with a **write** grant: the table below, method by method; refused requests
   change nothing, allowed ones change nothing outside what was shared.

12 of alice's own paths and 13 paths below /Shared With Me/alice/ in four grant
states (12 with expired grants, where the owner's listing is not private): 1,008
cases, each with its own check of statuses and data.

After every request the test compares alice's rows of every table a request could
change (activity_logs, which records attempts, excepted) and the blob files with
what they were before; bob's own rows may change only where bob acted in his own
namespace. Answers to requests that must not reach alice's data must not contain
any of her content, property values, lock token or names.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from mediavault_dav.db.database import Database
from mediavault_dav.vault import smart_folders
from mediavault_dav.vault.users import Account
from tests.dav.shared_support import LOCK_BODY, SHARED, destination, expire, grant, lock, proppatch_body
from tests.support import Client, blob_files

# --- alice's world -------------------------------------------------------------------------

SECRET_CONTENTS = {
    "/Files/Docs/report.txt": b"ALICE-SECRET-REPORT",
    "/Files/Docs/locked.txt": b"ALICE-SECRET-LOCKED",
    "/Files/Docs/sibling-only-alice-knows.txt": b"ALICE-SECRET-SIBLING",
    "/Files/Docs/Sub/deep.txt": b"ALICE-SECRET-DEEP",
    "/Files/Photos/p1.jpg": b"ALICE-SECRET-PHOTO",
    "/Files/Photos/private.txt": b"ALICE-PRIVATE-CONTENT",
    "/Files/Loose/single.txt": b"ALICE-SECRET-SINGLE",
    "/Files/Elsewhere/e.txt": b"ALICE-SECRET-ELSEWHERE",
}
# Never granted to bob in any state: must never show up in any answer bob gets.
NEVER_SHARED = ("ALICE-PRIVATE", "private.txt")
BOBS_OWN = "/Files/mine.txt"


@dataclasses.dataclass
class World:
    alice: Client
    bob: Client
    database: Database
    alice_account: Account
    bob_account: Account
    blob_root: Path
    token: str = ""  # alice's lock on /Files/Docs/locked.txt

    @property
    def secrets(self) -> tuple[str, ...]:
        """What bob must never see where he has no grant."""
        return ("ALICE-", "sibling-only-alice-knows", self.token.removeprefix("opaquelocktoken:"))


def _reset(database: Database) -> None:
    """Everybody's content, grants and locks go; the accounts stay."""
    with database.transaction() as session:
        for statement in ("DELETE FROM dav_locks", "DELETE FROM permissions", "DELETE FROM share_links",
                          "DELETE FROM playlists", "DELETE FROM albums", "DELETE FROM tags",
                          "DELETE FROM smart_folders", "DELETE FROM play_history", "DELETE FROM files",
                          "DELETE FROM folders WHERE parent_id IS NOT NULL", "DELETE FROM dav_properties",
                          "DELETE FROM media_files"):
            session.execute(sa.text(statement))


def _ok(response: requests.Response) -> None:
    assert response.status_code < 300, (response.request.method, response.request.url, response.status_code,
                                        response.text[:300])


def _seed(world: World, state: str) -> None:
    alice, bob = world.alice, world.bob
    _reset(world.database)
    for folder in ("Docs", "Docs/Sub", "Photos", "Loose", "Elsewhere"):
        _ok(alice.request("MKCOL", f"/Files/{folder}"))
    for path, content in SECRET_CONTENTS.items():
        _ok(alice.request("PUT", path, data=content))
    _ok(alice.request("PROPPATCH", "/Files/Docs/report.txt", data=proppatch_body(value="ALICE-SECRET-PROP")))
    _ok(alice.request("PROPPATCH", "/Files/Photos/private.txt", data=proppatch_body(value="ALICE-PRIVATE-PROP")))
    _ok(alice.request("MKCOL", "/Albums/Trip"))
    _ok(alice.request("COPY", "/Files/Photos/p1.jpg", headers=destination(alice, "/Albums/Trip/p1.jpg")))
    _ok(alice.request("MKCOL", "/Tags/red"))
    _ok(alice.request("COPY", "/Files/Docs/report.txt", headers=destination(alice, "/Tags/red/report.txt")))
    _ok(alice.request("PUT", "/Playlists/Mix.m3u8", data=b"#EXTM3U\n../Files/Docs/report.txt\n"))
    with world.database.transaction() as session:
        smart_folders.create_smart_folder(session, world.alice_account.id, "Texts", {"folder": "/Docs"})
    world.token = lock(alice, "/Files/Docs/locked.txt")
    _ok(bob.request("PUT", BOBS_OWN, data=b"BOB-OWN"))
    a, b = world.alice_account, world.bob_account
    if state == "none":
        return
    levels = {"read": ("read", "read", "read", "read"), "write": ("write", "write", "write", "manage"),
              "expired": ("write", "write", "write", "manage")}[state]
    grants = [grant(world.database, a, path, b, level) for path, level in
              zip(("/Files/Docs", "/Files/Loose/single.txt", "/Albums/Trip", "/Smart Folders/Texts"), levels,
                  strict=True)]
    if state == "expired":
        for made in grants:
            expire(world.database, made.id)
        # ... while something else of alice's is live, so /Shared With Me/alice/ itself exists.
        grant(world.database, a, "/Files/Elsewhere", b, "read", expires_at=datetime.now(UTC) + timedelta(days=1))


# --- what alice's data is, before and after -------------------------------------------------------

# Every row of alice's (or on alice's things) in every table a DAV request could change.
_ALICES_ROWS = {
    "folders": "user_id = :a",
    "files": "user_id = :a",
    "media_files": "uploaded_by = :a",
    "albums": "user_id = :a",
    "album_files": "album_id IN (SELECT id FROM albums WHERE user_id = :a)",
    "tags": "user_id = :a",
    "file_tags": "tag_id IN (SELECT id FROM tags WHERE user_id = :a)",
    "smart_folders": "user_id = :a",
    "playlists": "user_id = :a",
    "playlist_tracks": "playlist_id IN (SELECT id FROM playlists WHERE user_id = :a)",
    "play_history": "user_id = :a",
    "dav_properties": "file_id IN (SELECT id FROM files WHERE user_id = :a) "
                      "OR folder_id IN (SELECT id FROM folders WHERE user_id = :a)",
    "dav_locks": "starts_with(root, '/~' || :a || '/')",
    "permissions": "owner_id = :a",
    "share_links": "owner_id = :a",
}
_SNAPSHOT = sa.text(
    "SELECT jsonb_build_object("
    + ", ".join(f"'{table}', (SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY to_jsonb(t)::text), '[]') "
                f"FROM {table} t WHERE {condition})" for table, condition in _ALICES_ROWS.items())
    + ", 'users', (SELECT to_jsonb(u) - 'last_login_at' FROM users u WHERE id = :a))"
)


@dataclasses.dataclass(frozen=True)
class Snapshot:
    rows: dict[str, list[dict[str, Any]]]  # alice's
    bobs: dict[str, list[dict[str, Any]]]  # the same for bob: what tells that the vault must be seeded again
    blobs: frozenset[tuple[str, int]]

    def changed_rows(self, after: Snapshot) -> list[tuple[str, dict[str, Any]]]:
        """alice's rows that differ (gone, new or changed), each as (table, row)."""
        changed = []
        for table in self.rows:
            before_rows = {json.dumps(row, sort_keys=True) for row in _as_list(self.rows[table])}
            after_rows = {json.dumps(row, sort_keys=True) for row in _as_list(after.rows[table])}
            changed += [(table, json.loads(row)) for row in before_rows ^ after_rows]
        return changed

    def blobs_kept(self, after: Snapshot) -> bool:
        """No blob went or changed size (a write of content already stored only touches it)."""
        return self.blobs <= after.blobs


def _as_list(value: Any) -> list[dict[str, Any]]:
    return value if isinstance(value, list) else [value]


def _snapshot(world: World) -> Snapshot:
    with world.database.transaction() as session:
        rows = session.execute(_SNAPSHOT, {"a": world.alice_account.id}).scalar_one()
        bobs = session.execute(_SNAPSHOT, {"a": world.bob_account.id}).scalar_one()
    blobs = frozenset((str(path), path.stat().st_size) for path in blob_files(world.blob_root))
    return Snapshot(rows, bobs, blobs)


# --- the requests -------------------------------------------------------------------------------------

Request = Callable[[World, str, bool], requests.Response]


def _if(world: World, locked: bool) -> dict[str, str]:
    """Requests acting on alice's locked file name her token (bob can read it from lockdiscovery)."""
    return {"If": f"(<{world.token}>)"} if locked else {}


METHODS: dict[str, Request] = {
    "OPTIONS": lambda w, p, locked: w.bob.request("OPTIONS", p),
    "GET": lambda w, p, locked: w.bob.request("GET", p, allow_redirects=False),
    "HEAD": lambda w, p, locked: w.bob.request("HEAD", p, allow_redirects=False),
    "PROPFIND 0": lambda w, p, locked: w.bob.request("PROPFIND", p, headers={"Depth": "0"}),
    "PROPFIND 1": lambda w, p, locked: w.bob.request("PROPFIND", p, headers={"Depth": "1"}),
    "PROPPATCH": lambda w, p, locked: w.bob.request("PROPPATCH", p, data=proppatch_body(value="BOB-WAS-HERE"),
                                                   headers=_if(w, locked)),
    "PUT": lambda w, p, locked: w.bob.request("PUT", p, data=b"BOB-WAS-HERE", headers=_if(w, locked)),
    "MKCOL": lambda w, p, locked: w.bob.request("MKCOL", p),
    "DELETE": lambda w, p, locked: w.bob.request("DELETE", p, headers=_if(w, locked)),
    "COPY out": lambda w, p, locked: w.bob.request("COPY", p, headers=destination(w.bob, "/Files/stolen")),
    "MOVE out": lambda w, p, locked: w.bob.request("MOVE", p, headers={**destination(w.bob, "/Files/stolen"),
                                                                       **_if(w, locked)}),
    "COPY in": lambda w, p, locked: w.bob.request("COPY", BOBS_OWN, headers=destination(w.bob, p)),
    "MOVE in": lambda w, p, locked: w.bob.request("MOVE", BOBS_OWN, headers=destination(w.bob, p)),
    "LOCK": lambda w, p, locked: w.bob.request("LOCK", p, data=LOCK_BODY, headers={"Depth": "0"}),
    "LOCK refresh": lambda w, p, locked: w.bob.request("LOCK", p, headers={"If": f"(<{w.token}>)"}),
    "UNLOCK": lambda w, p, locked: w.bob.request("UNLOCK", p, headers={"Lock-Token": f"<{w.token}>"}),
}
READS = ("GET", "HEAD", "PROPFIND 0", "PROPFIND 1")


@dataclasses.dataclass(frozen=True)
class Target:
    kind: str
    path: str
    twin: str  # a path like it that exists nowhere
    locked: bool = False


# 1. alice's own paths, as bob asks for them.
OWN_PATHS = (
    Target("file", "/Files/Docs/report.txt", "/Files/Nope/nope.txt"),
    Target("folder", "/Files/Docs", "/Files/Nope"),
    Target("subfolder", "/Files/Docs/Sub", "/Files/Nope/Nope"),
    Target("locked file", "/Files/Docs/locked.txt", "/Files/Nope/nope.txt", locked=True),
    Target("album", "/Albums/Trip", "/Albums/Nope"),
    Target("album member", "/Albums/Trip/p1.jpg", "/Albums/Nope/nope.jpg"),
    Target("smart folder", "/Smart Folders/Texts", "/Smart Folders/Nope"),
    Target("smart folder member", "/Smart Folders/Texts/report.txt", "/Smart Folders/Nope/nope.txt"),
    Target("tag", "/Tags/red", "/Tags/Nope"),
    Target("tag member", "/Tags/red/report.txt", "/Tags/Nope/nope.txt"),
    Target("category member", "/Categories/Documents/report.txt", "/Categories/Documents/nope.txt"),
    Target("playlist", "/Playlists/Mix.m3u8", "/Playlists/Nope.m3u8"),
)

# 2-4. the same things through /Shared With Me/alice/, and two never granted.
A = f"{SHARED}/alice"
SHARED_PATHS = (
    Target("shared folder", f"{A}/Docs", f"{A}/Nope"),
    Target("shared subfolder", f"{A}/Docs/Sub", f"{A}/Nope/Nope"),
    Target("file in shared folder", f"{A}/Docs/report.txt", f"{A}/Nope/nope.txt"),
    Target("locked file in shared folder", f"{A}/Docs/locked.txt", f"{A}/Nope/nope.txt", locked=True),
    Target("new name in shared folder", f"{A}/Docs/new.txt", f"{A}/Nope/new.txt"),
    Target("shared file", f"{A}/single.txt", f"{A}/nope.txt"),
    Target("shared album", f"{A}/Trip", f"{A}/Nope"),
    Target("shared album member", f"{A}/Trip/p1.jpg", f"{A}/Nope/nope.jpg"),
    Target("shared smart folder", f"{A}/Texts", f"{A}/Nope"),
    Target("shared smart folder member", f"{A}/Texts/report.txt", f"{A}/Nope/nope.txt"),
    Target("never-shared folder", f"{A}/Photos", f"{A}/Nope"),
    Target("never-shared file", f"{A}/Photos/private.txt", f"{A}/Nope/nope.txt"),
    Target("owner", A, f"{SHARED}/nobody"),
)
NEVER_GRANTED = frozenset({"never-shared folder", "never-shared file"})

# What alice herself gets for a read of the same thing (a read grant reads what she reads).
OWNER_PATH = {
    "shared folder": "/Files/Docs", "shared subfolder": "/Files/Docs/Sub",
    "file in shared folder": "/Files/Docs/report.txt", "locked file in shared folder": "/Files/Docs/locked.txt",
    "new name in shared folder": "/Files/Docs/new.txt", "shared file": "/Files/Loose/single.txt",
    "shared album": "/Albums/Trip", "shared album member": "/Albums/Trip/p1.jpg",
    "shared smart folder": "/Smart Folders/Texts", "shared smart folder member": "/Smart Folders/Texts/report.txt",
}


def _table(text: str) -> dict[str, dict[str, int]]:
    """Rows of statuses by target, in the column order of ``_WRITES``."""
    table = {}
    for line in text.strip().splitlines():
        kind, _, codes = line.partition(":")
        table[kind.strip()] = dict(zip(_WRITES, map(int, codes.split()), strict=True))
    return table


_WRITES = ("PROPPATCH", "PUT", "MKCOL", "DELETE", "COPY out", "MOVE out", "COPY in", "MOVE in", "LOCK",
           "LOCK refresh", "UNLOCK")

# A read grant: every write is a 403 with the grant's reason, asked before anything else
# (a COPY out is a read). Where nothing exists, the usual 404; the owner's listing is
# read-only for everybody. A COPY or MOVE onto alice's locked file, or onto the folder
# holding it, meets her lock first: 423.
#                              PROPPATCH PUT MKCOL DELETE COPYout MOVEout COPYin MOVEin LOCK refresh UNLOCK
READ_GRANT = _table("""
shared folder:                 403 403 403 403 201 403 423 423 403 403 403
shared subfolder:              403 403 403 403 201 403 403 403 403 403 403
file in shared folder:         403 403 403 403 201 403 403 403 403 403 403
locked file in shared folder:  403 403 403 403 201 403 423 423 403 403 403
new name in shared folder:     404 403 403 404 404 404 403 403 403 403 404
shared file:                   403 403 403 403 201 403 403 403 403 403 403
shared album:                  403 403 403 403 403 403 403 403 403 403 403
shared album member:           403 403 403 403 201 403 403 403 403 403 403
shared smart folder:           403 403 403 403 403 403 403 403 403 403 403
shared smart folder member:    403 403 403 403 201 403 403 403 403 403 403
owner:                         207 405 405 403 403 403 403 403 403 403 409
""")

# A write grant (manage for the smart folder): changes inside what was shared; the shared
# item itself is never deleted or moved (403); nothing leaves by MOVE (403); bob's own files
# never move in (403); alice's lock stands (412 when bob names her token, 423 otherwise);
# a smart folder stays read-only (403).
#                              PROPPATCH PUT MKCOL DELETE COPYout MOVEout COPYin MOVEin LOCK refresh UNLOCK
WRITE_GRANT = _table("""
shared folder:                 207 405 405 403 201 403 423 423 200 412 409
shared subfolder:              207 405 405 204 201 403 204 403 200 412 409
file in shared folder:         207 204 405 204 201 403 204 403 200 412 409
locked file in shared folder:  412 412 405 412 201 412 423 423 423 412 403
new name in shared folder:     404 201 201 404 404 404 201 403 201 400 404
shared file:                   207 204 405 403 201 403 403 403 200 412 409
shared album:                  207 405 405 403 403 403 403 403 403 403 409
shared album member:           207 204 405 204 201 403 403 403 200 412 409
shared smart folder:           403 403 403 403 403 403 403 403 403 403 403
shared smart folder member:    403 403 403 403 201 403 403 403 403 403 403
owner:                         207 405 405 403 403 403 403 403 403 403 409
""")
# (A PROPPATCH of an album answers 207 with a 403 for a property albums do not keep.)


# --- running the matrix ---------------------------------------------------------------------------


@dataclasses.dataclass
class Matrix:
    world: World
    state: str
    cases: int = 0
    failures: list[str] = dataclasses.field(default_factory=list)
    baseline: Snapshot | None = None

    def fail(self, target: Target, method: str, message: str) -> None:
        self.failures.append(f"{self.state} | {target.kind} | {method} | {target.path}: {message}")

    def reseed_if_changed(self) -> None:
        after = _snapshot(self.world)
        assert self.baseline is not None
        if after.rows != self.baseline.rows or after.bobs != self.baseline.bobs:
            _seed(self.world, self.state)
            self.baseline = _snapshot(self.world)

    @contextmanager
    def case(self, *, counted: bool = True) -> Iterator[Snapshot]:
        """A request from the seeded state (seeded again if the last one changed anything)."""
        self.reseed_if_changed()
        assert self.baseline is not None
        self.cases += counted
        yield self.baseline

    def check_untouched(self, target: Target, method: str, before: Snapshot) -> None:
        after = _snapshot(self.world)
        changed = before.changed_rows(after)
        if changed:
            self.fail(target, method, f"alice's data changed: {changed[:3]}")
        if not before.blobs_kept(after):
            self.fail(target, method, "a blob file went or changed")

    def check_no_secrets(self, target: Target, method: str, response: requests.Response) -> None:
        text = response.content.decode("utf-8", "replace") + json.dumps(dict(response.headers))
        for secret in self.world.secrets:
            if secret and secret in text:
                self.fail(target, method, f"the answer shows {secret!r}")

    def check_never_shared(self, target: Target, method: str, response: requests.Response) -> None:
        text = response.content.decode("utf-8", "replace")
        for secret in NEVER_SHARED:
            if secret in text:
                self.fail(target, method, f"the answer shows {secret!r}, which was never shared")

    # --- the three kinds of expectation --------------------------------------------------------

    def as_missing(self, target: Target, method: str) -> None:
        """Exactly what the twin (a path that exists nowhere) gets; nothing of alice's changes."""
        with self.case(counted=False):
            twin = METHODS[method](self.world, target.twin, target.locked)
        with self.case() as before:
            response = METHODS[method](self.world, target.path, target.locked)
        if response.status_code != twin.status_code:
            self.fail(target, method, f"{response.status_code}, but {twin.status_code} for {target.twin}")
        self.check_untouched(target, method, before)
        self.check_no_secrets(target, method, response)

    def as_granted(self, target: Target, method: str, table: dict[str, dict[str, int]] | None) -> None:
        with self.case() as before:
            response = METHODS[method](self.world, target.path, target.locked)
        if method == "OPTIONS":
            expected = 200
        elif method in READS:
            owner_path = OWNER_PATH.get(target.kind)
            expected = (_owner_read(self.world, method, owner_path) if owner_path
                        else {"GET": 301, "HEAD": 200}.get(method, 207))  # (the owner's listing)
            if method == "GET" and expected == 200 and owner_path and target.kind in READABLE_FILES \
                    and response.content != self.world.alice.request("GET", owner_path).content:
                self.fail(target, method, "bob does not read what alice reads")
        else:
            assert table is not None
            expected = table[target.kind][method]
        if response.status_code != expected:
            self.fail(target, method, f"{response.status_code} (expected {expected}): {_reason(response)!r}")
        if response.status_code == 403 and not _reason(response):
            self.fail(target, method, f"a 403 without a reason: {response.text[:200]!r}")
        self.check_never_shared(target, method, response)
        if response.status_code >= 300 or method in READS or method in ("OPTIONS", "COPY out"):
            self.check_untouched(target, method, before)
        else:
            self.check_confined(target, method, before)

    def check_confined(self, target: Target, method: str, before: Snapshot) -> None:
        """An allowed change touched only what the grant covers (and alice's usage)."""
        after = _snapshot(self.world)
        covered = _covered(target, before, after)
        for table, row in before.changed_rows(after):
            if not covered(table, row):
                self.fail(target, method, f"changed outside the grant: {table} {row}")
        if not before.blobs_kept(after):
            self.fail(target, method, "a blob file went or changed")


READABLE_FILES = frozenset({"file in shared folder", "locked file in shared folder", "shared file",
                            "shared album member", "shared smart folder member"})
_GENERIC = ("Access denied to the specified resource",)


def _reason(response: requests.Response) -> str:
    """The reason an error page gives (WsgiDAV's ``<p>403 Forbidden: reason</p>``), if any."""
    text = response.text
    start, end = text.find("<p>"), text.find("</p>")
    if start < 0 or end < start:
        return ""
    reason = text[start + 3:end].partition(": ")[2].strip()
    return "" if reason in _GENERIC else reason


def _owner_read(world: World, method: str, path: str) -> int:
    return METHODS[method](dataclasses.replace(world, bob=world.alice), path, False).status_code


def _covered(target: Target, before: Snapshot, after: Snapshot) -> Callable[[str, dict[str, Any]], bool]:
    """What an allowed write through a grant of ``target`` may change of alice's: the shared
    entries (and, for an album, where its uploads go), the folders listing them, what hangs
    on those files (memberships, tags, playlist entries, properties), locks bob took, and
    alice's catalogue and usage. Nothing else: not her other folders and files, not her
    album, tag, smart folder and playlist rows, not her own lock. Worked out from the rows
    before and after, so what the request created or deleted counts too."""
    folders = {row["id"]: row for row in before.rows["folders"] + after.rows["folders"]}
    files = before.rows["files"] + after.rows["files"]
    root = next(ident for ident, row in folders.items() if row["parent_id"] is None)

    def subtree(name: str) -> set[int]:
        found = {ident for ident, row in folders.items() if row["name"] == name and row["parent_id"] == root}
        while True:
            more = {ident for ident, row in folders.items() if row["parent_id"] in found} - found
            if not more:
                return found
            found |= more

    trip = {row["id"] for row in before.rows["albums"] if row["name"] == "Trip"}
    if target.kind == "shared file":
        holding: set[int] = set()
        covered_files = {row["id"] for row in files if row["name"] == "single.txt"}
    elif target.kind.startswith("shared album"):
        holding = subtree("Albums")  # uploads land in /Files/Albums/Trip/
        covered_files = {row["file_id"] for row in before.rows["album_files"] + after.rows["album_files"]}
    else:
        holding, covered_files = subtree("Docs"), set()
    covered_files |= {row["id"] for row in files if row["folder_id"] in holding}
    # Folders whose listing changes: those holding covered files, and the parents of new ones.
    listed = holding | {row["folder_id"] for row in files if row["id"] in covered_files}
    listed |= {folders[ident]["parent_id"] for ident in holding}

    def covered(table: str, row: dict[str, Any]) -> bool:
        if table in ("media_files", "users"):
            return True  # alice's catalogue and usage follow her files
        if table == "folders":
            return row["id"] in listed
        if table == "files":
            return row["id"] in covered_files
        if table == "album_files":
            return row["album_id"] in trip or row["file_id"] in covered_files
        if table in ("file_tags", "playlist_tracks"):
            return row["file_id"] in covered_files
        if table == "albums":
            return row["id"] in trip
        if table == "dav_properties":
            return row["file_id"] in covered_files or row["folder_id"] in holding
        if table == "dav_locks":
            return row["principal"] == "bob"
        return False

    return covered


@pytest.fixture
def world(alice_client: Client, bob_client: Client, database: Database, alice: Account, bob: Account,
          blob_root: Path) -> World:
    return World(alice_client, bob_client, database, alice, bob, blob_root)


def _run(world: World, state: str, targets: tuple[Target, ...]) -> Matrix:
    _seed(world, state)
    matrix = Matrix(world, state, baseline=_snapshot(world))
    for target in targets:
        for method in METHODS:
            if state in ("none", "expired") or target.kind in NEVER_GRANTED or target in OWN_PATHS:
                matrix.as_missing(target, method)
            else:
                matrix.as_granted(target, method, READ_GRANT if state == "read" else WRITE_GRANT)
    return matrix


def test_bob_reaches_nothing_of_alices_through_his_own_paths(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    matrix = _run(world, "none", OWN_PATHS)
    with capsys.disabled():
        print(f"\nisolation, alice's own paths: {matrix.cases} cases, {len(matrix.failures)} failures")
    assert not matrix.failures, "\n".join(matrix.failures)
    assert matrix.cases == len(OWN_PATHS) * len(METHODS)


@pytest.mark.parametrize("state", ["none", "expired", "read", "write"])
def test_bob_reaches_through_shared_with_me_exactly_what_his_grant_allows(
        world: World, state: str, capsys: pytest.CaptureFixture[str]) -> None:
    targets = tuple(target for target in SHARED_PATHS if not (state == "expired" and target.kind == "owner"))
    matrix = _run(world, state, targets)
    with capsys.disabled():
        print(f"\nisolation, /Shared With Me/ with {state} grants: {matrix.cases} cases, "
              f"{len(matrix.failures)} failures")
    assert not matrix.failures, "\n".join(matrix.failures)
