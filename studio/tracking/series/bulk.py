"""Bulk inserts of the series store's rows (chunks, tail rows, pyramid blocks).

On PostgreSQL through psycopg 3 the rows go in one binary `COPY ... FROM STDIN`, on the
session's own connection so that they stay in the caller's transaction: one round trip, no
statement to parse, and payloads sent as raw bytes rather than escaped parameters. Elsewhere
(SQLite, another PostgreSQL driver) they go in one `executemany` INSERT, which on SQLite
is a loop inside the same process anyway.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, Float, Integer, LargeBinary, insert
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy import Connection, Table

# PostgreSQL's binary COPY needs each column's type; BigInteger before its base Integer.
_COPY_TYPES = ((BigInteger, "int8"), (Integer, "int4"), (Float, "float8"), (LargeBinary, "bytea"))


def insert_rows(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same columns) into `table` in the connection's transaction."""
    if not rows:
        return
    if connection.dialect.name != "postgresql" or connection.dialect.driver != "psycopg":
        connection.execute(insert(table), rows)
        return
    columns = list(rows[0])
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
    driver = connection.connection.driver_connection
    assert driver is not None, "a session's connection is checked out"
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            copy.set_types([_copy_type(table, column) for column in columns])
            for row in rows:
                copy.write_row([row[column] for column in columns])
    except connection.dialect.loaded_dbapi.Error as exc:
        # Wrapped as SQLAlchemy wraps its own statements' errors, so that the session
        # translates it in its one place (a locked row, a lost server: StoreError, retried).
        raise DBAPIError.instance(
            statement, None, exc, connection.dialect.loaded_dbapi.Error
        ) from exc


def _copy_type(table: Table, column: str) -> str:
    kind = table.c[column].type
    for sql_type, name in _COPY_TYPES:
        if isinstance(kind, sql_type):
            return name
    raise TypeError(f"no COPY type for {table.name}.{column} ({kind!r})")
