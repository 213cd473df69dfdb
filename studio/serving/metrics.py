"""Latency histograms with fixed bucket edges, and the per-second counters a worker keeps.

Percentiles cannot be averaged across seconds, workers or replicas, but histograms over the
same edges can be added: every worker counts each second's latencies into the buckets of
`LATENCY_EDGES_MS`, readers sum the counts of any window and take percentiles from the sum.
The edges are log-spaced, 10 per decade from 0.05 ms to about 63 s, so a percentile read from
them is off by at most one bucket's width (26% of the value; interpolation does better).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "BUCKETS",
    "LATENCY_EDGES_MS",
    "SecondCounts",
    "StatsAccumulator",
    "merge_histograms",
    "percentile",
]

_PER_DECADE = 10
_LOWEST_MS = 0.05
_HIGHEST_MS = 60_000.0


def _edges() -> tuple[float, ...]:
    decades = math.log10(_HIGHEST_MS / _LOWEST_MS)
    count = round(decades * _PER_DECADE)
    return tuple(
        float(f"{_LOWEST_MS * 10 ** (index / _PER_DECADE):.6g}") for index in range(count + 1)
    )


LATENCY_EDGES_MS: tuple[float, ...] = _edges()
"""Upper bounds of the latency buckets, ms. Bucket 0 counts latencies below the first edge,
bucket i those in [edges[i-1], edges[i]), the last one those at or above the last edge."""

BUCKETS = len(LATENCY_EDGES_MS) + 1


def bucket_of(latency_ms: float) -> int:
    return bisect_right(LATENCY_EDGES_MS, latency_ms)


def merge_histograms(histograms: Iterable[Sequence[int]]) -> list[int]:
    """The bucket-wise sum; stored histograms may omit their trailing empty buckets."""
    total = [0] * BUCKETS
    for histogram in histograms:
        for index, count in enumerate(histogram):
            total[index] += count
    return total


def percentile(histogram: Sequence[int], quantile: float) -> float | None:
    """The `quantile` (0 to 1) of the latencies counted, interpolated linearly within its
    bucket; None when nothing was counted. The open-ended top bucket reports its lower edge."""
    total = sum(histogram)
    if total == 0:
        return None
    rank = quantile * total
    seen = 0
    for index, count in enumerate(histogram):
        if count == 0:
            continue
        if seen + count >= rank:
            if index >= len(LATENCY_EDGES_MS):
                return LATENCY_EDGES_MS[-1]
            low = LATENCY_EDGES_MS[index - 1] if index > 0 else 0.0
            high = LATENCY_EDGES_MS[index]
            return low + (high - low) * max(0.0, rank - seen) / count
        seen += count
    return LATENCY_EDGES_MS[-1]


@dataclass
class SecondCounts:
    """What one variant did in one second on one worker."""

    second: int
    variant: str
    shadow: bool
    invocations: int = 0
    errors: int = 0
    rows: int = 0
    latency_sum_ms: float = 0.0
    histogram: list[int] = field(default_factory=lambda: [0] * BUCKETS)

    def trimmed_histogram(self) -> list[int]:
        """The histogram without its trailing empty buckets (most latencies are small)."""
        end = len(self.histogram)
        while end and self.histogram[end - 1] == 0:
            end -= 1
        return self.histogram[:end]


class StatsAccumulator:
    """Counters per (second, variant); not thread-safe: the Recorder holds its lock."""

    def __init__(self) -> None:
        self._cells: dict[tuple[int, str, bool], SecondCounts] = {}

    def add(
        self, second: int, variant: str, shadow: bool, latency_ms: float, ok: bool, rows: int
    ) -> None:
        key = (second, variant, shadow)
        cell = self._cells.get(key)
        if cell is None:
            cell = self._cells[key] = SecondCounts(second, variant, shadow)
        cell.invocations += 1
        if not ok:
            cell.errors += 1
        cell.rows += rows
        cell.latency_sum_ms += latency_ms
        cell.histogram[bisect_right(LATENCY_EDGES_MS, latency_ms)] += 1

    def drain(self) -> list[SecondCounts]:
        """Everything counted so far; the accumulator starts empty again."""
        cells, self._cells = self._cells, {}
        return list(cells.values())

    def __len__(self) -> int:
        return len(self._cells)
