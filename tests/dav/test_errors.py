"""Failures reach the client as clear statuses that reveal nothing internal."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from tests.support import Client


@pytest.mark.parametrize("method, path", [("PROPFIND", "/"), ("PROPFIND", "/Files/"),
                                          ("GET", "/Files/kept.txt"), ("PUT", "/Files/new.txt")])
def test_a_lost_database_is_a_503_with_retry_after_never_an_empty_listing(
        alice_client: Client, admin_url: str, database_url: str, method: str, path: str) -> None:
    assert alice_client.request("PUT", "/Files/kept.txt", data=b"kept").status_code == 201
    assert alice_client.request("PROPFIND", "/", headers={"Depth": "1"}).status_code == 207
    name = make_url(database_url).database
    admin = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))

    response = alice_client.request(method, path, headers={"Depth": "1"}, data=b"body" if method == "PUT" else None)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    body = response.text
    assert "try again shortly" in body
    for leak in ("psycopg", "OperationalError", name, "Traceback", "postgresql"):
        assert leak not in body


def test_the_wsgidav_version_is_not_advertised(alice_client: Client) -> None:
    response = alice_client.request("PROPFIND", "/Nowhere", headers={"Depth": "0"})
    assert response.status_code == 404
    assert "WsgiDAV" not in response.headers.get("Server", "") and "WsgiDAV/" not in response.text
