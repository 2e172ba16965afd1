"""WsgiDAV's lock-storage interface over the vault's PostgreSQL lock table.

WsgiDAV's LockManager keeps its checks in process memory; this storage is what
several gateway processes share, and its ``create`` re-checks conflicts in the
database so two processes cannot grant conflicting locks at the same moment.

WsgiDAV asks for the locks of a URL and of each of its parents separately (nine
lookups for one PUT), and does so while holding a process-wide lock. Within one
request (``LockSnapshotScope``) the first lookup therefore loads all live locks of
the signed-in user in one query and the rest are answered from that snapshot;
any lock change in the request drops it. Another process's lock taken during the
request is seen by the next request: the same window WsgiDAV's check-then-write
always had.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session
from wsgidav.dav_error import HTTP_FORBIDDEN, HTTP_LOCKED, DAVError, DAVErrorCondition
from wsgidav.lock_man.lock_manager import LockManager, generate_lock_token, normalize_lock_root, validate_lock
from wsgidav.mw.base_mw import BaseMiddleware

from mediavault_dav.dav.changes import changing
from mediavault_dav.db.database import Database
from mediavault_dav.db.statements import Executes
from mediavault_dav.vault import locks
from mediavault_dav.vault.errors import LimitExceeded, Locked


class PostgresLockStorage:
    def __init__(self, database: Database) -> None:
        self._database = database
        self._request = threading.local()

    # --- the per-request snapshot -------------------------------------------------

    def begin_request(self, environ: dict[str, Any]) -> None:
        self._request.snapshots = {}
        self._request.environ = environ

    def end_request(self) -> None:
        self._request.snapshots = None
        self._request.environ = None

    @contextmanager
    def _changing(self, action: str) -> Iterator[Session]:
        """A lock change's transaction; for a LOCK or UNLOCK request, with its audit row.

        (Locks also go away as part of a DELETE or MOVE: that request's row says so.)
        """
        environ = getattr(self._request, "environ", None)
        if environ is None or environ["REQUEST_METHOD"] not in ("LOCK", "UNLOCK"):
            with self._database.transaction() as session:
                yield session
            return
        with changing(self._database, environ, action, environ["PATH_INFO"]) as change:
            yield change.session

    def _invalidate(self) -> None:
        snapshots = getattr(self._request, "snapshots", None)
        if snapshots:
            snapshots.clear()

    def preload(self, session: Executes, owner: str) -> None:
        """Take the request's snapshot of ``owner``'s locks (``/~<id>``) now, in the
        caller's session: a write request needs it anyway, and the session that
        resolved its path is already open."""
        snapshots: dict[str, list[dict[str, Any]]] | None = getattr(self._request, "snapshots", None)
        if snapshots is not None and owner not in snapshots:
            snapshots[owner] = locks.list_locks(session, owner, include_root=True, include_children=True)

    def _snapshot(self, root: str) -> list[dict[str, Any]] | None:
        """All live locks of the user owning ``root`` (``/~<id>/...``), once per request."""
        snapshots: dict[str, list[dict[str, Any]]] | None = getattr(self._request, "snapshots", None)
        if snapshots is None or not root.startswith("/~"):
            return None
        end = root.find("/", 2)
        owner = root if end < 0 else root[:end]
        if owner not in snapshots:
            with self._database.looking_up() as session:
                self.preload(session, owner)
        return snapshots[owner]

    def __repr__(self) -> str:
        return "PostgresLockStorage"

    def open(self) -> None:
        """Nothing to open: every call is its own short transaction."""

    def close(self) -> None:
        """Nothing to close."""

    def cleanup(self) -> None:
        with self._database.transaction() as session:
            locks.delete_expired(session)

    def clear(self) -> None:
        with self._database.transaction() as session:
            locks.delete_all(session)

    def get(self, token: str) -> dict[str, Any] | None:
        with self._database.transaction() as session:
            return locks.get(session, token)

    def create(self, path: str, lock: dict[str, Any]) -> dict[str, Any]:
        # Contract: fill in root, timeout, expire and token on the caller's dict.
        lock["root"] = normalize_lock_root(path)
        lock["timeout"] = locks.capped_timeout(lock.get("timeout"))
        lock["token"] = generate_lock_token()
        lock["expire"] = 0.0  # replaced below; validate_lock wants the key
        validate_lock(lock)
        try:
            self._invalidate()
            with self._changing("lock") as session:
                stored = locks.create(session, lock)
        except Locked as error:
            raise DAVError(HTTP_LOCKED, str(error)) from None
        except LimitExceeded as error:
            raise DAVError(HTTP_FORBIDDEN, str(error)) from None
        lock.update(stored)
        return lock

    def refresh(self, token: str, *, timeout: float | None) -> dict[str, Any]:
        self._invalidate()
        with self._changing("lock.refresh") as session:
            refreshed = locks.refresh(session, token, timeout)
        if refreshed is None:
            raise ValueError("Lock must exist")
        return refreshed

    def delete(self, token: str) -> bool:
        self._invalidate()
        with self._changing("unlock") as session:
            return locks.delete(session, token)

    def get_lock_list(self, path: str, *, include_root: bool, include_children: bool,
                      token_only: bool) -> list[Any]:
        root = normalize_lock_root(path)
        if not root.startswith("/~") and not include_children:
            return []  # every lock's root is a user's reference URL, "/~<id>/..."
        snapshot = self._snapshot(root)
        if snapshot is None:
            with self._database.transaction() as session:
                found = locks.list_locks(session, root, include_root=include_root,
                                         include_children=include_children)
        elif not snapshot:
            return []  # the common case: the user holds no locks at all
        else:
            now, prefix = time.time(), root.rstrip("/") + "/"
            found = [dict(lock) for lock in snapshot if lock["expire"] > now and (
                (include_root and lock["root"] == root)
                or (include_children and lock["root"].startswith(prefix)))]
        return [lock["token"] for lock in found] if token_only else found


class VisibleLockRoots(LockManager):
    """WsgiDAV's lock manager, naming conflicting locks by paths the requester uses.

    A 423 lists the roots of the locks in the way (``no-conflicting-lock``).
    WsgiDAV lists lock keys, ``/~<user id>/Files/...``, which is no URL a client
    can use, and for a file shared with the requester would show its owner's id
    and the owner's folders above the shared one. ``visible`` turns a key into
    the requester's own path for it (the provider's ``ref_url_to_path``).
    """

    def __init__(self, storage: Any, visible: Callable[[str], str]) -> None:
        super().__init__(storage)
        self._visible = visible

    def _translated(self, condition: DAVErrorCondition | None) -> None:
        if condition is not None:
            condition.hrefs = list(dict.fromkeys(self._visible(href) for href in condition.hrefs))

    def _get_write_conflicts(self, url: str, depth: str, token_list: list[str], principal: str) -> Any:
        conflicts = super()._get_write_conflicts(url, depth, token_list, principal)
        self._translated(conflicts)
        return conflicts

    def _check_lock_permission(self, *args: Any) -> None:
        try:
            super()._check_lock_permission(*args)
        except DAVError as error:
            self._translated(error.err_condition)
            raise


class LockSnapshotScope(BaseMiddleware):
    """Marks the span of one request for ``PostgresLockStorage``'s snapshot."""

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        storage = self.config.get("lock_storage")
        if not isinstance(storage, PostgresLockStorage):
            return self.next_app(environ, start_response)
        return self._scoped(storage, environ, start_response)

    def _scoped(self, storage: PostgresLockStorage, environ: dict[str, Any],
                start_response: Any) -> Iterator[bytes]:
        storage.begin_request(environ)
        try:
            yield from self.next_app(environ, start_response)
        finally:
            storage.end_request()
