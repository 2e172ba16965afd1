"""OPTIONS answered on every path, without credentials and without a lookup.

Windows Explorer maps a drive only if OPTIONS succeeds unauthenticated (and caches a
failure); macOS Finder mounts read-write only when it sees DAV class 2. The answer
is the same for every path, so it reveals nothing about what exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wsgidav.mw.base_mw import BaseMiddleware

READ_METHODS = ("OPTIONS", "GET", "HEAD", "PROPFIND")
WRITE_METHODS = ("PUT", "DELETE", "MKCOL", "COPY", "MOVE", "PROPPATCH")
LOCK_METHODS = ("LOCK", "UNLOCK")


class OptionsResponder(BaseMiddleware):
    def __init__(self, wsgidav_app: Any, next_app: Any, config: dict[str, Any]) -> None:
        super().__init__(wsgidav_app, next_app, config)
        capabilities = config["mediavault"]
        methods = list(READ_METHODS)
        if capabilities["writable"]:
            methods += WRITE_METHODS
        if capabilities["locking"]:
            methods += LOCK_METHODS
        self._headers = [
            ("DAV", "1, 2" if capabilities["locking"] else "1"),
            ("MS-Author-Via", "DAV"),
            ("Allow", ", ".join(methods)),
            ("Accept-Ranges", "bytes"),
            ("Content-Length", "0"),
        ]

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] != "OPTIONS":
            return self.next_app(environ, start_response)
        start_response("200 OK", list(self._headers))
        return [b""]
