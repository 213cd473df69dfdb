"""The series store: intern a series, append points to it, read it whole, by step range or
downsampled. Functions of a store session (the caller opens it, `write=True` to append, and
commits): a package's store calls them inside its own transaction, after its own checks.

Every append is durable with the caller's commit. It lands in the open tail, unless the
tail and it hold `CHUNK_POINTS` points or more: then their lowest-stepped points are sealed
into chunks of `CHUNK_POINTS` (sorted by step, timestamp and value) and merged into the
pyramid, and the rest becomes the tail, in the same transaction. A late point (below sealed
chunks) is no different: it is sealed with the others, and its chunk's range overlaps older
ones, which range reads allow for (`max_chunk_span`).

Appends to one series are serialized by a lock on its `series` row (SQLite serializes every
writer anyway), so two writers never seal the same tail twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from studio.errors import InvalidInput, NotFound
from studio.tracking.series import blocks, bulk
from studio.tracking.series.codec import decode_points, encode_points
from studio.tracking.series.orm import SqlSeries, SqlSeriesBlock, SqlSeriesChunk, SqlSeriesTail
from studio.tracking.series.pyramid import (
    COUNT,
    MIN_MAX_POINTS,
    Buckets,
    base_level,
    choose_level,
    evenly,
    points,
    summarize,
    thin,
)
from studio.tracking.series.source import SeriesSource, empty_points, sort_points

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy import Connection, Table
    from sqlalchemy.orm import Session

# Points per sealed chunk: its payload is about 32 KB, decoded in a fraction of a millisecond.
CHUNK_POINTS = 4_096
# A range of at most this many points is read from its chunks and thinned in memory; a
# longer one from the pyramid.
FULL_RESOLUTION_POINTS = 4 * CHUNK_POINTS
METRIC = "metric"
RUN = "run"
# Core statements for the per-append rows: the ORM's bookkeeping would cost more than the SQL.
_CHUNKS = cast("Table", SqlSeriesChunk.__table__)
_TAIL = cast("Table", SqlSeriesTail.__table__)


@dataclass(frozen=True)
class Owner:
    """What a series belongs to: a run (`Owner.run(run_id)`), later an endpoint."""

    kind: str
    id: str

    @classmethod
    def run(cls, run_id: str) -> Owner:
        return cls(RUN, run_id)

    def identity(self, kind: str) -> dict[str, str]:
        """The columns naming this owner's series of `kind` (the key names one of them)."""
        return {"owner_kind": self.kind, "owner_id": self.id, "kind": kind}


@dataclass(frozen=True)
class SeriesPoints:
    """Points of a series, sorted by step, timestamp and value.

    `downsampled` is False when these are every point of the range asked for; `total` is
    the number of points in the whole series.
    """

    steps: np.ndarray
    timestamps: np.ndarray
    values: np.ndarray
    downsampled: bool
    total: int


def intern(session: Session, owner: Owner, key: str, kind: str = METRIC) -> int:
    """The id of the series (owner, kind, key), created if new (safe under concurrency).

    A new series is inserted: call it in a write session (`Database.session(write=True)`).
    """
    query = select(SqlSeries.id).filter_by(**owner.identity(kind), key=key)
    found = session.execute(query).scalar_one_or_none()
    if found is not None:
        return int(found)
    insert_series(session.connection(), owner, kind, [key])
    return int(session.execute(query).scalar_one())


def append(
    session: Session,
    series_id: int,
    steps: Sequence[int] | np.ndarray,
    timestamps: Sequence[int] | np.ndarray,
    values: Sequence[float] | np.ndarray,
) -> None:
    """Add points (any order; steps may repeat) to a series. Raises NotFound, InvalidInput."""
    points = _validated(steps, timestamps, values)
    if len(points[0]):
        _append(session, _series(session, series_id, lock=True), points)


