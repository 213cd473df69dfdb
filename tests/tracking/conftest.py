"""Fixtures of the tracking tests: a fresh store per test, on SQLite or on PostgreSQL.

`database_url` (tests/conftest.py) is a new SQLite file in the test's tmp_path, or, where
`STUDIO_TEST_DB_URL` names a PostgreSQL server (`make test`'s second run), a new database on
that server, dropped afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from studio.db.engine import Database
from studio.tracking.service import TrackingService
from studio.tracking.store import TrackingStore
from tests.databases import fresh_database
from tests.tracking.logging_store import tracking_store

if TYPE_CHECKING:
    from studio.tracking.entities import RunRecord


@pytest.fixture
def uri(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """`database_url` as the tracking URI of `studio.start_run` and `studio.Client`, with no
    STUDIO_* variable of the caller's in the way; its connection is closed afterwards."""
    with tracking_store(database_url, tmp_path / "home", monkeypatch) as tracking_uri:
        yield tracking_uri


@pytest.fixture
def experiment_id(store: TrackingStore) -> int:
    """An experiment of `store`, for the runs of a test."""
    return store.create_experiment("exp").id


@pytest.fixture
def run(store: TrackingStore, experiment_id: int) -> RunRecord:
    return store.create_run(experiment_id, name="run")


@pytest.fixture
def artifact_root(tmp_path: Path) -> Path:
    return tmp_path / "artifacts"


@pytest.fixture
def store(database: Database, artifact_root: Path) -> TrackingStore:
    return TrackingStore(database, str(artifact_root))


@pytest.fixture
def service(store: TrackingStore) -> TrackingService:
    return TrackingService(store)


@pytest.fixture(scope="module")
def module_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrackingStore]:
    """One fresh store for a whole test module whose tests only read what its module-scoped
    fixtures seed (seeded once, not once per test: on PostgreSQL each store is a database)."""
    folder = tmp_path_factory.mktemp("module-store")
    with fresh_database(str(folder / "studio.db"), migrated=True) as url:
        database = Database(url)
        try:
            yield TrackingStore(database, str(folder / "artifacts"))
        finally:
            database.dispose()
