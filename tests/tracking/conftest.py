"""Fixtures of the tracking tests: a fresh store per test, on SQLite or on PostgreSQL.

Without `STUDIO_TEST_DB_URL` each test gets a new SQLite file in its tmp_path. With it (a
`postgresql+psycopg://...` URL, as `make test` sets for its PostgreSQL run) each test gets a
new database on that server, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from studio.db.engine import Database
from studio.tracking.service import TrackingService
from studio.tracking.store import TrackingStore

TEST_DB_URL_ENV = "STUDIO_TEST_DB_URL"


@contextmanager
def fresh_server_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server of `server_url`, dropped on exit."""
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


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database: SQLite, or PostgreSQL where STUDIO_TEST_DB_URL says."""
    server_url = os.environ.get(TEST_DB_URL_ENV)
    if not server_url:
        yield f"sqlite:///{tmp_path / 'studio.db'}"
        return
    with fresh_server_database(server_url) as url:
        yield url


@pytest.fixture
def artifact_root(tmp_path: Path) -> Path:
    return tmp_path / "artifacts"


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    yield db
    db.dispose()


@pytest.fixture
def store(database: Database, artifact_root: Path) -> TrackingStore:
    return TrackingStore(database, str(artifact_root))


@pytest.fixture
def service(store: TrackingStore) -> TrackingService:
    return TrackingService(store)
