"""The gateway serves HTTPS when given a certificate and key."""

from __future__ import annotations

import dataclasses
import socket
import ssl
import subprocess
import warnings
from pathlib import Path

import pytest
import requests

from mediavault_dav.db.database import Database
from mediavault_dav.server import Gateway
from mediavault_dav.settings import Settings
from mediavault_dav.vault import users
from tests.support import PASSWORD


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


def test_tls_is_served_with_the_configured_certificate(settings: Settings, database: Database,
                                                       certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    with database.transaction() as session:
        users.add_user(session, "alice", "alice@example.com", PASSWORD)
    gateway = Gateway(dataclasses.replace(settings, tls_cert=cert, tls_key=key), database)
    gateway.start()
    try:
        assert gateway.url.startswith("https://")
        response = requests.request("PROPFIND", gateway.url, auth=("alice", PASSWORD),
                                    headers={"Depth": "0"}, verify=str(cert), timeout=30)
        assert response.status_code == 207
        # A client that offers only TLS 1.1 (its own security level lowered so the
        # refusal can only come from the server) is turned away.
        old_client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        old_client.check_hostname = False
        old_client.verify_mode = ssl.CERT_NONE
        old_client.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            old_client.minimum_version = ssl.TLSVersion.TLSv1
            old_client.maximum_version = ssl.TLSVersion.TLSv1_1
        host, port = gateway.server.bind_addr[:2]
        with socket.create_connection((host, port), timeout=10) as raw, pytest.raises(ssl.SSLError):
            old_client.wrap_socket(raw).do_handshake()
    finally:
        gateway.stop()
