"""Fixtures of the series store tests: a fresh store (SQLite, or PostgreSQL where
STUDIO_TEST_DB_URL names a server) and helpers that append and read in their own
transactions, as the tracking store will."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from studio.tracking.series import store
from studio.tracking.series.source import sort_points

if TYPE_CHECKING:
    from studio.db.engine import Database


@dataclass
class Series:
    """One series of a test, and every point appended to it, to compare reads with."""

    database: Database
    id: int
    steps: np.ndarray
    stamps: np.ndarray
    values: np.ndarray

    def append(self, steps: Any, stamps: Any, values: Any) -> None:
        with self.database.session(write=True) as session:
            store.append(session, self.id, steps, stamps, values)
        self.steps = np.concatenate([self.steps, np.asarray(steps, dtype=np.int64)])
        self.stamps = np.concatenate([self.stamps, np.asarray(stamps, dtype=np.int64)])
        self.values = np.concatenate([self.values, np.asarray(values, dtype=np.float64)])

    def append_in_batches(self, steps: Any, stamps: Any, values: Any, batch: int) -> None:
        for start in range(0, len(steps), batch):
            part = slice(start, start + batch)
            self.append(steps[part], stamps[part], values[part])

    def read(self, **kwargs: Any) -> store.SeriesPoints:
        with self.database.session() as session:
            return store.read(session, self.id, **kwargs)

    def expected(
        self, min_step: int | None = None, max_step: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every appended point in [min_step, max_step], in the order reads promise."""
        inside = np.ones(len(self.steps), bool)
        if min_step is not None:
            inside &= self.steps >= min_step
        if max_step is not None:
            inside &= self.steps <= max_step
        return sort_points(self.steps[inside], self.stamps[inside], self.values[inside])


@pytest.fixture
def series_store(database: Database) -> Database:
    database.ensure_schema()
    return database


@pytest.fixture
def new_series(series_store: Database) -> Any:
    """`new_series(key="loss", owner=Owner.run("run1"), kind="metric") -> Series`."""

    def make(
        key: str = "loss", owner: store.Owner | None = None, kind: str = store.METRIC
    ) -> Series:
        with series_store.session(write=True) as session:
            series_id = store.intern(session, owner or store.Owner.run("run1"), key, kind)
        empty = np.zeros(0, np.int64)
        return Series(series_store, series_id, empty, empty, np.zeros(0))

    return make
