"""Reading a metric's history: whole, downsampled, or a page at a time. Functions of the
store (they run inside its session, after it has checked the run), kept apart from the rest
of the store's methods because they read the driver's cursor directly.

Rows come straight from the driver (SQLAlchemy's Row objects would triple the time of a
100,000-point history), in the order of the covering index (run_id, key, step, timestamp,
value).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from studio.tracking.downsample import min_max_indices
from studio.tracking.entities import MetricHistory, float_or_nan
from studio.tracking.paging import decode_history_token, encode_history_token
from studio.tracking.store_rows import driver_fetchall

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# A downsampled history looks up at most this many kept steps' timestamps by value.
MAX_STEPS_LOOKED_UP = 1_000
_WHERE = "FROM metrics WHERE run_id = {p} AND key = {p}"


def read(
    session: Session, run_id: str, key: str, total: int, max_points: int | None
) -> MetricHistory:
    """Every point, or (past `max_points`) the points that downsampling keeps."""
    if total == 0:
        return MetricHistory(key, [], [], [], 0, False)
    if max_points is None or total <= max_points:
        rows = driver_fetchall(
            session,
            f"SELECT step, timestamp, value {_WHERE} ORDER BY step, timestamp",
            (run_id, key),
        )
        return MetricHistory(
            key,
            [row[0] for row in rows],
            [row[1] for row in rows],
            [float_or_nan(row[2]) for row in rows],
            len(rows),
            False,
        )
    # Downsampling needs every value but only the kept points' timestamps: reading two
    # columns, then the few timestamps, halves the time of a long history. Past
    # MAX_STEPS_LOOKED_UP kept points the one scan reads the timestamps too: a lookup binds a
    # parameter per step, and PostgreSQL binds at most 65,535.
    many = max_points > MAX_STEPS_LOOKED_UP
    rows = driver_fetchall(
        session,
        f"SELECT step, value{', timestamp' if many else ''} {_WHERE} ORDER BY step, timestamp",
        (run_id, key),
    )
    steps = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    values = np.array([row[1] for row in rows], dtype=np.float64)  # None: NaN
    keep = min_max_indices(values, max_points)
    stamps = (
        [rows[index][2] for index in keep.tolist()]
        if many
        else _kept_timestamps(session, (run_id, key), steps, keep)
    )
    return MetricHistory(key, steps[keep].tolist(), stamps, values[keep].tolist(), len(rows), True)


def page(
    session: Session,
    run_id: str,
    key: str,
    total: int,
    max_results: int,
    page_token: str | None,
) -> MetricHistory:
    """One page of at most `max_results` points, from where `page_token` says.

    Keyset pages in the covering index's order (step, timestamp, value): a page costs the same
    wherever it starts, and points appended meanwhile land on later pages.
    """
    cursor = decode_history_token(page_token)
    sql = f"SELECT step, timestamp, value {_WHERE}"
    params: tuple[Any, ...] = (run_id, key)
    skip = 0
    if cursor is not None:
        step, stamp, skip = cursor
        sql += " AND (step > {p} OR (step = {p} AND timestamp >= {p}))"
        params += (step, step, stamp)
    sql += " ORDER BY step, timestamp, value LIMIT {p} OFFSET {p}"
    params += (max_results + 1, skip)
    rows = driver_fetchall(session, sql, params) if total else []
    found, more = rows[:max_results], len(rows) > max_results
    token = None
    if more:
        last = (found[-1][0], found[-1][1])
        same = sum(1 for row in found if (row[0], row[1]) == last)
        # A page inside one (step, timestamp) group continues the previous page's count.
        if cursor is not None and same == len(found) and last == cursor[:2]:
            same += skip
        token = encode_history_token(last[0], last[1], same)
    return MetricHistory(
        key,
        [row[0] for row in found],
        [row[1] for row in found],
        [float_or_nan(row[2]) for row in found],
        total,
        False,
        token,
    )


def _kept_timestamps(
    session: Session, params: tuple[str, str], steps: np.ndarray, keep: np.ndarray
) -> list[int]:
    """The kept points' timestamps, looked up by step (at most MAX_STEPS_LOOKED_UP steps)."""
    kept_steps = steps[keep]
    unique = np.unique(kept_steps).tolist()
    placeholders = ", ".join(["{p}"] * len(unique))
    stamps_of: dict[int, list[int]] = {}
    for step, stamp in driver_fetchall(
        session,
        f"SELECT step, timestamp {_WHERE} AND step IN ({placeholders}) ORDER BY step, timestamp",
        (*params, *unique),
    ):
        stamps_of.setdefault(step, []).append(stamp)
    # A step logged several times: the n-th row of that step has its n-th timestamp.
    occurrence = keep - np.searchsorted(steps, kept_steps, side="left")
    return [
        stamps_of[step][n] for step, n in zip(kept_steps.tolist(), occurrence.tolist(), strict=True)
    ]
