"""X-Forwarded-For is believed only from a configured proxy."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator

import pytest

from mediavault_dav.db.database import Database
from mediavault_dav.server import Gateway
from mediavault_dav.settings import Settings
from tests.support import Client

FORGED = {"X-Forwarded-For": "203.0.113.9"}


def _failed_sign_in_address(caplog: pytest.LogCaptureFixture, url: str) -> str:
    with caplog.at_level(logging.WARNING, logger="mediavault_dav.dav.auth"):
        response = Client(url, ("mallory", "wrong password")).request("PROPFIND", "/", headers=FORGED)
    assert response.status_code == 401
    record = next(r for r in caplog.records if r.getMessage().startswith("failed sign-in"))
    return record.getMessage().rsplit(" ", 1)[-1]


def test_a_client_cannot_forge_its_address(gateway: Gateway, caplog: pytest.LogCaptureFixture) -> None:
    assert _failed_sign_in_address(caplog, gateway.url) == "127.0.0.1"


@pytest.fixture
def proxied_gateway(settings: Settings, database: Database) -> Iterator[Gateway]:
    running = Gateway(dataclasses.replace(settings, trusted_proxies=("127.0.0.0/8",)), database)
    running.start()
    yield running
    running.stop()


def test_a_trusted_proxy_passes_on_the_client_address(proxied_gateway: Gateway,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    assert _failed_sign_in_address(caplog, proxied_gateway.url) == "203.0.113.9"


def test_a_failed_sign_in_never_logs_the_password(gateway: Gateway, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        Client(gateway.url, ("alice", "hunter2-very-secret")).request("PROPFIND", "/")
    assert "hunter2-very-secret" not in caplog.text
