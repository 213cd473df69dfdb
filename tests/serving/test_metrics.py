"""Latency histograms: log-spaced fixed edges, mergeable, percentiles within a bucket."""

from __future__ import annotations

from bisect import bisect_right

import numpy as np
import pytest

from studio.serving.metrics import (
    BUCKETS,
    LATENCY_EDGES_MS,
    StatsAccumulator,
    merge_histograms,
    percentile,
)


def histogram_of(latencies: np.ndarray) -> list[int]:
    counts = [0] * BUCKETS
    for value in latencies:
        counts[bisect_right(LATENCY_EDGES_MS, float(value))] += 1
    return counts


def test_edges_are_log_spaced_from_50_microseconds_past_a_minute() -> None:
    edges = np.array(LATENCY_EDGES_MS)
    assert edges[0] == pytest.approx(0.05)
    assert edges[-1] >= 60_000
    ratios = edges[1:] / edges[:-1]
    assert np.allclose(ratios, 10**0.1, rtol=1e-4)


@pytest.mark.parametrize("quantile", [0.5, 0.95, 0.99])
def test_percentiles_from_a_histogram_are_within_a_bucket_of_numpy(quantile: float) -> None:
    rng = np.random.default_rng(7)
    latencies = rng.lognormal(mean=np.log(3.0), sigma=0.8, size=20_000)
    exact = float(np.percentile(latencies, quantile * 100))
    estimate = percentile(histogram_of(latencies), quantile)
    assert estimate is not None
    bucket = bisect_right(LATENCY_EDGES_MS, exact)
    width = LATENCY_EDGES_MS[bucket] - LATENCY_EDGES_MS[bucket - 1]
    assert abs(estimate - exact) <= width


def test_histograms_of_parts_merge_into_the_histogram_of_the_whole() -> None:
    rng = np.random.default_rng(3)
    latencies = rng.exponential(10.0, size=3_000)
    accumulators = [StatsAccumulator(), StatsAccumulator()]
    for index, value in enumerate(latencies):
        accumulators[index % 2].add(100 + index % 3, "A", False, float(value), True, 1)
    cells = [cell for accumulator in accumulators for cell in accumulator.drain()]
    assert len(cells) == 6
    merged = merge_histograms(cell.trimmed_histogram() for cell in cells)
    assert merged == histogram_of(latencies)
    assert sum(cell.invocations for cell in cells) == 3_000
    assert sum(cell.latency_sum_ms for cell in cells) == pytest.approx(latencies.sum())
    assert percentile(merged, 0.5) == pytest.approx(float(np.median(latencies)), rel=0.26)


def test_accumulator_counts_errors_rows_and_starts_again_after_a_drain() -> None:
    accumulator = StatsAccumulator()
    accumulator.add(5, "A", False, 1.0, True, 3)
    accumulator.add(5, "A", False, 2.0, False, 1)
    accumulator.add(5, "S", True, 70_000.0, True, 1)
    cells = {cell.variant: cell for cell in accumulator.drain()}
    assert (cells["A"].invocations, cells["A"].errors, cells["A"].rows) == (2, 1, 4)
    assert cells["S"].shadow
    assert cells["S"].trimmed_histogram()[-1] == 1  # past the last edge: the open bucket
    assert percentile(cells["S"].histogram, 0.99) == LATENCY_EDGES_MS[-1]
    assert accumulator.drain() == []
    assert percentile([0] * BUCKETS, 0.5) is None
