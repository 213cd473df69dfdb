"""The endpoint panel's charts: per-second counters summed into steps, per variant.

Every worker of every replica writes its own row per variant and second (`endpoint_stats`);
a chart's point sums those of its step, and its percentiles come from the sum of their
latency histograms (studio.serving.metrics), which is exact to a bucket whatever the number of
workers. Counters add up in SQL; histograms, stored as JSON lists, add up here.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from studio.errors import InvalidInput
from studio.serving.metrics import BUCKETS, SecondCounts, percentile
from studio.serving.orm import SqlEndpointStats

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from studio.db.engine import Database

__all__ = ["KEEP_STATS_S", "MAX_POINTS", "endpoint_metrics", "prune_stats", "stats_rows"]

MAX_POINTS = 10_000
"""Points per variant a query may ask for (window / step)."""

KEEP_STATS_S = 30 * 24 * 3600
"""How long per-second counters are kept (a busy endpoint writes a few rows a second)."""

QUANTILES = {"p50": 0.5, "p95": 0.95, "p99": 0.99}

_S = SqlEndpointStats


def stats_rows(
    endpoint_id: int, worker: str, cells: Iterable[SecondCounts]
) -> list[dict[str, Any]]:
    """One worker's counters as rows of `endpoint_stats`, one per variant and second."""
    return [
        {
            "endpoint_id": endpoint_id,
            "variant": cell.variant,
            "shadow": cell.shadow,
            "second": cell.second,
            "worker": worker,
            "invocations": cell.invocations,
            "errors": cell.errors,
            "rows": cell.rows,
            "latency_sum_ms": cell.latency_sum_ms,
            "latency_hist": cell.trimmed_histogram(),
        }
        for cell in cells
    ]


def _add(histogram: list[int], counts: Sequence[int]) -> None:
    for index, count in enumerate(counts[:BUCKETS]):
        histogram[index] += count


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def endpoint_metrics(
    database: Database,
    endpoint_id: int,
    *,
    since_s: int,
    until_s: int | None = None,
    step_s: int = 1,
) -> dict[str, Any]:
    """Requests, requests per second, errors and latency percentiles of each variant in
    `step_s`-second steps from `since_s` (aligned there) up to `until_s` (default now), and
    the window's totals. Steps with no request have zero counts and no percentiles."""
    until = int(time.time()) + 1 if until_s is None else until_s
    if step_s < 1:
        raise InvalidInput("The step is at least one second.")
    if until <= since_s:
        raise InvalidInput("The window must end after it starts.")
    points = -(-(until - since_s) // step_s)
    if points > MAX_POINTS:
        raise InvalidInput(
            f"{points:,} points per variant asked for, at most {MAX_POINTS:,}: "
            "use a larger step or a shorter window."
        )
    with database.session() as session:
        rows = session.execute(
            select(_S.variant, _S.shadow, _S.second, _S.invocations, _S.errors, _S.latency_hist)
            .where(_S.endpoint_id == endpoint_id, _S.second >= since_s, _S.second < until)
            .order_by(_S.variant)
        ).all()
    series: dict[str, dict[str, Any]] = {}
    for variant, shadow, second, invocations, errors, histogram in rows:
        found = series.get(variant)
        if found is None:
            found = series[variant] = {
                "shadow": bool(shadow),
                "requests": [0] * points,
                "errors": [0] * points,
                "histograms": [[0] * BUCKETS for _ in range(points)],
            }
        step = (second - since_s) // step_s
        found["requests"][step] += invocations
        found["errors"][step] += errors
        _add(found["histograms"][step], histogram or [])
    stamps = [since_s + index * step_s for index in range(points)]
    variants: dict[str, Any] = {}
    totals: dict[str, Any] = {}
    for name, found in series.items():
        histograms = found.pop("histograms")
        whole = [0] * BUCKETS
        for histogram in histograms:
            _add(whole, histogram)
        variants[name] = {
            "shadow": found["shadow"],
            "t": stamps,
            "requests": found["requests"],
            "rps": [round(count / step_s, 3) for count in found["requests"]],
            "errors": found["errors"],
            **{
                key: [_round(percentile(histogram, q)) for histogram in histograms]
                for key, q in QUANTILES.items()
            },
        }
        totals[name] = {
            "invocations": sum(found["requests"]),
            "errors": sum(found["errors"]),
            **{key: _round(percentile(whole, q)) for key, q in QUANTILES.items()},
        }
    return {"step": step_s, "variants": variants, "totals": totals}


def prune_stats(database: Database, endpoint_id: int, older_than_s: int) -> int:
    """Delete the endpoint's counters of seconds before `older_than_s`; how many rows."""
    with database.session(write=True) as session:
        result = session.execute(
            delete(_S).where(_S.endpoint_id == endpoint_id, _S.second < older_than_s)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
