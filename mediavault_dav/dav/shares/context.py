"""What one share request carries from the gate to the provider and the audit row."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mediavault_dav.dav.proxy import CLIENT_ADDRESS_KEY
from mediavault_dav.vault.share_content import Target
from mediavault_dav.vault.shares import OpenedShare

SHARE_KEY = "mediavault.share"  # an OpenShare, set once the gate let the request in
REQUEST_KEY = "mediavault.share_request"  # the ShareRequest being recorded


@dataclass
class OpenShare:
    """A share a request was let into: the row, and its target once loaded."""

    share: OpenedShare
    token: str
    target: Target | None = None

    @property
    def href_root(self) -> str:
        """``/s/<token>``: every link a share page makes starts with it."""
        return f"/s/{self.token}"


@dataclass
class ShareRequest:
    """What the audit row of this request will say; the gate and handlers fill it in."""

    action: str | None = None  # None: not recorded (OPTIONS)
    outcome: str | None = None  # None: derived from the status
    token_prefix: str | None = None
    share: OpenedShare | None = None
    path: str = "/"
    details: dict[str, Any] = field(default_factory=dict)
    recorded: bool = False


def share_request(environ: dict[str, Any]) -> ShareRequest:
    found = environ.get(REQUEST_KEY)
    if found is None:
        found = environ[REQUEST_KEY] = ShareRequest()
    return found


def client_address(environ: dict[str, Any]) -> str | None:
    return environ.get(CLIENT_ADDRESS_KEY) or environ.get("REMOTE_ADDR")


def user_agent(environ: dict[str, Any]) -> str | None:
    return environ.get("HTTP_USER_AGENT")
