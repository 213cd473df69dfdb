"""The test databases: a SQLite file by default, or a fresh database on a PostgreSQL server.

`make test` runs the store-touching tests a second time with `STUDIO_TEST_DB_URL` set to a
throwaway server (tests/pg_cluster.sh). Every fixture that makes a store (the local client's,
the server extension's, a subprocess's) takes its URL from here, so that one variable moves
the whole test onto PostgreSQL.
"""

from __future__ import annotations

import atexit
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.pool import NullPool

from studio.db.engine import Database

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
def fresh_server_database(server_url: str, *, migrated: bool = False) -> Iterator[str]:
    """A new database on the server of `server_url`, dropped on exit: empty, or with
    `migrated` a copy of a database whose schema Studio created (made once per process).

    CREATE DATABASE copies its template: about 25 ms on an idle two-core machine, creating
    the schema by the migrations about 35 ms more; on a loaded one 130 and 170 to 350 ms. A
    store's tests take the migrated copy (`database_url`, `studio_db_url`), so that the
    PostgreSQL run does not pay the migrations once per test; the migration tests (tests/db)
    take a really empty one, and on SQLite every store is a new, empty file.
    """
    url = make_url(server_url)
    if not url.drivername.startswith("postgresql"):
        raise pytest.UsageError(f"{TEST_DB_URL_ENV} must be a postgresql URL, not {server_url!r}")
    name = f"studio_test_{uuid.uuid4().hex[:16]}"
    template = f' TEMPLATE "{_migrated_template(server_url)}"' if migrated else ""
    # CREATE/DROP DATABASE cannot run inside a transaction.
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{template}'))
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                # FORCE ends connections a test left open (a server thread, a leaked engine).
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


_templates: dict[str, str] = {}
_templates_lock = threading.Lock()


def _migrated_template(server_url: str) -> str:
    """The name of a database on `server_url` whose schema Studio's migrations created, made
    on first use and dropped when the process ends. Nothing stays connected to it (CREATE
    DATABASE ... TEMPLATE needs that)."""
    with _templates_lock:
        if server_url not in _templates:
            name = f"studio_template_{uuid.uuid4().hex[:16]}"
            admin = create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            database = Database(make_url(server_url).set(database=name).render_as_string(False))
            try:
                database.ensure_schema()
            finally:
                database.dispose()
            atexit.register(_drop, admin, name)
            _templates[server_url] = name
        return _templates[server_url]


def _drop(admin: Engine, name: str) -> None:
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@contextmanager
def fresh_database(sqlite_path: str, *, migrated: bool = False) -> Iterator[str]:
    """A new database's URL: SQLite at `sqlite_path` (always an empty file), or on the
    STUDIO_TEST_DB_URL server (with `migrated`, holding Studio's schema already)."""
    server = postgres_server_url()
    if server is None:
        yield f"sqlite:///{sqlite_path}"
        return
    with fresh_server_database(server, migrated=migrated) as url:
        yield url
