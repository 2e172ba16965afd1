"""``GET /healthz``: does this gateway's database and blob store answer?

For load balancers and monitors: no credentials, checked before sign-in, a short
JSON body and 200 or 503. It says which part failed, never why (no host names,
no driver messages). After a PostgreSQL restart the pool's first connection fails
and is discarded; the check retries once so one stale connection is not an outage.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from wsgidav.mw.base_mw import BaseMiddleware

from mediavault_dav.db.database import Database
from mediavault_dav.db.errors import DatabaseError
from mediavault_dav.settings import Settings

HEALTH_PATH = "/healthz"


class HealthCheck(BaseMiddleware):
    def __init__(self, wsgidav_app: Any, next_app: Any, config: dict[str, Any]) -> None:
        super().__init__(wsgidav_app, next_app, config)
        self._database: Database = config["mediavault"]["database"]
        settings: Settings = config["mediavault"]["settings"]
        self._blob_root = settings.blob_root

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != HEALTH_PATH or environ["REQUEST_METHOD"] not in ("GET", "HEAD"):
            return self.next_app(environ, start_response)
        checks = {"database": database_answers(self._database), "blobs": blobs_answer(self._blob_root)}
        healthy = all(checks.values())
        body = json.dumps({"status": "ok" if healthy else "unavailable",
                           **{name: "ok" if good else "unavailable" for name, good in checks.items()}}
                          ).encode() + b"\n"
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                   ("Cache-Control", "no-store")]
        if not healthy:
            headers.append(("Retry-After", "5"))
        start_response("200 OK" if healthy else "503 Service Unavailable", headers)
        return [b"" if environ["REQUEST_METHOD"] == "HEAD" else body]


def database_answers(database: Database) -> bool:
    for _attempt in range(2):
        try:
            with database.reading() as session:
                session.execute(sa.text("SELECT 1"))
            return True
        except sa_exc.DBAPIError as error:
            if not error.connection_invalidated:
                return False  # a stale pooled connection is retried once; anything else is down
        except (sa_exc.SQLAlchemyError, DatabaseError):
            return False
    return False


def blobs_answer(root: Path) -> bool:
    incoming = root / ".incoming"
    return incoming.is_dir() and os.access(incoming, os.W_OK | os.X_OK)