def intern_and_append(
    session: Session,
    owner: Owner,
    key: str,
    kind: str,
    steps: Sequence[int] | np.ndarray,
    timestamps: Sequence[int] | np.ndarray,
    values: Sequence[float] | np.ndarray,
) -> int:
    """`append` to the series (owner, kind, key), created if new; its id. One round trip
    fewer than `intern` then `append`: the SELECT that finds the series also locks it."""
    points = _validated(steps, timestamps, values)
    query = (
        select(SqlSeries)
        .filter_by(**owner.identity(kind), key=key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    series = session.execute(query).scalar_one_or_none()
    if series is None:
        insert_series(session.connection(), owner, kind, [key])
        series = session.execute(query).scalar_one()
    if len(points[0]):
        _append(session, series, points)
    return series.id


def insert_series(connection: Connection, owner: Owner, kind: str, keys: Sequence[str]) -> None:
    """Create the series (owner, kind, key) of each key, empty; one that exists already (made
    by a concurrent writer, say) is left as it is."""
    dialect = connection.dialect.name
    upsert = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(SqlSeries)
    empty = {"count": 0, "tail_count": 0, "chunk_seq": 0, "tail_seq": 0, "max_chunk_span": 0}
    connection.execute(
        upsert.on_conflict_do_nothing(),
        [{**owner.identity(kind), "key": key, **empty} for key in keys],
    )


def _append(
    session: Session, series: SqlSeries, points: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> None:
    """Append validated points to a series whose row this transaction has locked."""
    step_array, stamp_array, value_array = points
    count = len(step_array)
    low, high = int(step_array.min()), int(step_array.max())
    had_tail = series.tail_count > 0
    series.count += count
    series.tail_count += count
    series.min_step = low if series.min_step is None else min(low, series.min_step)
    series.max_step = high if series.max_step is None else max(high, series.max_step)
    if series.tail_count >= CHUNK_POINTS:
        # Sealed straight from memory: a tail row written only to be deleted in the same
        # transaction would leave its dead copy behind on PostgreSQL until a vacuum.
        _seal(session, series, points, had_tail=had_tail)
    else:
        tail_row = {
            "series_id": series.id,
            "seq": series.tail_seq,
            "count": count,
            "payload": encode_points(step_array, stamp_array, value_array),
        }
        bulk.insert_rows(session.connection(), _TAIL, [tail_row])
        series.tail_seq += 1
    session.flush()


def read(
    session: Session,
    series_or_id: int | SqlSeries,
    max_points: int | None = None,
    min_step: int | None = None,
    max_step: int | None = None,
) -> SeriesPoints:
    """The points of a series (its id, or its row) with steps in [min_step, max_step]
    (bounds None: open).

    With `max_points` None, every point. Otherwise at most `max_points` points: every point
    where the range holds no more, else each bucket's first, min, max and last point (and
    first NaN) over about `max_points / 4` buckets, from the coarsest pyramid level that
    has enough of them (`downsampled` is then True).
    """
    if max_points is not None and max_points < MIN_MAX_POINTS:
        raise InvalidInput(f"max_points must be at least {MIN_MAX_POINTS}.")
    # A row the caller has just read (found by its identity) saves a round trip.
    if isinstance(series_or_id, SqlSeries):
        series = series_or_id
    else:
        series = _series(session, series_or_id, lock=False)
    if series.count == 0 or series.min_step is None or series.max_step is None:
        return SeriesPoints(*empty_points(), downsampled=False, total=0)
    lo = series.min_step if min_step is None else max(min_step, series.min_step)
    hi = series.max_step if max_step is None else min(max_step, series.max_step)
    if lo > hi:
        return SeriesPoints(*empty_points(), downsampled=False, total=series.count)
    source = SeriesSource(session, series)
    if max_points is None or source.upper_count(lo, hi) <= max(max_points, FULL_RESOLUTION_POINTS):
        steps, stamps, values = source.points(lo, hi)
        if max_points is None or len(steps) <= max_points:
            return SeriesPoints(steps, stamps, values, downsampled=False, total=series.count)
        target = max_points // (5 if bool(np.isnan(values).any()) else 4)
        buckets = summarize(steps, stamps, values, evenly(len(steps), target))
        return SeriesPoints(*points(buckets), downsampled=True, total=series.count)
    assert series.base_level is not None, "a range past FULL_RESOLUTION_POINTS has chunks"
    level = choose_level(series.base_level, lo, hi, max_points // 4)
    buckets = Buckets.concat(source.cover(level, lo, hi))
    if int(buckets.ints[COUNT].sum()) <= max_points:
        # Fewer points than the chunks' counts promised (late chunks overlap the range).
        steps, stamps, values = source.points(lo, hi)
        return SeriesPoints(steps, stamps, values, downsampled=False, total=series.count)
    buckets = thin(buckets, max_points)
    return SeriesPoints(*points(buckets), downsampled=True, total=series.count)


def delete_owned(session: Session, owner_kind: str, owner_ids: Any) -> None:
    """Delete every series of these owners (`owner_ids`: a list or a subquery of ids)."""
    owned = (SqlSeries.owner_kind == owner_kind, SqlSeries.owner_id.in_(owner_ids))
    ids = select(SqlSeries.id).where(*owned)
    for table in (SqlSeriesChunk, SqlSeriesTail, SqlSeriesBlock):
        session.execute(delete(table).where(table.series_id.in_(ids)))
    session.execute(delete(SqlSeries).where(*owned))


def _series(session: Session, series_id: int, *, lock: bool) -> SqlSeries:
    query = select(SqlSeries).where(SqlSeries.id == series_id)
    if lock:
        query = query.with_for_update()
    # Always the database's row, never a copy the session already holds.
    found = session.execute(query.execution_options(populate_existing=True)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"No series {series_id}.")
    return found


def _seal(
    session: Session,
    series: SqlSeries,
    new: tuple[np.ndarray, np.ndarray, np.ndarray],
    *,
    had_tail: bool,
) -> None:
    """Seal the lowest full chunks of the tail and the `new` points, merge them into the
    pyramid, and leave the rest as the tail."""
    # Any order: the points are sorted by (step, timestamp, value) before sealing.
    connection = session.connection()
    decoded = [new]
    if had_tail:
        payloads = connection.execute(select(_TAIL.c.payload).where(_TAIL.c.series_id == series.id))
        decoded = [*(decode_points(payload) for (payload,) in payloads), new]
    steps, stamps, values = sort_points(
        *(np.concatenate(column) for column in zip(*decoded, strict=True))
    )
    sealed = len(steps) // CHUNK_POINTS * CHUNK_POINTS
    chunks: list[dict[str, Any]] = []
    for n, start in enumerate(range(0, sealed, CHUNK_POINTS)):
        part = slice(start, start + CHUNK_POINTS)
        finite = values[part][~np.isnan(values[part])]
        chunks.append(
            {
                "series_id": series.id,
                "first_step": int(steps[start]),
                "seq": series.chunk_seq + n,
                "last_step": int(steps[start + CHUNK_POINTS - 1]),
                "count": CHUNK_POINTS,
                "min_value": float(finite.min()) if len(finite) else None,
                "max_value": float(finite.max()) if len(finite) else None,
                "payload": encode_points(steps[part], stamps[part], values[part]),
            }
        )
        series.max_chunk_span = max(
            series.max_chunk_span, chunks[-1]["last_step"] - chunks[-1]["first_step"]
        )
    bulk.insert_rows(connection, _CHUNKS, chunks)
    if len(decoded) > 1:  # there were tail rows
        connection.execute(delete(_TAIL).where(_TAIL.c.series_id == series.id))
    if sealed < len(steps):
        tail_row = {
            "series_id": series.id,
            "seq": series.tail_seq,
            "count": len(steps) - sealed,
            "payload": encode_points(steps[sealed:], stamps[sealed:], values[sealed:]),
        }
        bulk.insert_rows(connection, _TAIL, [tail_row])
    if series.base_level is None:
        series.base_level = base_level(int(steps[0]), int(steps[sealed - 1]), sealed)
    blocks.add_points(
        session, series.id, series.base_level, steps[:sealed], stamps[:sealed], values[:sealed]
    )
    series.tail_count = len(steps) - sealed
    series.tail_seq += 1
    series.chunk_seq += len(chunks)


def _validated(
    steps: Sequence[int] | np.ndarray,
    timestamps: Sequence[int] | np.ndarray,
    values: Sequence[float] | np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    arrays = [np.asarray(steps), np.asarray(timestamps), np.asarray(values, dtype=np.float64)]
    if any(array.ndim != 1 for array in arrays) or len({len(a) for a in arrays}) != 1:
        raise InvalidInput("steps, timestamps and values must be 1-D and of one length.")
    if len(arrays[0]) == 0:
        return empty_points()
    for name, array in (("steps", arrays[0]), ("timestamps", arrays[1])):
        if not np.issubdtype(array.dtype, np.integer):
            raise InvalidInput(f"{name} must be integers, not {array.dtype}.")
        if array.dtype == np.uint64 and int(array.max()) > np.iinfo(np.int64).max:
            raise InvalidInput(f"{name} must fit in 64-bit signed integers.")
    return arrays[0].astype(np.int64), arrays[1].astype(np.int64), arrays[2]
