"""Where Studio keeps its data and how hard SQLite syncs it: `studio.config`, and the pragma
each SQLite connection then really has."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from studio.config import (
    SQLITE_SYNCHRONOUS_ENV,
    StudioConfig,
    sqlite_synchronous_level,
)
from studio.db.engine import Database
from studio.errors import InvalidInput
from studio.tracking.service import TrackingService

# SQLite answers `PRAGMA synchronous` with the level's number.
PRAGMA_VALUE = {"NORMAL": 1, "FULL": 2, "EXTRA": 3}


@pytest.fixture(autouse=True)
def no_synchronous_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SQLITE_SYNCHRONOUS_ENV, raising=False)


def pragma(database: Database) -> int:
    # A connection straight from the engine: the level must hold on every connection, not
    # only on those that go through a session.
    with database.engine.connect() as connection:
        return int(connection.execute(text("PRAGMA synchronous")).scalar_one())


@pytest.fixture
def open_databases() -> Iterator[list[Database]]:
    databases: list[Database] = []
    yield databases
    for database in databases:
        database.dispose()


def test_the_default_level_is_normal(tmp_path: Path, open_databases: list[Database]) -> None:
    assert sqlite_synchronous_level() == "NORMAL"
    database = Database(f"sqlite:///{tmp_path / 'studio.db'}")
    open_databases.append(database)
    assert pragma(database) == PRAGMA_VALUE["NORMAL"]


@pytest.mark.parametrize("level", ["FULL", "full", "Extra", "NORMAL"])
def test_the_variable_sets_every_connections_level(
    level: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, open_databases: list[Database]
) -> None:
    monkeypatch.setenv(SQLITE_SYNCHRONOUS_ENV, level)
    database = Database(f"sqlite:///{tmp_path / 'studio.db'}")
    open_databases.append(database)
    database.ensure_schema()
    assert pragma(database) == PRAGMA_VALUE[level.upper()]
    with database.session(write=True) as session:
        assert (
            session.execute(text("PRAGMA synchronous")).scalar_one() == PRAGMA_VALUE[level.upper()]
        )


def test_an_explicit_level_wins_over_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, open_databases: list[Database]
) -> None:
    monkeypatch.setenv(SQLITE_SYNCHRONOUS_ENV, "EXTRA")
    database = Database(f"sqlite:///{tmp_path / 'studio.db'}", sqlite_synchronous="FULL")
    open_databases.append(database)
    assert pragma(database) == PRAGMA_VALUE["FULL"]


@pytest.mark.parametrize("level", ["OFF", "0", "full; DROP TABLE runs", "FAST"])
def test_other_levels_are_refused_before_anything_is_opened(
    level: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(InvalidInput, match="NORMAL, FULL, EXTRA") as refused:
        Database(f"sqlite:///{tmp_path / 'deep' / 'studio.db'}", sqlite_synchronous=level)
    assert repr(level) in refused.value.message
    assert not (tmp_path / "deep").exists()

    monkeypatch.setenv(SQLITE_SYNCHRONOUS_ENV, level)
    with pytest.raises(InvalidInput, match=SQLITE_SYNCHRONOUS_ENV):
        StudioConfig.resolve(home=tmp_path)


def test_the_client_store_follows_the_variable_and_exports_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SQLITE_SYNCHRONOUS_ENV, "full")
    config = StudioConfig.resolve(home=tmp_path)
    assert config.sqlite_synchronous == "FULL"
    assert config.environment()[SQLITE_SYNCHRONOUS_ENV] == "FULL"
    service = TrackingService.from_config(config)
    try:
        assert pragma(service.store.db) == PRAGMA_VALUE["FULL"]
    finally:
        service.store.db.dispose()
