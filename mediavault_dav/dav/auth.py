"""HTTP Basic authentication against the users table.

Replaces WsgiDAV's HTTPAuthenticator, which offers Digest (it needs a
plaintext-equivalent secret, impossible with argon2 hashes) and answers a malformed
Authorization header with a 500. Here:

- OPTIONS passes without credentials on every path: Windows Explorer will not map
  a drive whose OPTIONS needs authentication, and caches that failure;
- everything else without valid credentials gets 401 with a Basic challenge, the
  same body and about the same time whether the user is unknown, disabled or the
  password is wrong;
- the signed-in account is put in the environ for the provider.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Iterable
from typing import Any

from wsgidav.mw.base_mw import BaseMiddleware

from mediavault_dav.dav.proxy import CLIENT_ADDRESS_KEY
from mediavault_dav.db.database import Database
from mediavault_dav.vault import users

_log = logging.getLogger(__name__)

REALM = "MediaVault"
ACCOUNT_KEY = "mediavault.account"
_ANONYMOUS_PREFIXES = ("/:dir_browser/",)  # the directory browser's static assets
_CHALLENGE_BODY = b"401 Unauthorized: sign in with your MediaVault user name and password.\n"


class BasicAuthenticator(BaseMiddleware):
    def __init__(self, wsgidav_app: Any, next_app: Any, config: dict[str, Any]) -> None:
        super().__init__(wsgidav_app, next_app, config)
        self._database: Database = config["mediavault"]["database"]

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        environ["wsgidav.auth.realm"] = REALM
        environ["wsgidav.auth.user_name"] = ""
        environ["wsgidav.auth.roles"] = None
        environ["wsgidav.auth.permissions"] = None
        path = environ.get("PATH_INFO", "")
        if environ["REQUEST_METHOD"] == "OPTIONS" or path.startswith(_ANONYMOUS_PREFIXES):
            return self.next_app(environ, start_response)

        credentials = parse_basic(environ.get("HTTP_AUTHORIZATION"))
        if credentials is None:
            return _challenge(start_response)
        username, password = credentials
        with self._database.transaction() as session:
            account = users.authenticate(session, username, password)
        if account is None:
            _log.warning("failed sign-in for user %r from %s", username[:150],
                         environ.get(CLIENT_ADDRESS_KEY, "?"))
            return _challenge(start_response)
        environ["wsgidav.auth.user_name"] = account.username
        environ[ACCOUNT_KEY] = account
        return self.next_app(environ, start_response)


def parse_basic(header: str | None) -> tuple[str, str] | None:
    """(user, password) from a Basic Authorization header, or None if malformed."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, separator, password = decoded.partition(":")
    if not separator or not username:
        return None
    return username, password


def _challenge(start_response: Any) -> list[bytes]:
    start_response(
        "401 Unauthorized",
        [
            ("WWW-Authenticate", f'Basic realm="{REALM}", charset="UTF-8"'),
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(_CHALLENGE_BODY))),
        ],
    )
    return [_CHALLENGE_BODY]
