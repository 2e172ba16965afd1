"""HTTP Basic authentication against the users table, without a slow hash per request.

Replaces WsgiDAV's HTTPAuthenticator, which offers Digest (it needs a
plaintext-equivalent secret, impossible with argon2 hashes) and answers a malformed
Authorization header with a 500. Order of checks:

1. a signed session cookie (``mediavault.sid``, express-session's ``s:<sid>.<sig>``
   format) naming a live row of the ``sessions`` table — no hashing, and no lookup
   while the in-process ``CredentialCache`` checked it less than two seconds ago;
2. Basic credentials remembered by the ``CredentialCache`` — likewise;
3. Basic credentials verified with passlib (argon2id); on success the pair is
   remembered and a session cookie is issued. These checks are throttled per account
   and per client address (vault/sign_in_throttle.py: a growing wait, then 429 with
   Retry-After for a while) and each one, success or failure, is an audit-trail row.

Remembered sign-ins are re-validated against the user's row at least every two
seconds (``credentials.REVALIDATE_SECONDS``), so a changed password or a disabled
account stops working within seconds. Without valid credentials the answer is 401 with a
Basic challenge, the same body and about the same time whether the user is unknown,
disabled or the password wrong. OPTIONS never gets here (dav/options.py).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, unquote

from wsgidav.mw.base_mw import BaseMiddleware

from mediavault_dav.dav.proxy import CLIENT_ADDRESS_KEY
from mediavault_dav.db.database import Database
from mediavault_dav.settings import Settings
from mediavault_dav.vault import activity, sessions, sign_in_throttle, users
from mediavault_dav.vault.activity import Actor
from mediavault_dav.vault.credentials import CredentialCache, basic_secret, session_secret
from mediavault_dav.vault.errors import TooManyAttempts
from mediavault_dav.vault.users import Account

_log = logging.getLogger(__name__)

REALM = "MediaVault"
ACCOUNT_KEY = "mediavault.account"
COOKIE_NAME = "mediavault.sid"
_ANONYMOUS_PREFIXES = ("/:dir_browser/",)  # the directory browser's static assets
_CHALLENGE_BODY = b"401 Unauthorized: sign in with your MediaVault user name and password.\n"
_TOO_MANY_BODY = b"429 Too Many Requests: too many failed sign-ins; try again later.\n"


class BasicAuthenticator(BaseMiddleware):
    def __init__(self, wsgidav_app: Any, next_app: Any, config: dict[str, Any]) -> None:
        super().__init__(wsgidav_app, next_app, config)
        self._database: Database = config["mediavault"]["database"]
        settings: Settings = config["mediavault"]["settings"]
        self._secret = (settings.session_secret or "").encode()
        self._ttl_ms = settings.session_ttl_ms
        self._secure = settings.secure_cookies
        self._cache = CredentialCache()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        environ["wsgidav.auth.realm"] = REALM
        environ["wsgidav.auth.user_name"] = ""
        environ["wsgidav.auth.roles"] = None
        environ["wsgidav.auth.permissions"] = None
        if environ.get("PATH_INFO", "").startswith(_ANONYMOUS_PREFIXES):
            return self.next_app(environ, start_response)

        credentials = parse_basic(environ.get("HTTP_AUTHORIZATION"))
        account = self._from_cookie(environ, credentials)
        new_cookie = None
        if account is None and credentials is not None:
            try:
                account, new_cookie = self._from_credentials(environ, *credentials)
            except TooManyAttempts as refusal:
                _log.warning("sign-in for user %r from %s refused: too many failures", credentials[0][:150],
                             environ.get(CLIENT_ADDRESS_KEY, "?"))
                return _too_many_attempts(start_response, refusal.retry_after_seconds)
            if account is None:
                _log.warning("failed sign-in for user %r from %s", credentials[0][:150],
                             environ.get(CLIENT_ADDRESS_KEY, "?"))
        if account is None:
            return _challenge(start_response)

        environ["wsgidav.auth.user_name"] = account.username
        environ[ACCOUNT_KEY] = account
        if new_cookie is None:
            return self.next_app(environ, start_response)

        def with_cookie(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(status, [*headers, ("Set-Cookie", new_cookie)], exc_info)

        return self.next_app(environ, with_cookie)

    # --- the three ways in ---------------------------------------------------

    def _from_cookie(self, environ: dict[str, Any], credentials: tuple[str, str] | None) -> Account | None:
        sid = self._session_id(environ.get("HTTP_COOKIE", ""))
        if sid is None:
            return None
        secret = session_secret(sid)
        remembered = self._cache.lookup(secret)
        account: Account | None
        if remembered is not None and remembered.is_fresh:
            account = remembered.account
        else:
            with self._database.transaction() as session:
                account = sessions.resume(session, sid)
            if account is None:
                self._cache.forget(secret)
                return None
            if remembered is None:
                self._cache.remember(secret, account, "")
            else:
                self._cache.revalidated(secret, account)
        if credentials is not None and credentials[0].lower() != account.username.lower():
            return None  # the client now signs in as someone else: believe the header
        return account

    def _from_credentials(self, environ: dict[str, Any], username: str,
                          password: str) -> tuple[Account | None, str | None]:
        secret = basic_secret(username, password)
        remembered = self._cache.lookup(secret)
        if remembered is not None:
            if remembered.is_fresh:
                return remembered.account, None
            with self._database.transaction() as session:
                account = users.account_if_current(session, remembered.account.id, remembered.stamp)
            if account is not None:
                self._cache.revalidated(secret, account)
                return account, None
            self._cache.forget(secret)
        return self._verify(environ, secret, username, password)

    def _verify(self, environ: dict[str, Any], secret: str, username: str,
                password: str) -> tuple[Account | None, str | None]:
        """The slow check, throttled (vault/sign_in_throttle.py) and recorded in the audit trail."""
        address = environ.get(CLIENT_ADDRESS_KEY)
        attempt = sign_in_throttle.keys(username, address)
        with self._database.reading() as session:
            verdict = sign_in_throttle.before_attempt(session, attempt)
        if verdict.refused_for_seconds:
            raise TooManyAttempts("too many failed sign-ins", verdict.refused_for_seconds)
        if verdict.delay_seconds:
            time.sleep(verdict.delay_seconds)  # before the check: hanging up early tells nothing
        agent = environ.get("HTTP_USER_AGENT")
        with self._database.transaction() as session:
            account = users.authenticate(session, username, password)
            if account is None:
                sign_in_throttle.failed(session, attempt)
                activity.record(session, action="sign_in", outcome="failure",
                                actor=Actor(None, username[:150], address, agent))
                return None, None
            stamp = users.stamp_of(session, account.id)
            sid = sessions.start(session, account, self._ttl_ms, secure=self._secure)
            sign_in_throttle.succeeded(session, attempt)
            activity.record(session, action="sign_in", outcome="success",
                            actor=Actor(account.id, account.username, address, agent))
        self._cache.remember(secret, account, stamp)
        return account, self._cookie(sid)

    # --- cookies --------------------------------------------------------------

    def _signature(self, sid: str) -> str:
        digest = hmac.new(self._secret, sid.encode(), hashlib.sha256).digest()
        return base64.b64encode(digest).decode().rstrip("=")

    def _cookie(self, sid: str) -> str:
        value = quote(f"s:{sid}.{self._signature(sid)}", safe="")
        parts = [f"{COOKIE_NAME}={value}", "Path=/", "HttpOnly", "SameSite=Lax",
                 f"Max-Age={self._ttl_ms // 1000}"]
        if self._secure:
            parts.append("Secure")
        return "; ".join(parts)

    def _session_id(self, header: str) -> str | None:
        value = _cookie_value(header, COOKIE_NAME)
        if value is None:
            return None
        value = unquote(value)
        if not value.startswith("s:") or "." not in value:
            return None
        sid, _, signature = value[2:].rpartition(".")
        if not sid or not hmac.compare_digest(signature, self._signature(sid)):
            return None
        return sid


def _cookie_value(header: str, name: str) -> str | None:
    """The value of cookie ``name`` in a Cookie header (RFC 6265 5.4: ``a=1; b=2``).

    A split rather than ``http.cookies.SimpleCookie``, which parses every cookie of
    the header with a regular expression on each request.
    """
    if name not in header:
        return None
    for pair in header.split(";"):
        key, separator, value = pair.strip().partition("=")
        if separator and key == name:
            return value.strip().strip('"')
    return None


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


def _too_many_attempts(start_response: Any, retry_after_seconds: int) -> list[bytes]:
    start_response(
        "429 Too Many Requests",
        [
            ("Retry-After", str(retry_after_seconds)),
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(_TOO_MANY_BODY))),
        ],
    )
    return [_TOO_MANY_BODY]


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
