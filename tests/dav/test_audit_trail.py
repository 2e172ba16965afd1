"""Every change writes exactly one audit row, inside its own transaction."""

from __future__ import annotations

import sqlalchemy as sa

from mediavault_dav.db.database import Database
from mediavault_dav.vault.users import Account
from tests.support import Client

_LOCK_BODY = (b'<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>'
              b"<D:locktype><D:write/></D:locktype><D:owner>audit test</D:owner></D:lockinfo>")
_PROPPATCH_BODY = (b'<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:X="urn:example:audit">'
                   b"<D:set><D:prop><X:colour>blue</X:colour></D:prop></D:set></D:propertyupdate>")
_AGENT = {"User-Agent": "audit-test/1.0"}


def _rows(database: Database) -> list[sa.Row]:
    with database.reading() as session:
        return list(session.execute(sa.text(
            "SELECT user_id, username, action, resource_type, resource_id, path, host(client_address) AS address, "
            "user_agent, outcome, status_code, bytes, details FROM activity_logs "
            "WHERE action <> 'sign_in' ORDER BY id")))


def _one_new_row(database: Database, before: int) -> sa.Row:
    rows = _rows(database)
    assert len(rows) == before + 1, rows[before:]
    return rows[-1]


def test_each_kind_of_change_writes_exactly_one_row_with_who_what_where(
        alice_client: Client, alice: Account, database: Database) -> None:
    base = alice_client.base_url
    steps = [
        ("MKCOL", "/Files/Docs", {}, None, "mkcol", 201, None),
        ("PUT", "/Files/Docs/a.txt", {}, b"hello", "put", 201, 5),
        ("PUT", "/Files/Docs/a.txt", {}, b"hello again", "put", 204, 11),
        ("PROPPATCH", "/Files/Docs/a.txt", {}, _PROPPATCH_BODY, "proppatch", None, None),
        ("COPY", "/Files/Docs/a.txt", {"Destination": base + "/Files/Docs/b.txt"}, None, "copy", 201, None),
        ("MOVE", "/Files/Docs/b.txt", {"Destination": base + "/Files/Docs/c.txt"}, None, "move", 201, None),
        ("DELETE", "/Files/Docs/c.txt", {}, None, "delete", 204, None),
        ("LOCK", "/Files/Docs/a.txt", {"Timeout": "Second-60"}, _LOCK_BODY, "lock", None, None),
    ]
    token = None
    for method, path, headers, body, action, status, size in steps:
        before = len(_rows(database))
        response = alice_client.request(method, path, headers={**_AGENT, **headers}, data=body)
        assert response.status_code < 300, (method, path, response.status_code, response.text)
        row = _one_new_row(database, before)
        assert (row.action, row.outcome, row.path) == (action, "success", path), row
        assert (row.user_id, row.username, row.address, row.user_agent) == (
            alice.id, "alice", "127.0.0.1", "audit-test/1.0")
        assert row.status_code == status and row.bytes == size
        if method == "LOCK":
            token = response.headers["Lock-Token"]
    before = len(_rows(database))
    assert alice_client.request("UNLOCK", "/Files/Docs/a.txt",
                                headers={**_AGENT, "Lock-Token": token}).status_code == 204
    assert _one_new_row(database, before).action == "unlock"
    # The rows name the things changed.
    kinds = {(row.action, row.resource_type) for row in _rows(database)}
    assert {("mkcol", "folder"), ("put", "file"), ("copy", "file"), ("delete", "file")} <= kinds


def test_a_refused_change_is_recorded_as_refused_and_changes_nothing(alice_client: Client,
                                                                    database: Database) -> None:
    assert alice_client.request("MKCOL", "/Files/Once").status_code == 201
    before = len(_rows(database))
    assert alice_client.request("MKCOL", "/Files/Once", headers=_AGENT).status_code == 405
    row = _one_new_row(database, before)
    assert (row.action, row.outcome, row.status_code, row.path) == ("mkcol", "refused", 405, "/Files/Once")


def test_when_the_audit_row_cannot_be_written_the_change_does_not_happen(alice_client: Client,
                                                                        database: Database) -> None:
    with database.transaction() as session:  # the trail refuses MKCOL rows from now on
        session.execute(sa.text("ALTER TABLE activity_logs ADD CONSTRAINT audit_test_refuses "
                                "CHECK (action <> 'mkcol' OR outcome <> 'success')"))
    response = alice_client.request("MKCOL", "/Files/Never")
    assert response.status_code == 500
    assert alice_client.request("PROPFIND", "/Files/Never", headers={"Depth": "0"}).status_code == 404
    assert alice_client.request("PUT", "/Files/still-works.txt", data=b"ok").status_code == 201
