"""Helpers for the virtual-folder tests: requests and row counts."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import sqlalchemy as sa

from mediavault_dav.db.database import Database
from tests.support import Client, propfind

MV = "urn:mediavault:props"


def put(client: Client, path: str, body: bytes, **headers: str) -> int:
    return client.request("PUT", path, data=body, headers=headers).status_code


def copy(client: Client, source: str, destination: str, **headers: str):  # noqa: ANN201
    return client.request("COPY", source, headers={"Destination": client.base_url.rstrip("/") + destination,
                                                    **headers})


def move(client: Client, source: str, destination: str, **headers: str):  # noqa: ANN201
    return client.request("MOVE", source, headers={"Destination": client.base_url.rstrip("/") + destination,
                                                    **headers})


def names(client: Client, folder: str) -> list[str]:
    """The member names a Depth 1 PROPFIND lists (without the folder itself)."""
    listing = propfind(client, folder)
    prefix = folder.rstrip("/") + "/"
    return sorted(href[len(prefix):].rstrip("/") for href in listing if href != prefix and href.startswith(prefix))


def count(database: Database, sql: str, **params: object) -> int:
    with database.transaction() as session:
        return int(session.execute(sa.text(sql), params).scalar_one())


def mv_property(client: Client, path: str, name: str) -> ET.Element | None:
    """A MediaVault property asked for by name (None when absent)."""
    body = (f'<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:mv="{MV}">'
            f"<D:prop><mv:{name}/></D:prop></D:propfind>").encode()
    response = client.request("PROPFIND", path, data=body, headers={"Depth": "0"})
    assert response.status_code == 207, (response.status_code, response.text[:300])
    for propstat in ET.fromstring(response.content).iter("{DAV:}propstat"):
        if "200" in (propstat.findtext("{DAV:}status") or ""):
            return propstat.find(f".//{{{MV}}}{name}")
    return None


def proppatch_mv(client: Client, path: str, name: str, inner: str, *, remove: bool = False):  # noqa: ANN201
    action = (f"<D:remove><D:prop><mv:{name}/></D:prop></D:remove>" if remove
              else f"<D:set><D:prop><mv:{name}>{inner}</mv:{name}></D:prop></D:set>")
    body = (f'<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:mv="{MV}">'
            f"{action}</D:propertyupdate>").encode()
    return client.request("PROPPATCH", path, data=body)
