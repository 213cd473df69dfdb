"""Fixtures of the schema tests: a new, empty database per test, on SQLite or PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.db.engine import Database
from tests.tracking.conftest import TEST_DB_URL_ENV, fresh_server_database


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A new, empty database: a SQLite file, or one on the STUDIO_TEST_DB_URL server."""
    server_url = os.environ.get(TEST_DB_URL_ENV)
    if not server_url:
        yield f"sqlite:///{tmp_path / 'studio.db'}"
        return
    with fresh_server_database(server_url) as url:
        yield url


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    yield db
    db.dispose()
