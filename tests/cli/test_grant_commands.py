"""``mediavault-dav grant | revoke | grants list`` against the database a gateway serves."""

from __future__ import annotations

import getpass
import json

import pytest

from mediavault_dav.db.database import Database
from mediavault_dav.vault import activity, smart_folders
from mediavault_dav.vault.users import Account
from tests.dav.shares.share_support import mkcol, put
from tests.support import Client, clean_environment, run_cli


@pytest.fixture
def env(database_url: str) -> dict[str, str]:
    return clean_environment(DATABASE_URL=database_url, SESSION_SECRET="s" * 40)


@pytest.fixture
def library(alice_client: Client, bob: Account) -> Client:
    mkcol(alice_client, "/Files/Trip")
    put(alice_client, "/Files/Trip/a.txt", b"trip notes")
    mkcol(alice_client, "/Albums/Best")
    mkcol(alice_client, "/Tags/red")
    return alice_client


def _ok(env: dict[str, str], *args: str) -> str:
    result = run_cli(*args, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_grant_opens_shared_with_me_at_once_and_revoke_closes_it(
        env: dict[str, str], library: Client, bob_client: Client, database: Database) -> None:
    assert bob_client.request("GET", "/Shared With Me/alice/Trip/a.txt").status_code == 404
    out = _ok(env, "grant", "--user", "alice", "/Files/Trip", "bob", "--level", "read")
    assert out.strip() == "grant 1 created: bob may read /Files/Trip of alice"
    assert bob_client.request("GET", "/Shared With Me/alice/Trip/a.txt").content == b"trip notes"

    out = _ok(env, "grant", "--user", "alice", "/Files/Trip", "bob", "--level", "write", "--expires", "7d")
    assert out.startswith("grant 1 changed: bob may write /Files/Trip of alice until 20")
    assert bob_client.request("PUT", "/Shared With Me/alice/Trip/b.txt", data=b"from bob").status_code == 201

    listed = json.loads(_ok(env, "grants", "list", "--json"))
    assert [(entry["id"], entry["owner"], entry["target"], entry["kind"], entry["grantee"], entry["level"],
             entry["state"], entry["granted_by"]) for entry in listed] == [
        (1, "alice", "/Files/Trip", "folder", "bob", "write", "active", "alice")]
    assert listed[0]["expires_at"] is not None
    table = _ok(env, "grants", "list", "--user", "alice")
    assert table.split("\n")[0].split()[:4] == ["ID", "OWNER", "TARGET", "GRANTEE"] and "/Files/Trip" in table
    assert json.loads(_ok(env, "grants", "list", "--grantee", "alice", "--json")) == []

    assert _ok(env, "revoke", "--user", "alice", "/Files/Trip", "bob").strip() == (
        "grant 1 revoked: bob no longer has /Files/Trip of alice")
    assert bob_client.request("GET", "/Shared With Me/alice/Trip/a.txt").status_code == 404
    assert json.loads(_ok(env, "grants", "list", "--json")) == []

    with database.transaction() as session:
        rows = list(reversed(activity.query(session, action="grant")))
    operator = f"cli:{getpass.getuser()}"
    assert [(row.action, row.username, row.details["level"]) for row in rows] == [
        ("grant.create", operator, "read"), ("grant.update", operator, "write"), ("grant.revoke", operator, "write")]
    assert all(row.details["owner"] == "alice" and row.details["grantee"] == "bob"
               and row.details["target"] == "/Files/Trip" for row in rows)


def test_albums_smart_folders_and_single_files_can_be_granted(
        env: dict[str, str], library: Client, bob_client: Client, database: Database, alice: Account) -> None:
    with database.transaction() as session:
        smart_folders.create_smart_folder(session, alice.id, "Texts", {"extension": "txt"})
    _ok(env, "grant", "--user", "alice", "/Albums/Best", "bob", "--level", "write")
    _ok(env, "grant", "--user", "alice", "/Smart Folders/Texts", "bob", "--level", "manage")
    made = json.loads(_ok(env, "grant", "--user", "alice", "/Files/Trip/a.txt", "bob", "--level", "read",
                          "--json"))
    assert (made["kind"], made["target"], made["created"]) == ("file", "/Files/Trip/a.txt", True)
    listing = bob_client.request("PROPFIND", "/Shared With Me/alice/", headers={"Depth": "1"})
    assert listing.status_code == 207
    for name in ("Best/", "Texts/", "a.txt"):
        assert f"/Shared%20With%20Me/alice/{name}" in listing.text, name


@pytest.mark.parametrize(("args", "message"), [
    (["grant", "--user", "alice", "/Tags/red", "bob", "--level", "read"],
     "a grant names one of /Files/..., /Albums/<album> or /Smart Folders/<smart folder>"),
    (["grant", "--user", "alice", "/Categories/Images", "bob", "--level", "read"], "a grant names one of"),
    (["grant", "--user", "alice", "/Playlists/Mix.m3u8", "bob", "--level", "read"], "a grant names one of"),
    (["grant", "--user", "alice", "/Files/Trip", "alice", "--level", "read"], "the owner has every right already"),
    (["grant", "--user", "alice", "/Files/Trip", "nobody", "--level", "read"], "there is no user named 'nobody'"),
    (["grant", "--user", "alice", "/Files/Nope", "bob", "--level", "read"], "/Files/Nope does not exist"),
    (["grant", "--user", "alice", "/Files/Trip", "bob", "--level", "read", "--expires", "soon"],
     "--expires must be"),
    (["grant", "--user", "alice", "/Files/Trip", "bob", "--level", "read", "--as", "bob"],
     "nobody can change their own grant"),
    (["revoke", "--user", "alice", "/Files/Trip", "bob"], "bob has no grant of /Files/Trip"),
])
def test_refusals_are_one_line_and_change_nothing(env: dict[str, str], library: Client, args: list[str],
                                                  message: str) -> None:
    result = run_cli(*args, env=env)
    assert result.returncode == 1
    assert result.stderr.strip().startswith("mediavault-dav: error: ") and message in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert json.loads(_ok(env, "grants", "list", "--json")) == []


def test_an_unknown_level_is_a_usage_error(env: dict[str, str], library: Client) -> None:
    result = run_cli("grant", "--user", "alice", "/Files/Trip", "bob", "--level", "admin", env=env)
    assert result.returncode == 2 and "'admin' is not one of 'read', 'write', 'manage'" in result.stderr
