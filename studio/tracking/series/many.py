"""Many series of one owner and kind at once: the debugger saves a thousand statistics a
step, each a series of its own. Functions of a store session, as `store`'s are (the caller
opens it, `write=True` to append, and commits).

- `append_many`: `store.intern` and `store.append` for many series, in a few statements;
- `find`: a series by its identity;
- `list_owned`: an owner's series of a kind, with their counts and step ranges;
- `find_many` and `read_many`: many series found, and read whole or by step range, in a few
  statements whatever their number (a notebook reads a run's thousand statistics at once).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from sqlalchemy import bindparam, delete, func, insert, select, update

from studio.tracking.series.codec import (
    decode_points,
    decode_points_many,
    encode_points_many,
)
from studio.tracking.series.orm import SqlSeries, SqlSeriesChunk, SqlSeriesTail
from studio.tracking.series.source import empty_points, sort_points
from studio.tracking.series.store import (
    CHUNK_POINTS,
    Owner,
    SeriesPoints,
    _validated,
    append,
    insert_series,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy import Connection, Table
    from sqlalchemy.orm import Session

_TAIL = cast("Table", SqlSeriesTail.__table__)
_CHUNKS = cast("Table", SqlSeriesChunk.__table__)

# (steps, timestamps, values) of one series: sequences or 1-D numpy arrays of one length;
# steps and timestamps (epoch milliseconds) integers, values floats (NaN and ±Inf kept).
SeriesColumns = tuple[
    "Sequence[int] | np.ndarray", "Sequence[int] | np.ndarray", "Sequence[float] | np.ndarray"
]
# Keys per statement of `append_many`: well under SQLite's and PostgreSQL's parameter limits.
_KEYS_PER_STATEMENT = 1_000
# Series sealed by one `append_many` at most. Series appended to together fill their tails
# together: sealing a thousand at once (about 40 ms each) would stall that one call for
# tens of seconds; the others keep a tail a little past CHUNK_POINTS for a few more calls.
SEALS_PER_APPEND = 16
# Tail rows of a series, one per append, are merged into one about every TAIL_ROWS appends:
# a read (and the seal) decodes every tail row, and a call per save of one point each would
# otherwise leave up to CHUNK_POINTS of them.
TAIL_ROWS = 64
_SERIES = cast("Table", SqlSeries.__table__)
_TOTALS = (
    _SERIES.c.id,
    _SERIES.c.key,
    _SERIES.c.count,
    _SERIES.c.tail_count,
    _SERIES.c.min_step,
    _SERIES.c.max_step,
    _SERIES.c.tail_seq,
)


def append_many(
    session: Session, owner: Owner, kind: str, points: dict[str, SeriesColumns]
) -> None:
    """`intern` and `append` for many series of one owner and kind, `points` mapping each
    key to its (steps, timestamps, values), in a few statements whatever their number.

    The series rows are read and locked by identity (one SELECT per thousand keys, in key
    order), the missing ones inserted in one statement, the tail rows in one and the totals
    updated in one: no id cache is needed, so none can go stale when a run is deleted and
    SQLite hands its series ids out again. Core statements, not the ORM: a thousand series
    a step is the ordinary case, and the ORM's bookkeeping would cost more than the SQL.
    Series whose tails fill a chunk are sealed as `append` seals them, at most
    SEALS_PER_APPEND of them per call. Raises InvalidInput (the arrays) before anything is
    written.
    """
    columns = {key: _validated(*arrays) for key, arrays in points.items()}
    columns = {key: arrays for key, arrays in columns.items() if len(arrays[0])}
    if not columns:
        return
    keys = sorted(columns)
    connection = session.connection()
    totals = _locked_totals(connection, owner, kind, keys)
    missing = [key for key in keys if key not in totals]
    if missing:
        insert_series(connection, owner, kind, missing)
        totals.update(_locked_totals(connection, owner, kind, missing))
    full = [key for key in keys if totals[key].tail_count + len(columns[key][0]) >= CHUNK_POINTS]
    # The fullest tails first, so that a deferred one is sealed in a later call.
    full.sort(key=lambda key: -(totals[key].tail_count + len(columns[key][0])))
    sealing = set(full[:SEALS_PER_APPEND])
    # Each series' turn comes at another call (its id shifts it), so that series appended
    # to together are not all compacted by the same call.
    compacting = {
        totals[key].id: key
        for key in keys
        if key not in sealing and (totals[key].tail_seq + totals[key].id) % TAIL_ROWS == 0
    }
    merged = _compacted(connection, compacting, columns)
    tails: list[dict[str, Any]] = []
    encoding: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    updates: list[dict[str, Any]] = []
    for key in keys:
        series_id, _, count, tail_count, min_step, max_step, tail_seq = totals[key]
        steps, stamps, values = columns[key]
        if key in sealing:
            append(session, series_id, steps, stamps, values)  # seals, under the same lock
            continue
        low, high, added = int(steps.min()), int(steps.max()), len(steps)
        if series_id in merged:
            steps, stamps, values = merged[series_id]
        tails.append({"series_id": series_id, "seq": tail_seq, "count": len(steps)})
        encoding.append((steps, stamps, values))
        updates.append(
            {
                "series": series_id,
                "new_count": count + added,
                "new_tail_count": tail_count + added,
                "new_min_step": low if min_step is None else min(low, min_step),
                "new_max_step": high if max_step is None else max(high, max_step),
                "new_tail_seq": tail_seq + 1,
            }
        )
    for tail, payload in zip(tails, encode_points_many(encoding), strict=True):
        tail["payload"] = payload
    if tails:
        connection.execute(insert(_TAIL), tails)
        connection.execute(_UPDATE_TOTALS, updates)


def _compacted(
    connection: Connection,
    compacting: dict[int, str],
    columns: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The tail points of these series and their new ones, sorted, each series' tail rows
    deleted: each becomes the series' one tail row."""
    if not compacting:
        return {}
    stored: dict[int, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
    found = connection.execute(
        select(_TAIL.c.series_id, _TAIL.c.payload).where(_TAIL.c.series_id.in_(compacting))
    )
    for series_id, payload in found:
        stored.setdefault(series_id, []).append(decode_points(payload))
    connection.execute(delete(_TAIL).where(_TAIL.c.series_id.in_(compacting)))
    merged = {}
    for series_id, key in compacting.items():
        parts = [*stored.get(series_id, []), columns[key]]
        merged[series_id] = sort_points(
            *(np.concatenate(column) for column in zip(*parts, strict=True))
        )
    return merged


_UPDATE_TOTALS = (
    update(_SERIES)
    .where(_SERIES.c.id == bindparam("series"))
    .values(
        count=bindparam("new_count"),
        tail_count=bindparam("new_tail_count"),
        min_step=bindparam("new_min_step"),
        max_step=bindparam("new_max_step"),
        tail_seq=bindparam("new_tail_seq"),
    )
)


def find(session: Session, owner: Owner, kind: str, key: str) -> SqlSeries | None:
    """The series (owner, kind, key), or None if nothing was ever appended to it."""
    return session.execute(
        select(SqlSeries).filter_by(**owner.identity(kind), key=key)
    ).scalar_one_or_none()


def find_many(
    session: Session, owner: Owner, kind: str, keys: Sequence[str]
) -> dict[str, SqlSeries]:
    """The series (owner, kind, key) of each key that was ever appended to, by key."""
    found: dict[str, SqlSeries] = {}
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), _KEYS_PER_STATEMENT):
        query = select(SqlSeries).filter_by(**owner.identity(kind))
        query = query.where(SqlSeries.key.in_(unique[start : start + _KEYS_PER_STATEMENT]))
        found.update((series.key, series) for series in session.execute(query).scalars())
    return found


