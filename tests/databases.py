"""The test databases: a SQLite file by default, or a fresh database on a PostgreSQL server.

`make test` runs the store-touching tests a second time with `STUDIO_TEST_DB_URL` set to a
throwaway server (tests/pg_cluster.sh). Every fixture that makes a store (the local client's,
the server extension's, a subprocess's) takes its URL from here, so that one variable moves
the whole test onto PostgreSQL.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

TEST_DB_URL_ENV = "STUDIO_TEST_DB_URL"


def postgres_server_url() -> str | None:
    """The PostgreSQL server the tests run against, or None for SQLite."""
    return os.environ.get(TEST_DB_URL_ENV) or None


def on_postgresql() -> bool:
    return postgres_server_url() is not None


# For a test that checks something only SQLite has (a PRAGMA, the database file itself).
sqlite_only = pytest.mark.skipif(
    on_postgresql(), reason=f"checks SQLite itself; {TEST_DB_URL_ENV} selects PostgreSQL"
)


@contextmanager
def fresh_server_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server of `server_url`, dropped on exit.

    CREATE DATABASE copies template1: about 25 ms on an idle two-core machine, creating the
    schema about 35 ms more. A migrated template database would save only the second (no
    measurable gain on the loaded machine, where both cost several times more), and would
    hide the schema creation path from every test: each test gets a really empty database.
    """
    url = make_url(server_url)
    if not url.drivername.startswith("postgresql"):
        raise pytest.UsageError(f"{TEST_DB_URL_ENV} must be a postgresql URL, not {server_url!r}")
    name = f"studio_test_{uuid.uuid4().hex[:16]}"
    # CREATE/DROP DATABASE cannot run inside a transaction.
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                # FORCE ends connections a test left open (a server thread, a leaked engine).
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def fresh_database(sqlite_path: str) -> Iterator[str]:
    """A new database's URL: SQLite at `sqlite_path`, or on the STUDIO_TEST_DB_URL server."""
    server = postgres_server_url()
    if server is None:
        yield f"sqlite:///{sqlite_path}"
        return
    with fresh_server_database(server) as url:
        yield url
