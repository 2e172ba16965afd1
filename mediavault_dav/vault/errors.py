"""Domain errors raised by vault services.

Each names what went wrong in the user's terms; the DAV layer maps them to HTTP
statuses in one place (dav/errors.py) and the CLI prints their message.
"""


class VaultError(Exception):
    """Base class; the message is one line, safe to show the person who asked."""


class NotFound(VaultError):
    """The thing named does not exist (or is not visible to the caller)."""


class Conflict(VaultError):
    """The change collides with something that already exists, or lacks a parent."""


class InvalidInput(VaultError):
    """A value supplied by a person or client is not acceptable."""


class Forbidden(VaultError):
    """The caller may not do this here."""


class PreconditionFailed(VaultError):
    """A conditional request's condition no longer holds (lost update prevented)."""


class Locked(VaultError):
    """A lock held by someone else stands in the way."""


class LimitExceeded(VaultError):
    """A per-user limit (locks, ...) would be exceeded."""


class QuotaExceeded(VaultError):
    """Storing this would take the user past their storage quota (or the disk is full)."""


class TooLarge(VaultError):
    """The upload is bigger than the largest the administrator allows."""


class TooManyAttempts(VaultError):
    """Sign-ins from here, or for this account, are refused for a while."""

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds
