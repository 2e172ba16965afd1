"""Hot-path SQL run by psycopg directly, inside the caller's SQLAlchemy transaction.

Every request resolves a path and most writes commit a row, so the cost of one
statement is paid on every request. Through ``Session.execute(text(...))`` the
one-row path lookup cost about 190 µs of CPU, of which psycopg's own share was
about 45 µs: the rest is SQLAlchemy building result metadata from the cursor
description and wrapping the call. On a two-core machine that CPU is throughput.

A ``Statement`` runs on the very connection and transaction of the session it is
given (``Session.connection()``), so atomicity, isolation and the pool's settings are
unchanged. It runs as well on a ``Database.looking_up()`` connection: autocommit,
for one-statement reads, without the cost of a Session around it. Listeners for
``before_cursor_execute`` on the engine still see it (the tests count statements
that way), and a driver error is translated exactly as
SQLAlchemy translates its own: a lost connection invalidates the pool and surfaces
as ``sqlalchemy.exc.OperationalError``, which the DAV layer answers with 503.

Rows are named tuples (``row.id``), like SQLAlchemy's rows. SQL is written with
``:name`` parameters, as for ``sqlalchemy.text``.
"""

from __future__ import annotations

import re
from typing import Any, Protocol, cast

import psycopg
from psycopg.rows import namedtuple_row
from sqlalchemy.engine import Connection

# ``:name``, but not the ``:type`` of a ``::type`` cast (so ``:n::int`` works).
_BIND_PARAMETER = re.compile(r"(?<![:\w\\]):(\w+)(?!\w)")

Row = Any  # a psycopg named tuple; its fields are the statement's column names


class Executes(Protocol):
    """What a statement runs on: a Session (in its transaction) or a ``Lookup``."""

    def connection(self) -> Connection: ...


class Lookup:
    """A pooled connection in autocommit mode, for reads that are single statements."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def connection(self) -> Connection:
        return self._connection


class Statement:
    """One SQL statement, converted once to psycopg's placeholder style."""

    def __init__(self, sql: str) -> None:
        self.sql = sql
        self._driver_sql = _BIND_PARAMETER.sub(r"%(\1)s", sql.replace("%", "%%"))

    def first(self, session: Executes, parameters: dict[str, Any]) -> Row | None:
        """The first row, or None."""
        return self._execute(session, parameters, _first)

    def all(self, session: Executes, parameters: dict[str, Any]) -> list[Row]:
        return self._execute(session, parameters, _all)

    def run(self, session: Executes, parameters: dict[str, Any]) -> int:
        """Execute for its effect; the number of rows it touched."""
        return self._execute(session, parameters, _rowcount)

    def _execute(self, session: Executes, parameters: dict[str, Any], result: Any) -> Any:
        connection: Connection = session.connection()
        driver_connection = connection.connection.driver_connection
        assert isinstance(driver_connection, psycopg.Connection)
        cursor = driver_connection.cursor(row_factory=namedtuple_row)
        try:
            for listener in connection.dispatch.before_cursor_execute:
                listener(connection, cursor, self.sql, parameters, None, False)
            cursor.execute(self._driver_sql, parameters)
            return result(cursor)
        except psycopg.Error as error:
            # Raises the SQLAlchemy exception for it and, for a lost connection,
            # invalidates the pool: the same path as a statement SQLAlchemy ran.
            connection._handle_dbapi_exception(error, self.sql, parameters, cast(Any, cursor), None)  # noqa: SLF001
            raise  # not reached: the call above always raises
        finally:
            cursor.close()


def _first(cursor: psycopg.Cursor[Any]) -> Row | None:
    return cursor.fetchone()


def _all(cursor: psycopg.Cursor[Any]) -> list[Row]:
    return cursor.fetchall()


def _rowcount(cursor: psycopg.Cursor[Any]) -> int:
    return cursor.rowcount
