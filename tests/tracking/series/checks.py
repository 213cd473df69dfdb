"""Checks of a stored series against the points it should hold, read from its rows.

The series' rows are decoded here, without the store's read path: chunks and tail must
hold exactly the expected points, the series row's totals must agree with them, and every
pyramid level must summarize exactly the sealed points (whatever order they arrived in,
and however many writers sealed them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import select

from studio.tracking.series.codec import decode_points
from studio.tracking.series.orm import SqlSeries, SqlSeriesBlock, SqlSeriesChunk, SqlSeriesTail
from studio.tracking.series.pyramid import (
    COUNT,
    FIRST_S,
    LAST_S,
    MAX_V,
    MIN_V,
    NANS,
    Buckets,
    bucket_keys,
    levels,
    summarize,
)
from studio.tracking.series.source import empty_points, sort_points

if TYPE_CHECKING:
    from studio.db.engine import Database

Points = tuple[np.ndarray, np.ndarray, np.ndarray]


def bits(values: np.ndarray) -> list[int]:
    """Values as their 64-bit patterns: NaN equals NaN, -0.0 differs from 0.0."""
    return np.asarray(values, dtype=np.float64).view(np.uint64).tolist()


@dataclass
class StoredSeries:
    """One series as its rows hold it: sealed points (sorted), tail points, pyramid rows."""

    count: int
    tail_count: int
    base_level: int | None
    sealed: Points
    tail: Points
    blocks: list[tuple[int, bytes]]

    @property
    def points(self) -> Points:
        """Every stored point, in the order reads return them."""
        return sort_points(
            *(np.concatenate(pair) for pair in zip(self.sealed, self.tail, strict=True))
        )


def stored_series(database: Database, series_id: int) -> StoredSeries:
    with database.session() as session:
        series = session.get(SqlSeries, series_id)
        assert series is not None, f"no series {series_id}"
        chunks = session.execute(
            select(SqlSeriesChunk.count, SqlSeriesChunk.payload).where(
                SqlSeriesChunk.series_id == series_id
            )
        ).all()
        tails = session.execute(
            select(SqlSeriesTail.count, SqlSeriesTail.payload).where(
                SqlSeriesTail.series_id == series_id
            )
        ).all()
        blocks = session.execute(
            select(SqlSeriesBlock.level, SqlSeriesBlock.payload).where(
                SqlSeriesBlock.series_id == series_id
            )
        ).all()
        count, tail_count, base = series.count, series.tail_count, series.base_level
    sealed, tail = _decoded(chunks), _decoded(tails)
    return StoredSeries(
        count, tail_count, base, sort_points(*sealed), tail, [(lvl, p) for lvl, p in blocks]
    )


def _decoded(rows: list[tuple[int, bytes]]) -> Points:
    parts = []
    for count, payload in rows:
        part = decode_points(payload)
        assert len(part[0]) == count, "a row's count disagrees with its payload"
        parts.append(part)
    if not parts:
        return empty_points()
    return tuple(np.concatenate(column) for column in zip(*parts, strict=True))  # type: ignore[return-value]


def assert_pyramid_matches(blocks: list[tuple[int, bytes]], base: int, sealed: Points) -> None:
    """Each stored bucket of every level against the sealed points (sorted) of its step
    range: counts, first and last steps, minimum and maximum, NaNs."""
    steps, stamps, values = sealed
    for level in levels(base):
        stored = Buckets.concat([Buckets.decode(p) for lvl, p in blocks if lvl == level])
        stored = stored.take(np.argsort(stored.index))
        want = summarize(steps, stamps, values, bucket_keys(steps, level))
        assert stored.index.tolist() == want.index.tolist(), level
        for column in (COUNT, NANS, FIRST_S, LAST_S):
            assert stored.ints[column].tolist() == want.ints[column].tolist(), (level, column)
        for column in (MIN_V, MAX_V):
            assert bits(stored.floats[column]) == bits(want.floats[column]), (level, column)


def assert_consistent(stored: StoredSeries) -> None:
    """The series row's totals agree with its rows, and its pyramid with its chunks."""
    assert stored.count == len(stored.sealed[0]) + len(stored.tail[0])
    assert stored.tail_count == len(stored.tail[0])
    if stored.base_level is None:
        assert len(stored.sealed[0]) == 0
        assert stored.blocks == []
    else:
        assert_pyramid_matches(stored.blocks, stored.base_level, stored.sealed)


def assert_holds_exactly(database: Database, series_id: int, steps: object, values: object) -> None:
    """The series holds exactly these (step, value) points, each once, and is consistent."""
    stored = stored_series(database, series_id)
    assert_consistent(stored)
    got_steps, _stamps, got_values = stored.points
    want = sorted(zip(np.asarray(steps).tolist(), bits(np.asarray(values)), strict=True))
    assert sorted(zip(got_steps.tolist(), bits(got_values), strict=True)) == want
