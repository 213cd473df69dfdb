"""The registry's fixtures: a service over the test database (SQLite, or PostgreSQL where
STUDIO_TEST_DB_URL names a server) with an artifact root of its own."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from studio.config import StudioConfig
from studio.registry.service import RegistryService

if TYPE_CHECKING:
    from pathlib import Path

    from studio.db.engine import Database


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> StudioConfig:
    return StudioConfig(
        home=tmp_path / "home", db_url=database_url, artifact_root=str(tmp_path / "artifacts")
    )


@pytest.fixture
def registry(database: Database, config: StudioConfig) -> RegistryService:
    return RegistryService(database, config)
