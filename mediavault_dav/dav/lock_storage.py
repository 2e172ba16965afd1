"""WsgiDAV's lock-storage interface over the vault's PostgreSQL lock table.

WsgiDAV's LockManager keeps its checks in process memory; this storage is what
several gateway processes share, and its ``create`` re-checks conflicts in the
database so two processes cannot grant conflicting locks at the same moment.
"""

from __future__ import annotations

from typing import Any

from wsgidav.dav_error import HTTP_FORBIDDEN, HTTP_LOCKED, DAVError
from wsgidav.lock_man.lock_manager import generate_lock_token, normalize_lock_root, validate_lock

from mediavault_dav.db.database import Database
from mediavault_dav.vault import locks
from mediavault_dav.vault.errors import LimitExceeded, Locked


class PostgresLockStorage:
    def __init__(self, database: Database) -> None:
        self._database = database

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
            with self._database.transaction() as session:
                stored = locks.create(session, lock)
        except Locked as error:
            raise DAVError(HTTP_LOCKED, str(error)) from None
        except LimitExceeded as error:
            raise DAVError(HTTP_FORBIDDEN, str(error)) from None
        lock.update(stored)
        return lock

    def refresh(self, token: str, *, timeout: float | None) -> dict[str, Any]:
        with self._database.transaction() as session:
            refreshed = locks.refresh(session, token, timeout)
        if refreshed is None:
            raise ValueError("Lock must exist")
        return refreshed

    def delete(self, token: str) -> bool:
        with self._database.transaction() as session:
            return locks.delete(session, token)

    def get_lock_list(self, path: str, *, include_root: bool, include_children: bool,
                      token_only: bool) -> list[Any]:
        with self._database.transaction() as session:
            found = locks.list_locks(session, normalize_lock_root(path),
                                     include_root=include_root, include_children=include_children)
        return [lock["token"] for lock in found] if token_only else found
