"""``mediavault-dav share create|list|show|revoke`` against the database a gateway serves."""

from __future__ import annotations

import json
import re

import pytest
import requests

from mediavault_dav.db.database import Database
from mediavault_dav.server import Gateway
from mediavault_dav.vault.users import Account
from tests.dav.shares.share_support import mkcol, put
from tests.support import Client, clean_environment, run_cli

PUBLIC = "https://vault.example.com"
URL = re.compile(r"^https://vault\.example\.com/s/([A-Za-z0-9_-]{43})/$")


@pytest.fixture
def env(database_url: str) -> dict[str, str]:
    return clean_environment(DATABASE_URL=database_url, SESSION_SECRET="s" * 40, MEDIAVAULT_PUBLIC_URL=PUBLIC)


@pytest.fixture
def library(alice_client: Client) -> Client:
    mkcol(alice_client, "/Files/Trip")
    put(alice_client, "/Files/Trip/a.txt", b"trip notes")
    mkcol(alice_client, "/Albums/Best")
    mkcol(alice_client, "/Tags/red")
    return alice_client


def _create(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    result = run_cli("share", "create", *args, env=env, input=stdin)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _local(gateway: Gateway, url: str) -> str:
    """The printed public URL, on the test gateway."""
    return gateway.url.rstrip("/") + url.removeprefix(PUBLIC)


def test_create_prints_a_working_url_and_list_show_revoke_manage_it(
        env: dict[str, str], gateway: Gateway, library: Client) -> None:
    out = _create(env, "/Files/Trip", "--user", "alice", "--expires", "7d", "--max-downloads", "3",
                  "--label", "for Bob")
    url = out.strip()
    assert URL.match(url) and out.count("\n") == 1  # stdout is the URL alone: scripts can take it
    assert requests.get(_local(gateway, url) + "a.txt", timeout=30).content == b"trip notes"

    listed = json.loads(run_cli("share", "list", "--json", env=env).stdout)
    assert [(entry["id"], entry["owner"], entry["target"], entry["kind"], entry["state"], entry["label"],
             entry["max_downloads"], entry["download_count"]) for entry in listed] == [
        (1, "alice", "/Files/Trip", "folder", "active", "for Bob", 3, 1)]
    assert url.split("/")[-2] not in json.dumps(listed)  # the token is never shown again
    table = run_cli("share", "list", "--user", "alice", env=env).stdout
    assert table.split("\n")[0].split()[:4] == ["ID", "OWNER", "TARGET", "STATE"] and "/Files/Trip" in table

    shown = run_cli("share", "show", "1", env=env).stdout
    assert re.search(r"^accesses:\s+1$", shown, re.M), shown
    assert re.search(r"^last access:\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$", shown, re.M), shown
    assert re.search(r"^downloads:\s+1/3$", shown, re.M) and "for Bob" in shown
    assert "recent accesses:" in shown and "/a.txt" in shown and "127.0.0.1" in shown

    revoked = run_cli("share", "revoke", url, env=env)  # by its URL, as a leaked link is reported
    assert revoked.returncode == 0 and revoked.stdout.strip() == "share 1 revoked"
    assert requests.get(_local(gateway, url) + "a.txt", timeout=30).status_code == 404
    assert run_cli("share", "revoke", "1", env=env).stdout.strip() == "share 1 was already revoked"
    assert json.loads(run_cli("share", "show", url, "--json", env=env).stdout)["state"] == "revoked"


def test_every_kind_of_target_and_a_password(env: dict[str, str], gateway: Gateway, library: Client,
                                             database: Database, alice: Account) -> None:
    from mediavault_dav.vault import smart_folders

    with database.transaction() as session:
        smart_folders.create_smart_folder(session, alice.id, "Texts", {"extension": "txt"})
    for path, kind in (("/Files/Trip/a.txt", "file"), ("/Files", "folder"), ("/Albums/Best", "album"),
                       ("/Smart Folders/Texts", "smart_folder"), ("/Tags/red", "tag")):
        created = json.loads(_create(env, path, "--user", "alice", "--json"))
        assert created["kind"] == kind and created["target"] == path and URL.match(created["url"])
    protected = _create(env, "/Files/Trip", "--user", "alice", "--password-stdin", stdin="a good password\n").strip()
    assert requests.get(_local(gateway, protected), timeout=30).status_code == 401
    with_password = requests.get(_local(gateway, protected) + "a.txt", auth=("x", "a good password"), timeout=30)
    assert with_password.status_code == 200


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (["/Categories/Images"], None, "a share names one of /Files/..., /Albums/<album>, /Smart Folders/<smart folder>"),
    (["/Files/nothing here"], None, "/Files/nothing here does not exist"),
    (["/Albums/Best/x.jpg"], None, "share a single file by its /Files/ path"),
    (["/Files/Trip", "--expires", "2001-01-01"], None, "the expiry is in the past"),
    (["/Files/Trip", "--expires", "soon"], None, "--expires must be a duration (30m, 12h, 7d, 2w), a date"),
    (["/Files/Trip", "--max-downloads", "0"], None, "--max-downloads must be a whole number from 1"),
    (["/Files/Trip", "--password-stdin"], "short\n", "the password must have at least 8 characters"),
    (["/Files/Trip", "--password-stdin"], "", "standard input held no password"),
    (["/Files/Trip/._a.txt"], None, "housekeeping file"),
])
def test_refused_shares_say_why_and_store_nothing(env: dict[str, str], library: Client, database: Database,
                                                  args: list[str], stdin: str | None, message: str) -> None:
    put(library, "/Files/Trip/._a.txt", b"finder")
    result = run_cli("share", "create", *args, "--user", "alice", env=env, input=stdin)
    assert result.returncode == 1
    assert result.stderr.startswith("mediavault-dav: error: ") and message in result.stderr, result.stderr
    assert json.loads(run_cli("share", "list", "--json", env=env).stdout) == []


def test_without_a_public_url_the_link_uses_the_listening_address_and_says_so(
        database_url: str, library: Client) -> None:
    env = clean_environment(DATABASE_URL=database_url, SESSION_SECRET="s" * 40, MEDIAVAULT_PORT="8443")
    result = run_cli("share", "create", "/Files/Trip", "--user", "alice", env=env)
    assert result.returncode == 0, result.stderr
    assert re.match(r"^http://127\.0\.0\.1:8443/s/[A-Za-z0-9_-]{43}/$", result.stdout.strip())
    assert "set MEDIAVAULT_PUBLIC_URL" in result.stderr
    bad = run_cli("share", "list", env={**env, "MEDIAVAULT_PUBLIC_URL": "vault.example.com"})
    assert bad.returncode == 1 and "MEDIAVAULT_PUBLIC_URL must be the http:// or https:// address" in bad.stderr
