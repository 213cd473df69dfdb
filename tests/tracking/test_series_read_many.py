"""`RunSeries.read_many` of many series at once: whole, by step range or downsampled, as
lists or (`arrays=True`) as numpy arrays, always the points `read` gives series by series, on
SQLite and on PostgreSQL."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pytest

from studio.tracking.series.store import CHUNK_POINTS

if TYPE_CHECKING:
    from studio.tracking.entities import RunRecord
    from studio.tracking.service import TrackingService

KEYS = ("a/mean", "a/max", "b/l2")


@pytest.fixture
def stored(service: TrackingService, run: RunRecord) -> dict[str, np.ndarray]:
    """Series with sealed chunks, tails of many rows, a late point below the chunks, a
    repeated step and non-finite values; their values by key."""
    rng = np.random.default_rng(7)
    total = CHUNK_POINTS + 700
    values = {key: rng.normal(size=total) for key in KEYS}
    values["a/max"][5:8] = [math.nan, math.inf, -math.inf]
    for start in range(0, total, 600):
        steps = np.arange(start, min(start + 600, total)) * 10
        points = {key: (steps, steps + 1, values[key][steps // 10]) for key in KEYS}
        service.series.append(run.id, "tensor", points)
    late = np.array([15, total * 10 - 10])  # below the sealed chunks; a step repeated
    service.series.append(run.id, "tensor", {"b/l2": (late, late, np.array([1.5, 2.5]))})
    return values


@pytest.mark.parametrize(
    "steps", [{}, {"min_step": 5, "max_step": 4_000}, {"min_step": 41_000}, {"max_step": 30}]
)
def test_arrays_are_the_points_read_gives(
    service: TrackingService, run: RunRecord, stored: dict[str, np.ndarray], steps: dict[str, int]
) -> None:
    keys = [*KEYS, "never", "a/mean"]
    many = service.series.read_many(run.id, "tensor", keys, arrays=True, **steps)
    lists = service.series.read_many(run.id, "tensor", keys, **steps)
    assert list(many) == list(lists) == ["a/mean", "a/max", "b/l2", "never"]
    for key in many:
        one = service.series.read(run.id, "tensor", key, **steps)
        points = many[key]
        assert points.steps.dtype == points.timestamps.dtype == np.int64
        assert points.values.dtype == np.float64
        assert points.steps.tolist() == one.steps == lists[key].steps
        assert points.timestamps.tolist() == one.timestamps == lists[key].timestamps
        np.testing.assert_array_equal(points.values, one.values)
        np.testing.assert_array_equal(lists[key].values, one.values)
        assert (points.total, points.downsampled) == (one.total, one.downsampled)
    assert many["b/l2"].total == CHUNK_POINTS + 702
    assert len(many["never"].steps) == 0


def test_downsampled_arrays_keep_the_extremes(
    service: TrackingService, run: RunRecord, stored: dict[str, np.ndarray]
) -> None:
    many = service.series.read_many(run.id, "tensor", KEYS, 100, arrays=True)
    for key in KEYS:
        one = service.series.read(run.id, "tensor", key, 100)
        assert many[key].downsampled
        assert len(many[key].steps) <= 100
        assert many[key].steps.tolist() == one.steps
        np.testing.assert_array_equal(many[key].values, one.values)
    finite = stored["a/mean"]
    assert many["a/mean"].values.max() == finite.max()
    assert many["a/mean"].values.min() == finite.min()
