"""What one read of one series sees: its chunks, its open tail and its pyramid (the tail
read and each chunk decoded at most once per read), and the bucket cover of a step range.

A range is covered by the coarsest whole buckets that fit in it, and at its two ends by
finer ones, level by level down to the base level, then by the raw points of at most two
base buckets: a downsampled range read touches a few hundred buckets whatever the series'
length, and its extremes are those of exactly the points in the range.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import func, select

from studio.tracking.series import blocks
from studio.tracking.series.codec import decode_points
from studio.tracking.series.orm import SqlSeries, SqlSeriesChunk, SqlSeriesTail
from studio.tracking.series.pyramid import Buckets, bucket_keys, merge, summarize, width

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

Points = tuple[np.ndarray, np.ndarray, np.ndarray]
_CHUNKS = SqlSeriesChunk.__table__
_TAIL = SqlSeriesTail.__table__


def sort_points(steps: np.ndarray, stamps: np.ndarray, values: np.ndarray) -> Points:
    """Points in the order every read returns them: by step, timestamp, then value (as
    MLflow orders a metric's history, with the value making the order total)."""
    order = np.lexsort((values, stamps, steps))
    return steps[order], stamps[order], values[order]


def empty_points() -> Points:
    return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64)


class SeriesSource:
    """The stored points of one series, as one read sees them."""

    def __init__(self, session: Session, series: SqlSeries) -> None:
        assert series.min_step is not None, "an empty series"
        assert series.max_step is not None, "an empty series"
        self._session = session
        self.series_id = series.id
        self.count = series.count
        self.tail_count = series.tail_count
        self.min_step = series.min_step
        self.max_step = series.max_step
        self.max_chunk_span = series.max_chunk_span
        self.base_level = series.base_level
        self._tail: Points | None = None
        self._chunks: dict[tuple[int, int], Points] = {}

    def upper_count(self, lo: int, hi: int) -> int:
        """At least as many points as [lo, hi] holds: the counts of the chunks it touches."""
        if lo <= self.min_step and hi >= self.max_step:
            return self.count
        sealed = self._session.execute(
            select(func.coalesce(func.sum(_CHUNKS.c.count), 0)).where(*self._overlapping(lo, hi))
        ).scalar_one()
        return int(sealed) + self.tail_count

    def points(self, lo: int, hi: int) -> Points:
        """Every point with a step in [lo, hi], sorted (`sort_points`)."""
        parts = [self._chunk(row) for row in self._chunk_rows(lo, hi)]
        parts.append(self.tail())
        steps = np.concatenate([part[0] for part in parts])
        inside = (steps >= lo) & (steps <= hi)
        return sort_points(
            steps[inside],
            np.concatenate([part[1] for part in parts])[inside],
            np.concatenate([part[2] for part in parts])[inside],
        )

    def tail(self) -> Points:
        """The open tail's points, sorted."""
        if self._tail is None and self.tail_count == 0:
            self._tail = empty_points()  # no round trip for an empty tail
        if self._tail is None:
            rows = self._session.execute(
                select(_TAIL.c.payload).where(_TAIL.c.series_id == self.series_id)
            ).all()
            decoded = [decode_points(row.payload) for row in rows] or [empty_points()]
            columns = zip(*decoded, strict=True)
            self._tail = sort_points(*(np.concatenate(column) for column in columns))
        return self._tail

    def buckets(self, level: int, first: int, last: int) -> Buckets:
        """Buckets `first`..`last` of `level`: the pyramid's, with the tail's points in."""
        stored = blocks.load(self._session, self.series_id, level, first, last)
        steps, stamps, values = self.tail()
        span = width(level)
        inside = (steps >= first * span) & (steps <= last * span + span - 1)
        if not inside.any():
            return stored
        steps, stamps, values = steps[inside], stamps[inside], values[inside]
        combined = Buckets.concat(
            [stored, summarize(steps, stamps, values, bucket_keys(steps, level))]
        )
        return merge(combined, combined.index)

    def cover(self, level: int, lo: int, hi: int) -> list[Buckets]:
        """Buckets summarizing exactly the points in [lo, hi], in step order: whole buckets of
        `level` inside the range, finer ones at its ends (see the module's docstring)."""
        assert self.base_level is not None, "a series without chunks has no pyramid"
        if level < self.base_level:
            steps, stamps, values = self.points(lo, hi)
            return [summarize(steps, stamps, values, bucket_keys(steps, self.base_level))]
        span = width(level)
        first, last = lo // span, hi // span
        # A bucket counts as inside when the steps the series has in it are: a whole-series
        # read needs no finer buckets at the ends.
        if max(first * span, self.min_step) < lo:
            first += 1
        if min(last * span + span - 1, self.max_step) > hi:
            last -= 1
        if first > last:
            return self.cover(level - 1, lo, hi)
        parts: list[Buckets] = []
        if first * span > lo:
            parts += self.cover(level - 1, lo, first * span - 1)
        parts.append(self.buckets(level, first, last))
        if last * span + span - 1 < hi:
            parts += self.cover(level - 1, last * span + span, hi)
        return parts

    def _overlapping(self, lo: int, hi: int) -> tuple[Any, ...]:
        return (
            _CHUNKS.c.series_id == self.series_id,
            _CHUNKS.c.first_step <= hi,
            _CHUNKS.c.first_step >= lo - self.max_chunk_span,
            _CHUNKS.c.last_step >= lo,
        )

    def _chunk_rows(self, lo: int, hi: int) -> list[Any]:
        return list(
            self._session.execute(
                select(_CHUNKS.c.first_step, _CHUNKS.c.seq, _CHUNKS.c.payload)
                .where(*self._overlapping(lo, hi))
                .order_by(_CHUNKS.c.first_step, _CHUNKS.c.seq)
            ).all()
        )

    def _chunk(self, row: Any) -> Points:
        # The two ends of a cover often fall in one chunk: it is decoded once.
        key = (row.first_step, row.seq)
        if key not in self._chunks:
            self._chunks[key] = decode_points(row.payload)
        return self._chunks[key]
