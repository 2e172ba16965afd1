"""The checks every share request passes, in order, before anything is served.

1. ``OPTIONS``: the same static answer for every path (read-only, ``DAV: 1``),
   without looking at the token — Explorer maps nothing without it, and the
   answer says nothing about what exists.
2. Any method but GET, HEAD, PROPFIND (and OPTIONS): 405, before the token is
   even looked up and before any body is read: a share is read-only, whoever
   asks and whatever the Destination says.
3. The token: one statement (vault/shares.py ``open_share``) that also counts
   this client network's recent misses and wrong passwords.
4. A network that keeps guessing tokens: 429 for everything, valid or not.
5. Unknown, revoked, expired (or the owner's account disabled): 404, one body.
6. A password share: 401 with a Basic challenge until the share's password is
   given (any user name), on every method; wrong passwords are logged and, past
   the limit, answered 429 without being checked.
7. A share whose downloads are used up: 410, except a Range request that may
   continue a download already counted (vault/share_downloads.py decides).

Then the request goes on to the provider, with the share in ``environ``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wsgidav.mw.base_mw import BaseMiddleware

from mediavault_dav.dav.auth import parse_basic
from mediavault_dav.dav.shares import responses
from mediavault_dav.dav.shares.context import SHARE_KEY, OpenShare, client_address, share_request
from mediavault_dav.db.database import Database
from mediavault_dav.vault import share_guard, shares
from mediavault_dav.vault.share_guard import SharePasswords

READ_METHODS = ("OPTIONS", "GET", "HEAD", "PROPFIND")
ALLOW = ", ".join(READ_METHODS)
REALM = "MediaVault share"


def _page(title: str, text: str) -> bytes:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f'<meta name="robots" content="noindex"></head>\n<body><h1>{title}</h1><p>{text}</p></body></html>\n'
            ).encode()


NOT_FOUND = _page("Not found", "There is no share at this address, or it is no longer available.")
READ_ONLY = _page("Read-only", "A share link can be viewed and downloaded, never changed.")
PASSWORD_NEEDED = _page("Password needed", "This share is protected by a password. Any user name will do.")
TOO_MANY = _page("Too many attempts", "Too many failed attempts came from your network. Try again later.")
USED_UP = _page("Download limit reached",
                "This link has been used for all the downloads it allows. Ask its owner for a new one.")


class ShareGate(BaseMiddleware):
    def __init__(self, wsgidav_app: Any, next_app: Any, config: dict[str, Any]) -> None:
        super().__init__(wsgidav_app, next_app, config)
        self._database: Database = config["mediavault"]["database"]
        self._passwords: SharePasswords = config["mediavault"]["share_passwords"]

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        request = share_request(environ)
        token, _, rest = environ.get("PATH_INFO", "").lstrip("/").partition("/")
        request.path = "/" + rest
        if method == "OPTIONS":
            return answer(self._database, environ, start_response, "200 OK", b"", [
                ("DAV", "1"), ("MS-Author-Via", "DAV"), ("Allow", ALLOW), ("Accept-Ranges", "bytes")])
        request.token_prefix = shares.token_prefix(shares.hash_token(token))
        if method not in READ_METHODS:
            request.action, request.outcome = "share.refused", "read_only"
            return answer(self._database, environ, start_response, "405 Method Not Allowed", READ_ONLY,
                          [("Allow", ALLOW)])

        with self._database.reading() as session:
            lookup = shares.open_share(session, token, share_guard.client_network(client_address(environ)))
        if lookup.guessing:
            request.action, request.outcome = "share.miss", "throttled"
            return self._too_many(environ, start_response, share_guard.MISS_WINDOW_SECONDS)
        share = lookup.share
        if share is None:
            request.action, request.outcome = "share.miss", "not_found"
            return answer(self._database, environ, start_response, "404 Not Found", NOT_FOUND)

        request.action, request.share = "share.access", share
        if share.password_hash is not None:
            credentials = parse_basic(environ.get("HTTP_AUTHORIZATION"))
            if credentials is None:
                return self._challenge(environ, start_response)
            if lookup.password_throttled:
                request.action, request.outcome = "share.password_failed", "throttled"
                return self._too_many(environ, start_response, share_guard.PASSWORD_WINDOW_SECONDS)
            if not self._passwords.check(share.id, share.password_hash, credentials[1]):
                request.action, request.outcome = "share.password_failed", "wrong_password"
                return self._challenge(environ, start_response)
        if share.used_up and not (method == "GET" and "HTTP_RANGE" in environ):
            return used_up(self._database, environ, start_response)

        environ[SHARE_KEY] = OpenShare(share, token)
        # The principal WsgiDAV records; never a user of the vault.
        environ["wsgidav.auth.user_name"] = f"share:{share.id}"
        return self.next_app(environ, start_response)


    def _challenge(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        return answer(self._database, environ, start_response, "401 Unauthorized", PASSWORD_NEEDED,
                      [("WWW-Authenticate", f'Basic realm="{REALM}", charset="UTF-8"')])

    def _too_many(self, environ: dict[str, Any], start_response: Any, seconds: int) -> list[bytes]:
        return answer(self._database, environ, start_response, "429 Too Many Requests", TOO_MANY,
                      [("Retry-After", str(seconds))])


def used_up(database: Database, environ: dict[str, Any], start_response: Any) -> list[bytes]:
    share_request(environ).outcome = "limit_reached"
    return answer(database, environ, start_response, "410 Gone", USED_UP)


def answer(database: Database, environ: dict[str, Any], start_response: Any, status: str, body: bytes,
           headers: list[tuple[str, str]] | None = None) -> list[bytes]:
    """A short answer of the gate's own, recorded before it is sent (throttling counts these rows)."""
    sent = b"" if environ["REQUEST_METHOD"] == "HEAD" else body
    responses.record(database, environ, int(status[:3]), len(sent), str(len(body)))
    all_headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body))),
                   *(headers or [])]
    if environ.get("CONTENT_LENGTH", "") not in ("", "0") or environ.get("HTTP_TRANSFER_ENCODING"):
        all_headers.append(("Connection", "close"))  # a body we will not read follows
    start_response(status, all_headers)
    return [sent]
