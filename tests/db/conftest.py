"""Fixtures of the schema tests: a new, empty database per test, on SQLite or PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from studio.db.engine import Database


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A new, empty database: a SQLite file, or one on the STUDIO_TEST_DB_URL server."""
    server_url = os.environ.get("STUDIO_TEST_DB_URL")
    if not server_url:
        yield f"sqlite:///{tmp_path / 'studio.db'}"
        return
    url = make_url(server_url)
    name = f"studio_migrations_{uuid.uuid4().hex[:16]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield url.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    yield db
    db.dispose()
