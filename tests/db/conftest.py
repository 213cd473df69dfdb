"""The migration tests start from a really empty database, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.databases import fresh_database

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A new, empty database (no schema, not even on PostgreSQL)."""
    with fresh_database(str(tmp_path / "studio.db")) as url:
        yield url
