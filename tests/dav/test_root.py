"""The signed-in user's root over real HTTP: listing, authentication, OPTIONS."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from urllib.parse import unquote

import pytest

from mediavault_dav.dav.root import TOP_LEVEL_AREAS
from mediavault_dav.server import Gateway
from tests.support import PASSWORD, Client

DAV = "{DAV:}"


def _hrefs(body: bytes) -> list[str]:
    return [unquote(element.text or "") for element in ET.fromstring(body).iter(f"{DAV}href")]


def test_propfind_depth_1_lists_the_top_level_folders(alice_client: Client) -> None:
    response = alice_client.request("PROPFIND", "/", headers={"Depth": "1"})
    assert response.status_code == 207
    assert _hrefs(response.content) == ["/", *(f"/{area}/" for area in TOP_LEVEL_AREAS)]
    collections = ET.fromstring(response.content).findall(f".//{DAV}resourcetype/{DAV}collection")
    assert len(collections) == 1 + len(TOP_LEVEL_AREAS)


def test_an_area_resolves_with_and_without_a_trailing_slash(alice_client: Client) -> None:
    for path in ("/Smart%20Folders", "/Smart%20Folders/"):
        response = alice_client.request("PROPFIND", path, headers={"Depth": "0"}, allow_redirects=False)
        assert response.status_code == 207, path


def test_a_missing_path_is_a_plain_404(alice_client: Client) -> None:
    response = alice_client.request("PROPFIND", "/Nowhere", headers={"Depth": "0"})
    assert response.status_code == 404


def test_no_credentials_get_a_basic_challenge(anonymous_client: Client) -> None:
    for method in ("PROPFIND", "GET", "HEAD", "PUT", "DELETE", "MKCOL", "LOCK"):
        response = anonymous_client.request(method, "/")
        assert response.status_code == 401, method
        assert response.headers["WWW-Authenticate"].startswith('Basic realm="MediaVault"')


def test_wrong_password_and_unknown_user_look_the_same(gateway: Gateway, alice_client: Client) -> None:
    wrong = Client(gateway.url, ("alice", PASSWORD + "!")).request("PROPFIND", "/", headers={"Depth": "0"})
    unknown = Client(gateway.url, ("mallory", PASSWORD)).request("PROPFIND", "/", headers={"Depth": "0"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.content == unknown.content
    assert wrong.headers["WWW-Authenticate"] == unknown.headers["WWW-Authenticate"]


@pytest.mark.parametrize("header", [
    "Basic", "Basic !!!not-base64!!!", "Basic " + base64.b64encode(b"no-colon").decode(),
    "Basic " + base64.b64encode(b"\xff\xfe:x").decode(), "Digest username=alice", "Bearer abc",
])
def test_a_malformed_authorization_header_is_a_401_not_an_error(anonymous_client: Client, header: str) -> None:
    response = anonymous_client.request("PROPFIND", "/", headers={"Authorization": header})
    assert response.status_code == 401


def test_options_answers_without_credentials_on_every_path(anonymous_client: Client) -> None:
    for path in ("/", "/Files/", "/does/not/exist"):
        response = anonymous_client.request("OPTIONS", path)
        assert response.status_code == 200, path
        assert response.headers["DAV"].startswith("1")
        assert response.headers["MS-Author-Via"] == "DAV"
        assert "PROPFIND" in response.headers["Allow"]


def test_a_disabled_account_cannot_sign_in(gateway: Gateway, alice_client: Client, database) -> None:
    from mediavault_dav.vault import users

    with database.transaction() as session:
        users.set_active(session, "alice", False)
    # (An account disabled while signed in: tests/dav/test_auth.py.)
    assert alice_client.request("PROPFIND", "/", headers={"Depth": "0"}).status_code == 401


def test_writes_to_the_root_are_refused_without_a_server_error(alice_client: Client) -> None:
    for method, path in (("PUT", "/x.txt"), ("MKCOL", "/New"), ("DELETE", "/Files/")):
        response = alice_client.request(method, path, data=b"x")
        assert 400 <= response.status_code < 500, (method, response.status_code)
