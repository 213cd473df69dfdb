"""Latency histograms: log-spaced fixed edges, mergeable, percentiles within a bucket."""

from __future__ import annotations

from bisect import bisect_right
from typing import TYPE_CHECKING

import numpy as np
import pytest
from sqlalchemy import insert

from studio.errors import InvalidInput
from studio.serving.metrics import (
    BUCKETS,
    LATENCY_EDGES_MS,
    StatsAccumulator,
    merge_histograms,
    percentile,
)
from studio.serving.orm import SqlEndpointStats
from studio.serving.store_stats import endpoint_metrics, prune_stats, stats_rows
from tests.serving.endpoint_rows import insert_endpoint

if TYPE_CHECKING:
    from studio.db.engine import Database


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


def test_the_store_sums_workers_and_seconds_into_steps_per_variant(database: Database) -> None:
    endpoint_id = insert_endpoint(database)
    rng = np.random.default_rng(1)
    latencies = {
        "A": rng.lognormal(np.log(2.0), 0.5, 900),
        "S": rng.lognormal(np.log(9.0), 0.3, 300),
    }
    rows = []
    for worker in ("w1", "w2"):
        accumulator = StatsAccumulator()
        for variant, values in latencies.items():
            for index, value in enumerate(values):
                second = 1_000 + index % 10  # seconds 1000..1009
                ok = index % 50 != 0 or worker == "w1"
                accumulator.add(second, variant, variant == "S", float(value), ok, 1)
        rows += stats_rows(endpoint_id, worker, accumulator.drain())
    with database.session(write=True) as session:
        session.execute(insert(SqlEndpointStats), rows)
    metrics = endpoint_metrics(database, endpoint_id, since_s=995, until_s=1_010, step_s=5)
    a = metrics["variants"]["A"]
    assert metrics["step"] == 5
    assert a["t"] == [995, 1_000, 1_005]
    assert a["requests"] == [0, 900, 900]
    assert a["rps"] == [0.0, 180.0, 180.0]
    assert a["errors"] == [0, 18, 0]  # every 50th answer of w2, all in second 1000
    assert a["p50"][0] is None
    assert not a["shadow"]
    assert metrics["variants"]["S"]["shadow"]
    totals = metrics["totals"]["A"]
    assert (totals["invocations"], totals["errors"]) == (1_800, 18)
    for key, q in (("p50", 50), ("p95", 95), ("p99", 99)):
        exact = float(np.percentile(latencies["A"], q))
        bucket = bisect_right(LATENCY_EDGES_MS, exact)
        width = LATENCY_EDGES_MS[bucket] - LATENCY_EDGES_MS[bucket - 1]
        assert abs(totals[key] - exact) <= width
    later = endpoint_metrics(database, endpoint_id, since_s=1_005, until_s=1_010, step_s=1)
    assert later["variants"]["A"]["requests"] == [180] * 5
    with pytest.raises(InvalidInput, match="points"):
        endpoint_metrics(database, endpoint_id, since_s=0, until_s=100_000, step_s=1)
    # 2 workers x 2 variants x seconds 1000..1004
    assert prune_stats(database, endpoint_id, older_than_s=1_005) == 20
    pruned = endpoint_metrics(database, endpoint_id, since_s=995, until_s=1_010, step_s=5)
    assert pruned["variants"]["A"]["requests"] == [0, 0, 900]
