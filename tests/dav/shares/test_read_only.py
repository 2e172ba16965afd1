"""Every write method on a share is refused, and nothing in the vault changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediavault_dav.db.database import Database
from mediavault_dav.server import Gateway
from mediavault_dav.vault.users import Account
from tests.dav.shares.share_support import activity, make_share, mkcol, put, vault_snapshot
from tests.support import Client

WRITE_METHODS = ("PUT", "DELETE", "MKCOL", "COPY", "MOVE", "PROPPATCH", "LOCK", "UNLOCK", "POST", "PATCH")
_PROPPATCH = (b'<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:x="urn:example">'
              b"<D:set><D:prop><x:note>defaced</x:note></D:prop></D:set></D:propertyupdate>")
_LOCK = (b'<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>'
         b"<D:locktype><D:write/></D:locktype><D:owner>guest</D:owner></D:lockinfo>")


@pytest.fixture
def shared(alice_client: Client) -> Client:
    mkcol(alice_client, "/Files/Shared")
    mkcol(alice_client, "/Files/Shared/sub")
    put(alice_client, "/Files/Shared/a.txt", b"original")
    mkcol(alice_client, "/Albums/Trip")
    response = alice_client.request("COPY", "/Files/Shared/a.txt", headers={
        "Destination": alice_client.base_url.rstrip("/") + "/Albums/Trip/a.txt"})
    assert response.status_code == 201
    return alice_client


def _attempt(method: str, client: Client, path: str, destination: str) -> int:
    headers = {"Destination": destination, "Overwrite": "T", "Depth": "infinity",
               "Lock-Token": "<opaquelocktoken:0x1>", "Timeout": "Second-60"}
    body = {"PUT": b"replaced", "PROPPATCH": _PROPPATCH, "LOCK": _LOCK, "POST": b"x=1", "PATCH": b"x"}.get(method)
    return client.request(method, path, data=body, headers=headers).status_code


@pytest.mark.parametrize("password", [None, "a share password"])
@pytest.mark.parametrize("target", ["/Files/Shared", "/Albums/Trip", "/Files/Shared/a.txt"])
def test_every_write_method_is_refused_and_changes_nothing(
        gateway: Gateway, alice: Account, shared: Client, database: Database, blob_root: Path,
        target: str, password: str | None) -> None:
    share = make_share(database, gateway.url, alice, target, password=password)
    before = vault_snapshot(database, blob_root)
    base = gateway.url.rstrip("/")
    destinations = [base + share.path + "copy.txt", base + "/Files/Shared/stolen.txt",
                    base + share.path + "../../Files/x"]
    paths = ["", "a.txt", "sub", "sub/new.txt", "new.txt", "new folder/"]
    for method in WRITE_METHODS:
        for path in paths:
            for destination in destinations:
                status = _attempt(method, share.guest, share.path + path, destination)
                # 405 from the gate; a Destination spelling '..' is refused (400) even before that.
                assert status in (405, 400), (method, path, destination, status)
            # The right password changes nothing either.
            with_password = Client(gateway.url, ("anyone", password)) if password else share.guest
            assert _attempt(method, with_password, share.path + path, destinations[1]) == 405, (method, path)
    assert vault_snapshot(database, blob_root) == before
    refused = activity(database, "share.refused")
    assert refused and all(row.status_code == 405 for row in refused)


def test_refusals_say_which_methods_a_share_allows(gateway: Gateway, alice: Account, shared: Client,
                                                   database: Database) -> None:
    share = make_share(database, gateway.url, alice, "/Files/Shared")
    refused = share.request("PUT", "a.txt", data=b"x" * 100_000)
    assert refused.status_code == 405
    assert refused.headers["Allow"] == "OPTIONS, GET, HEAD, PROPFIND"
    assert refused.headers["Connection"] == "close"  # the unread body is not taken for the next request
    assert share.get("a.txt").content == b"original"


def test_the_signed_in_namespace_cannot_copy_or_move_into_a_share(
        gateway: Gateway, alice: Account, shared: Client, database: Database, blob_root: Path) -> None:
    share = make_share(database, gateway.url, alice, "/Files/Shared")
    before = vault_snapshot(database, blob_root)
    target = gateway.url.rstrip("/") + share.path + "copied.txt"
    for method in ("COPY", "MOVE"):
        response = shared.request(method, "/Files/Shared/a.txt", headers={"Destination": target})
        # /s/ is not in the signed-in namespace: its "parent" does not exist there (409).
        assert response.status_code in (403, 409), (method, response.status_code)
    assert vault_snapshot(database, blob_root) == before
