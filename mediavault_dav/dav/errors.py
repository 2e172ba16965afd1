"""The one place where domain errors become HTTP statuses.

``ErrorMapper`` sits just inside WsgiDAV's ErrorPrinter. It turns vault and database
errors into DAVErrors with the right status and a short reason, and turns anything
unexpected into a bare 500 whose body says nothing about the cause (WsgiDAV would
otherwise print the exception's repr into the page). A database that cannot be
reached is a 503 with Retry-After: a sync client must never read an outage as an
empty folder.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import exc as sa_exc
from wsgidav.dav_error import (
    ERROR_DESCRIPTIONS,
    HTTP_BAD_REQUEST,
    HTTP_CONFLICT,
    HTTP_FORBIDDEN,
    HTTP_INSUFFICIENT_STORAGE,
    HTTP_INTERNAL_ERROR,
    HTTP_LOCKED,
    HTTP_NOT_FOUND,
    HTTP_PRECONDITION_FAILED,
    HTTP_REQUEST_ENTITY_TOO_LARGE,
    DAVError,
)
from wsgidav.mw.base_mw import BaseMiddleware

from mediavault_dav.db.errors import DatabaseError
from mediavault_dav.vault import quotas
from mediavault_dav.vault.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    LimitExceeded,
    Locked,
    NotFound,
    PreconditionFailed,
    QuotaExceeded,
    TooLarge,
    TooManyAttempts,
    VaultError,
)

_log = logging.getLogger(__name__)

HTTP_SERVICE_UNAVAILABLE = 503
HTTP_TOO_MANY_REQUESTS = 429
RETRY_AFTER_SECONDS = "5"

_STATUS_BY_ERROR: tuple[tuple[type[VaultError], int], ...] = (
    (NotFound, HTTP_NOT_FOUND),
    (Conflict, HTTP_CONFLICT),
    (InvalidInput, HTTP_BAD_REQUEST),
    (Forbidden, HTTP_FORBIDDEN),
    (PreconditionFailed, HTTP_PRECONDITION_FAILED),
    (Locked, HTTP_LOCKED),
    # A per-user limit is a refusal of this request, not a server fault.
    (LimitExceeded, HTTP_FORBIDDEN),
    (QuotaExceeded, HTTP_INSUFFICIENT_STORAGE),
    (TooLarge, HTTP_REQUEST_ENTITY_TOO_LARGE),
    (TooManyAttempts, HTTP_TOO_MANY_REQUESTS),
)

# WsgiDAV has no text for these, so its status line would read "507 Status".
ERROR_DESCRIPTIONS.setdefault(HTTP_REQUEST_ENTITY_TOO_LARGE, "413 Content Too Large")
ERROR_DESCRIPTIONS.setdefault(HTTP_TOO_MANY_REQUESTS, "429 Too Many Requests")
ERROR_DESCRIPTIONS.setdefault(HTTP_SERVICE_UNAVAILABLE, "503 Service Unavailable")
ERROR_DESCRIPTIONS.setdefault(HTTP_INSUFFICIENT_STORAGE, "507 Insufficient Storage")


def to_dav_error(error: BaseException) -> DAVError:
    if isinstance(error, DAVError):
        return error
    if isinstance(error, sa_exc.DBAPIError):
        error = quotas.over_quota(error) or error  # the quota triggers' refusal, or a full disk
    if isinstance(error, VaultError):
        for error_type, status in _STATUS_BY_ERROR:
            if isinstance(error, error_type):
                headers = ([("Retry-After", str(error.retry_after_seconds))]
                           if isinstance(error, TooManyAttempts) else None)
                return DAVError(status, str(error), add_headers=headers)
        return DAVError(HTTP_INTERNAL_ERROR, "internal error")
    if isinstance(error, DatabaseError | sa_exc.OperationalError | sa_exc.InterfaceError
                  | sa_exc.TimeoutError | sa_exc.DisconnectionError):
        _log.error("database unavailable: %s", type(error).__name__)
        return DAVError(
            HTTP_SERVICE_UNAVAILABLE,
            "the vault's database is unavailable; try again shortly",
            add_headers=[("Retry-After", RETRY_AFTER_SECONDS)],
        )
    _log.exception("unexpected error while serving a request")
    return DAVError(HTTP_INTERNAL_ERROR, "internal error")


class ErrorMapper(BaseMiddleware):
    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        return self._mapped(environ, start_response)

    def _mapped(self, environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        try:
            app_iter = self.next_app(environ, start_response)
            try:
                yield from app_iter
            finally:
                if hasattr(app_iter, "close"):
                    app_iter.close()
        except (DAVError, GeneratorExit):
            raise
        except Exception as error:  # noqa: BLE001 - this is the mapping point
            raise to_dav_error(error) from None