def read_many(
    session: Session,
    series: Sequence[SqlSeries],
    min_step: int | None = None,
    max_step: int | None = None,
) -> dict[int, SeriesPoints]:
    """Every point with a step in [min_step, max_step] (None: open) of each series, by id,
    sorted as `store.read` sorts them: its chunks and tails read in a statement per thousand
    series, not two per series, and decoded straight into arrays."""
    ids = [row.id for row in series if row.count]
    parts: dict[int, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {i: [] for i in ids}
    for start in range(0, len(ids), _KEYS_PER_STATEMENT):
        part = ids[start : start + _KEYS_PER_STATEMENT]
        chunks = select(_CHUNKS.c.series_id, _CHUNKS.c.payload).where(_CHUNKS.c.series_id.in_(part))
        if max_step is not None:
            chunks = chunks.where(_CHUNKS.c.first_step <= max_step)
        if min_step is not None:
            chunks = chunks.where(_CHUNKS.c.last_step >= min_step)
        chunks = chunks.order_by(_CHUNKS.c.series_id, _CHUNKS.c.first_step, _CHUNKS.c.seq)
        tails = select(_TAIL.c.series_id, _TAIL.c.payload).where(_TAIL.c.series_id.in_(part))
        tails = tails.order_by(_TAIL.c.series_id, _TAIL.c.seq)
        for query in (chunks, tails):
            rows = session.execute(query).all()
            decoded = decode_points_many([payload for _, payload in rows])
            for (series_id, _), points in zip(rows, decoded, strict=True):
                parts[series_id].append(points)
    found = {}
    for row in series:
        steps, stamps, values = _joined(parts.get(row.id, []))
        if min_step is not None or max_step is not None:
            inside = np.ones(len(steps), dtype=bool)
            if min_step is not None:
                inside &= steps >= min_step
            if max_step is not None:
                inside &= steps <= max_step
            steps, stamps, values = steps[inside], stamps[inside], values[inside]
        found[row.id] = SeriesPoints(steps, stamps, values, downsampled=False, total=row.count)
    return found


def _joined(
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One series' chunks (in step order) and tail rows, as sorted points. Chunks follow
    each other and the tail follows them in the ordinary case: steps that strictly grow
    are sorted already, and the sort is skipped."""
    if not parts:
        return empty_points()
    if len(parts) == 1:
        steps, stamps, values = parts[0]
    else:
        steps, stamps, values = (np.concatenate(column) for column in zip(*parts, strict=True))
    if len(steps) > 1 and not bool(np.all(steps[1:] > steps[:-1])):
        return sort_points(steps, stamps, values)
    return steps, stamps, values


@dataclass(frozen=True)
class SeriesSummary:
    """What a listing says of one series: its key, point count and step range."""

    key: str
    count: int
    min_step: int | None
    max_step: int | None


def list_owned(
    session: Session,
    owner: Owner,
    kind: str,
    prefix: str | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[SeriesSummary]:
    """The series of an owner of one kind (those whose keys start with `prefix`)."""
    query = select(SqlSeries.key, SqlSeries.count, SqlSeries.min_step, SqlSeries.max_step)
    query = query.filter_by(**owner.identity(kind))
    if prefix:
        # Exact on both databases: LIKE is case-insensitive on SQLite and takes '_' as a
        # wildcard, and a key range would follow PostgreSQL's collation.
        query = query.where(func.substr(SqlSeries.key, 1, len(prefix)) == prefix)
    # In the order the series were first appended to (the same on every database).
    query = query.order_by(SqlSeries.id).offset(offset).limit(limit)
    return [SeriesSummary(*row) for row in session.execute(query)]


def _locked_totals(
    connection: Connection, owner: Owner, kind: str, keys: list[str]
) -> dict[str, Any]:
    found: dict[str, Any] = {}
    identity = (
        _SERIES.c.owner_kind == owner.kind,
        _SERIES.c.owner_id == owner.id,
        _SERIES.c.kind == kind,
    )
    for start in range(0, len(keys), _KEYS_PER_STATEMENT):
        part = keys[start : start + _KEYS_PER_STATEMENT]
        query = (
            select(*_TOTALS)
            .where(*identity, _SERIES.c.key.in_(part))
            .order_by(_SERIES.c.key)
            .with_for_update()
        )
        found.update((row.key, row) for row in connection.execute(query))
    return found
