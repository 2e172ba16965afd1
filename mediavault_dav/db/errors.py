"""Failures of the database layer, each with a message safe to show an operator."""


class DatabaseError(Exception):
    """Base class: the message is one line and never contains a password."""


class DatabaseUnavailable(DatabaseError):
    """PostgreSQL cannot be reached or refused the connection."""


class SchemaOutOfDate(DatabaseError):
    """The database schema is not the revision this gateway was built for."""


class EmbeddedDatabaseError(DatabaseError):
    """The private PostgreSQL could not be initialised, started or stopped."""
