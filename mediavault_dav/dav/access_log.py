"""One structured line per request, for operators: who did what, how it ended.

The outermost wrapper of the application, so refusals made before WsgiDAV (400s
for bad paths) are logged too. Logged as JSON on the ``mediavault_dav.access``
logger when the response body has been sent (or the connection dropped):
method, path, status, bytes sent, duration, user, client address. Never a query
string, header, password, token or cookie; the token segment of a share link path
(``/s/<token>/``) is replaced by ``<token>``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Iterator
from typing import Any

from mediavault_dav.dav.proxy import CLIENT_ADDRESS_KEY

access_log = logging.getLogger("mediavault_dav.access")


class AccessLog:
    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        started = time.perf_counter()
        status: list[str] = []

        def recording(response_status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status[:] = [response_status]
            return start_response(response_status, headers, exc_info)

        try:
            body = self.app(environ, recording)
        except BaseException:
            _write(environ, "500", 0, started, aborted=True)
            raise
        return self._counted(body, environ, status, started)

    def _counted(self, body: Iterable[bytes], environ: dict[str, Any], status: list[str],
                 started: float) -> Iterator[bytes]:
        sent, aborted = 0, True
        try:
            for chunk in body:
                sent += len(chunk)
                yield chunk
            aborted = False
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
            _write(environ, status[0] if status else "-", sent, started, aborted=aborted)


def shown_path(path: str) -> str:
    if path.startswith("/s/"):
        parts = path.split("/", 3)
        parts[2] = "<token>"
        return "/".join(parts)
    return path


def _write(environ: dict[str, Any], status: str, sent: int, started: float, *, aborted: bool) -> None:
    if not access_log.isEnabledFor(logging.INFO):
        return
    code = status.split(" ", 1)[0]
    record: dict[str, Any] = {
        "method": environ.get("REQUEST_METHOD", "-"),
        "path": shown_path(environ.get("PATH_INFO", "")),
        "status": int(code) if code.isdigit() else code,
        "bytes": sent,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        "user": environ.get("wsgidav.auth.user_name") or None,
        "client": environ.get(CLIENT_ADDRESS_KEY) or environ.get("REMOTE_ADDR"),
    }
    if aborted:
        record["aborted"] = True
    access_log.info(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
