"""Fixtures of the tracking tests: a fresh store per test, on SQLite or on PostgreSQL.

`database_url` (tests/conftest.py) is a new SQLite file in the test's tmp_path, or, where
`STUDIO_TEST_DB_URL` names a PostgreSQL server (`make test`'s second run), a new database on
that server, dropped afterwards.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from studio.tracking.service import TrackingService
from studio.tracking.store import TrackingStore

if TYPE_CHECKING:
    from studio.db.engine import Database


@pytest.fixture
def artifact_root(tmp_path: Path) -> Path:
    return tmp_path / "artifacts"


@pytest.fixture
def store(database: Database, artifact_root: Path) -> TrackingStore:
    return TrackingStore(database, str(artifact_root))


@pytest.fixture
def service(store: TrackingStore) -> TrackingService:
    return TrackingService(store)
