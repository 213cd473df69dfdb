"""Reading a metric's history: whole, downsampled, by step range, or a page at a time.
Functions of the store (they run inside its session, after it has checked the run).

A metric is the series (run, "metric", key) of the series store: every read touches only
the chunks and pyramid buckets of what it returns, whatever the series' length.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from studio.tracking.downsample import min_max_indices
from studio.tracking.entities import MetricHistory
from studio.tracking.paging import decode_history_token, encode_history_token
from studio.tracking.series import many as series_many
from studio.tracking.series import store as series_store
from studio.tracking.series.pyramid import MIN_MAX_POINTS
from studio.tracking.series.source import SeriesSource, empty_points
from studio.tracking.series.store import Owner, SeriesPoints

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.orm import Session

    from studio.tracking.series.orm import SqlSeries

# A page reads a step range expected to hold this many times the points it needs, so that
# one read is almost always enough where steps are unevenly spread.
_PAGE_MARGIN = 2
_EMPTY_READ = SeriesPoints(*empty_points(), downsampled=False, total=0)


def read(
    session: Session,
    run_id: str,
    key: str,
    max_points: int | None,
    min_step: int | None = None,
    max_step: int | None = None,
    kind: str = series_store.METRIC,
) -> MetricHistory:
    """Every point with a step in [min_step, max_step], or at most `max_points` of them
    that keep every bucket's extremes (`series.store.read`); `kind`: of the run's series."""
    series = series_many.find(session, Owner.run(run_id), kind, key)
    return history(key, read_points(session, series, max_points, min_step, max_step))


def read_many(
    session: Session,
    run_id: str,
    keys: Sequence[str],
    max_points: int | None,
    min_step: int | None = None,
    max_step: int | None = None,
    kind: str = series_store.METRIC,
) -> dict[str, SeriesPoints]:
    """`read` of several series of one run, as numpy arrays, by key (in the order of `keys`):
    the series found in a statement per thousand keys, and read whole or by step range in a
    few more (`series.many.read_many`); downsampled a series at a time."""
    found = series_many.find_many(session, Owner.run(run_id), kind, keys)
    if max_points is None:
        whole = series_many.read_many(session, list(found.values()), min_step, max_step)
        return {key: whole[found[key].id] if key in found else _EMPTY_READ for key in keys}
    return {
        key: read_points(session, found.get(key), max_points, min_step, max_step) for key in keys
    }


def read_points(
    session: Session,
    series: SqlSeries | None,
    max_points: int | None,
    min_step: int | None = None,
    max_step: int | None = None,
) -> SeriesPoints:
    """`read` of a series found by its identity (None: never appended to), as arrays."""
    if series is None:
        return _EMPTY_READ
    found = series_store.read(
        session,
        series,
        None if max_points is None else max(max_points, MIN_MAX_POINTS),
        min_step,
        max_step,
    )
    if max_points is not None and len(found.steps) > max_points:
        # Fewer points than one bucket's first, min, max and last: thinned as before.
        keep = min_max_indices(found.values, max_points)
        steps, stamps, values = found.steps[keep], found.timestamps[keep], found.values[keep]
        return SeriesPoints(steps, stamps, values, downsampled=True, total=found.total)
    return found


def history(key: str, points: SeriesPoints) -> MetricHistory:
    """A read's arrays as the lists of a MetricHistory."""
    return MetricHistory(
        key,
        points.steps.tolist(),
        points.timestamps.tolist(),
        points.values.tolist(),
        points.total,
        points.downsampled,
    )


def page(
    session: Session,
    run_id: str,
    key: str,
    max_results: int,
    page_token: str | None,
    min_step: int | None = None,
    max_step: int | None = None,
    kind: str = series_store.METRIC,
) -> MetricHistory:
    """One page of at most `max_results` points, from where `page_token` says.

    Keyset pages in the series' order (step, timestamp, value): the token names the last
    (step, timestamp) returned and how many points of it were, so a page costs the same
    wherever it starts, and points appended meanwhile land on later pages.
    """
    cursor = decode_history_token(page_token)
    series = series_many.find(session, Owner.run(run_id), kind, key)
    if series is None or series.min_step is None or series.max_step is None:
        return MetricHistory(key, [], [], [], 0, False)
    lo = series.min_step if min_step is None else max(min_step, series.min_step)
    hi = series.max_step if max_step is None else min(max_step, series.max_step)
    skip = 0
    if cursor is not None:
        lo, skip = max(lo, cursor[0]), cursor[2]
    if lo > hi:
        return MetricHistory(key, [], [], [], series.count, False)
    steps, stamps, values = _page_points(
        SeriesSource(session, series), lo, hi, cursor, skip, max_results
    )
    found, more = min(len(steps), max_results), len(steps) > max_results
    steps, stamps, values = steps[:found], stamps[:found], values[:found]
    token = None
    if more:
        last = (int(steps[-1]), int(stamps[-1]))
        same = int(np.count_nonzero((steps == last[0]) & (stamps == last[1])))
        # A page inside one (step, timestamp) group continues the previous page's count.
        if cursor is not None and same == found and last == cursor[:2]:
            same += skip
        token = encode_history_token(last[0], last[1], same)
    return MetricHistory(
        key, steps.tolist(), stamps.tolist(), values.tolist(), series.count, False, token
    )


def _page_points(
    source: SeriesSource,
    lo: int,
    hi: int,
    cursor: tuple[int, int, int] | None,
    skip: int,
    max_results: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The next `max_results + 1` points at or after the cursor in [lo, hi] (fewer at the
    end), read over a step range that grows until it holds them."""
    needed = skip + max_results + 1
    density = source.count / max(1, source.max_step - source.min_step + 1)
    span = max(1, int(needed * _PAGE_MARGIN / max(density, 1e-12)))
    while True:
        end = hi if span > hi - lo else lo + span
        steps, stamps, values = source.points(lo, end)
        if cursor is not None:
            after = (steps > cursor[0]) | ((steps == cursor[0]) & (stamps >= cursor[1]))
            steps, stamps, values = steps[after], stamps[after], values[after]
        if len(steps) >= needed or end == hi:
            return steps[skip:needed], stamps[skip:needed], values[skip:needed]
        span *= 4
