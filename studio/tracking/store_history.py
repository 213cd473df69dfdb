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
from studio.tracking.series.source import SeriesSource
from studio.tracking.series.store import Owner

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# A page reads a step range expected to hold this many times the points it needs, so that
# one read is almost always enough where steps are unevenly spread.
_PAGE_MARGIN = 2


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
    if series is None:
        return MetricHistory(key, [], [], [], 0, False)
    found = series_store.read(
        session,
        series,
        None if max_points is None else max(max_points, MIN_MAX_POINTS),
        min_step,
        max_step,
    )
    steps, stamps, values = found.steps, found.timestamps, found.values
    downsampled = found.downsampled
    if max_points is not None and len(steps) > max_points:
        # Fewer points than one bucket's first, min, max and last: thinned as before.
        keep = min_max_indices(values, max_points)
        steps, stamps, values, downsampled = steps[keep], stamps[keep], values[keep], True
    return MetricHistory(
        key, steps.tolist(), stamps.tolist(), values.tolist(), found.total, downsampled
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
