"""Every share access is a row of activity_logs; the share's counters follow."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from mediavault_dav.db.database import Database
from mediavault_dav.server import Gateway
from mediavault_dav.vault import shares
from mediavault_dav.vault.users import Account
from tests.dav.shares.share_support import activity, make_share, mkcol, put
from tests.support import Client

AGENT = "GuestBrowser/1.0 (test)"


def test_each_access_records_token_prefix_resource_address_agent_outcome_and_bytes(
        gateway: Gateway, alice: Account, alice_client: Client, database: Database) -> None:
    mkcol(alice_client, "/Files/Trip")
    mkcol(alice_client, "/Files/Trip/sub")
    put(alice_client, "/Files/Trip/sub/notes.txt", b"0123456789")
    share = make_share(database, gateway.url, alice, "/Files/Trip", password="share password")
    guest = {"User-Agent": AGENT}
    right = ("guest", "share password")
    assert share.get("sub/notes.txt", headers=guest, auth=right).status_code == 200
    assert share.get("sub/notes.txt", headers={**guest, "Range": "bytes=2-5"}, auth=right).status_code == 206
    assert share.get("sub/notes.txt", headers=guest).status_code == 401
    assert share.get("sub/notes.txt", headers=guest, auth=("guest", "wrong")).status_code == 401
    assert share.get("missing.txt", headers=guest, auth=right).status_code == 404
    assert share.request("DELETE", "sub/notes.txt", headers=guest).status_code == 405
    unknown = shares.new_token()
    assert share.guest.request("GET", f"/s/{unknown}/sub/notes.txt", headers=guest).status_code == 404

    rows = activity(database, at_least=8)
    prefix = hashlib.sha256(share.token.encode()).hexdigest()[:12]
    # (Rows of served content are written after their last byte, so their order may vary.)
    assert sorted((row.action, row.outcome, row.status_code or 0) for row in rows) == sorted([
        ("share.download", "counted", 0),
        ("share.access", "ok", 200),
        ("share.access", "ok", 206),  # a Range request after it continues that download: not counted
        ("share.access", "unauthorized", 401),
        ("share.password_failed", "wrong_password", 401),
        ("share.access", "not_found", 404),
        ("share.refused", "read_only", 405),
        ("share.miss", "not_found", 404),
    ])
    served = next(row for row in rows if row.status_code == 200)
    ranged = next(row for row in rows if row.status_code == 206)
    assert served.user_id == alice.id and served.resource_type == "share_link" and served.resource_id == share.id
    assert served.path == "/sub/notes.txt" and served.address == "127.0.0.1" and served.user_agent == AGENT
    assert served.bytes == 10 and served.details["token"] == prefix and served.details["complete"] is True
    assert ranged.bytes == 4 and ranged.details["range"] == "bytes=2-5" and ranged.details["download"] == "continued"
    miss = next(row for row in rows if row.action == "share.miss")
    assert miss.user_id is None and miss.resource_id is None
    assert miss.details["token"] == hashlib.sha256(unknown.encode()).hexdigest()[:12]
    assert all(share.token not in str(tuple(row)) for row in rows)  # never the token itself

    with database.transaction() as session:
        counters = session.execute(sa.text(
            "SELECT access_count, last_accessed_at IS NOT NULL AS touched, download_count FROM share_links")).one()
    assert (counters.access_count, counters.touched, counters.download_count) == (2, True, 1)
