"""One transaction per change, with its audit-trail row inside it.

Every change a DAV request makes — PUT, DELETE, MKCOL, COPY, MOVE, PROPPATCH, LOCK,
UNLOCK, in /Files/ and in the virtual folders — runs in ``changing(...)``: the change
and its ``activity_logs`` row commit together, so if the row cannot be written the
change does not happen either, and a change that fails leaves no row claiming it
happened. (Requests that end in a refusal are recorded by ``RefusedChanges``.)
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session
from wsgidav.mw.base_mw import BaseMiddleware

from mediavault_dav.dav.auth import ACCOUNT_KEY
from mediavault_dav.dav.proxy import CLIENT_ADDRESS_KEY
from mediavault_dav.db.database import Database
from mediavault_dav.vault import activity
from mediavault_dav.vault.activity import Actor
from mediavault_dav.vault.tree import Entry, FolderEntry

_log = logging.getLogger(__name__)

_ACTOR_KEY = "mediavault.actor"
_RECORDED_KEY = "mediavault.change_recorded"
# Grants this request acts through (dav/shared/): {grant id: owner's user name}.
SHARED_GRANTS_KEY = "mediavault.shared_grants"
CHANGE_METHODS = frozenset({"PUT", "DELETE", "MKCOL", "COPY", "MOVE", "PROPPATCH", "LOCK", "UNLOCK"})


def actor_of(environ: dict[str, Any]) -> Actor:
    """Who is asking: the signed-in account, from which address, with which client."""
    actor = environ.get(_ACTOR_KEY)
    if actor is None:
        account = environ.get(ACCOUNT_KEY)
        actor = Actor(account.id if account else None, account.username if account else None,
                      environ.get(CLIENT_ADDRESS_KEY), environ.get("HTTP_USER_AGENT"))
        environ[_ACTOR_KEY] = actor
    return actor


@dataclass
class Change:
    """The open transaction of a change, and what its audit row will say about it."""

    session: Session
    resource_type: str | None = None
    resource_id: int | None = None
    status_code: int | None = None
    bytes: int | None = None
    details: dict[str, Any] | None = None

    def about(self, entry: Entry) -> None:
        self.resource_type = "folder" if isinstance(entry, FolderEntry) else "file"
        self.resource_id = entry.id


@contextmanager
def changing(database: Database, environ: dict[str, Any], action: str, path: str) -> Iterator[Change]:
    """A transaction for one change; its audit row is written just before it commits.

    The actor is always the signed-in user; a change made through a grant (in
    someone else's files) also names the owner and the grant in ``details``.
    """
    with database.transaction() as session:
        change = Change(session)
        yield change
        details = change.details
        shared = environ.get(SHARED_GRANTS_KEY)
        if shared:
            details = {**(details or {}), "shared": [{"grant": grant, "owner": owner}
                                                     for grant, owner in sorted(shared.items())]}
        activity.record(session, action=action, outcome="success", actor=actor_of(environ), path=path,
                        resource_type=change.resource_type, resource_id=change.resource_id,
                        status_code=change.status_code, bytes=change.bytes, details=details)
    environ[_RECORDED_KEY] = True


class RefusedChanges(BaseMiddleware):
    """Records change requests that were refused or failed (one row each, own transaction).

    Successful changes write their own row inside their transaction (``changing``);
    this sees the final status of the others — 403, 409, 412, 423, 507 ... — so the
    trail also shows what was attempted. Unauthenticated requests (401) are sign-in
    matters and are recorded there, not here.
    """

    def __init__(self, wsgidav_app: Any, next_app: Any, config: dict[str, Any]) -> None:
        super().__init__(wsgidav_app, next_app, config)
        self._database: Database = config["mediavault"]["database"]

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        if method not in CHANGE_METHODS:
            return self.next_app(environ, start_response)

        def recording(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            code = int(status[:3])
            if code >= 400 and code != 401 and not environ.get(_RECORDED_KEY):
                self._record(environ, method, code)
            return start_response(status, headers, exc_info)

        return self.next_app(environ, recording)

    def _record(self, environ: dict[str, Any], method: str, code: int) -> None:
        try:
            with self._database.transaction() as session:
                activity.record(session, action=method.lower(), outcome="refused" if code < 500 else "failure",
                                actor=actor_of(environ), path=environ.get("PATH_INFO"), status_code=code)
        except Exception:  # noqa: BLE001 - nothing changed; the refusal stands, and is logged here
            _log.exception("could not record a refused %s of %s in the audit trail", method,
                           environ.get("PATH_INFO"))
