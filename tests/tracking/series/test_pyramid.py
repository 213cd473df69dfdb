"""Pyramid math: bucket summaries merge exactly, thinning keeps extremes and NaN gaps, and
levels are chosen by the range and the points asked for."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studio.tracking.series.pyramid import (
    COUNT,
    FACTOR,
    FIRST_S,
    LAST_S,
    MAX_V,
    MIN_V,
    NAN_S,
    NANS,
    Buckets,
    base_level,
    bucket_keys,
    choose_level,
    levels,
    merge,
    points,
    summarize,
    thin,
    width,
)
from studio.tracking.series.source import sort_points

VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 1.0, -1.0, np.nan, np.inf, -np.inf]),
)


def _points(draw_steps: list[int], values: list[float]) -> tuple[np.ndarray, ...]:
    steps = np.array(draw_steps, dtype=np.int64)
    stamps = 1_000 + np.arange(len(steps), dtype=np.int64) % 7  # repeated (step, ts) pairs
    return sort_points(steps, stamps, np.array(values, dtype=np.float64))


def _same(a: Buckets, b: Buckets) -> None:
    assert a.ints.tolist() == b.ints.tolist()
    assert a.floats.view(np.uint64).tolist() == b.floats.view(np.uint64).tolist()


@settings(max_examples=150, deadline=None, database=None)
@given(
    data=st.data(),
    size=st.integers(1, 120),
    level=st.integers(1, 3),
    cut=st.floats(0, 1),
)
def test_merging_two_halves_is_summarizing_the_whole(
    data: st.DataObject, size: int, level: int, cut: float
) -> None:
    """The property the whole pyramid rests on: sealing points in any two batches (late
    points included) gives the buckets that summarizing them all at once gives."""
    raw_steps = data.draw(st.lists(st.integers(-5_000, 5_000), min_size=size, max_size=size))
    raw_values = data.draw(st.lists(VALUES, min_size=size, max_size=size))
    steps, stamps, values = _points(raw_steps, raw_values)
    whole = summarize(steps, stamps, values, bucket_keys(steps, level))
    # Split by arrival (a random subset), not by step: the halves overlap in steps.
    first = np.random.default_rng(size).random(size) < cut
    halves = []
    for part in (first, ~first):
        s, t, v = sort_points(steps[part], stamps[part], values[part])
        halves.append(summarize(s, t, v, bucket_keys(s, level)))
    combined = Buckets.concat(halves)
    merged = merge(combined, combined.index)
    # Ties (equal minima, equal first points) may pick another point of the same value and
    # position; the summaries' values, counts and steps must agree exactly.
    assert merged.index.tolist() == whole.index.tolist()
    assert merged.ints[COUNT].tolist() == whole.ints[COUNT].tolist()
    assert merged.ints[NANS].tolist() == whole.ints[NANS].tolist()
    for column in (FIRST_S, LAST_S, NAN_S):
        has = whole.ints[NANS] > 0 if column == NAN_S else np.ones(len(whole), bool)
        assert merged.ints[column][has].tolist() == whole.ints[column][has].tolist()
    for column in (MIN_V, MAX_V):
        assert merged.floats[column].view(np.uint64).tolist() == (
            whole.floats[column].view(np.uint64).tolist()
        )


def test_a_bucket_keeps_first_min_max_last_and_its_first_nan() -> None:
    steps = np.array([0, 1, 2, 3, 4, 5, 16, 17], dtype=np.int64)
    stamps = steps * 10
    values = np.array([3.0, np.nan, -np.inf, 7.0, np.nan, 2.0, np.nan, np.nan])
    b = summarize(steps, stamps, values, bucket_keys(steps, 1))
    assert b.index.tolist() == [0, 1]
    assert b.ints[COUNT].tolist() == [6, 2]
    assert b.ints[NANS].tolist() == [2, 2]
    assert b.ints[FIRST_S].tolist() == [0, 16]
    assert b.ints[LAST_S].tolist() == [5, 17]
    assert b.ints[NAN_S].tolist() == [1, 16]
    assert b.floats[MIN_V][0] == -np.inf  # an infinity is a value
    assert b.floats[MAX_V][0] == 7.0
    assert np.isnan(b.floats[MIN_V][1])  # a bucket of NaNs has no minimum
    got_steps, _, got_values = points(b)
    assert got_steps.tolist() == [0, 1, 2, 3, 5, 16, 17]
    assert np.isnan(got_values[[1, 5, 6]]).all()


@settings(max_examples=60, deadline=None, database=None)
@given(size=st.integers(200, 3_000), max_points=st.integers(5, 200), seed=st.integers(0, 99))
def test_thinning_keeps_the_bound_the_extremes_and_the_nan_gaps(
    size: int, max_points: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    steps = np.sort(rng.integers(0, 10 * size, size)).astype(np.int64)
    values = rng.normal(size=size)
    gaps = rng.choice(size, size // 100, replace=False)
    values[gaps] = np.nan
    buckets = summarize(steps, steps, values, bucket_keys(steps, 1))
    kept_steps, _, kept = points(thin(buckets, max_points))
    assert len(kept) <= max_points
    assert np.nanmin(kept) == np.nanmin(values)
    assert np.nanmax(kept) == np.nanmax(values)
    assert kept_steps[0] == steps[0]
    assert kept_steps[-1] == steps[-1]
    if len(gaps):
        assert np.isnan(kept).any()


@pytest.mark.parametrize(
    ("first", "last", "count", "expected"),
    [
        (0, 4_095, 4_096, 1),  # every step: 16 steps a bucket
        (0, 40_950, 4_096, 2),  # every 10 steps: 256-step buckets hold 25 points
        (0, 4_095_000, 4_096, 4),  # every 1,000 steps
        (7, 7, 4_096, 1),  # one step logged 4,096 times
    ],
)
def test_the_base_level_holds_at_least_factor_points_a_bucket(
    first: int, last: int, count: int, expected: int
) -> None:
    level = base_level(first, last, count)
    assert level == expected
    spacing = (last - first) / (count - 1)
    assert width(level) >= FACTOR * spacing
    assert level == 1 or width(level - 1) < FACTOR * spacing


def test_levels_stop_at_the_top() -> None:
    assert list(levels(1)) == list(range(1, 9))
    assert list(levels(12)) == [12, 13, 14, 15]


def test_bucket_keys_floor_negative_steps() -> None:
    steps = np.array([-17, -16, -1, 0, 15, 16], dtype=np.int64)
    assert bucket_keys(steps, 1).tolist() == [-2, -1, -1, 0, 0, 1]


def test_the_level_is_the_coarsest_with_enough_buckets() -> None:
    # 1,000,000 steps: level 3 (4,096 a bucket) cuts them into 245 buckets, level 2 into 3,907.
    assert choose_level(1, 0, 999_999, 250) == 2
    assert choose_level(1, 0, 999_999, 200) == 3
    assert choose_level(1, 0, 999_999, 10**9) == 1  # never finer than the base
    assert choose_level(1, 5_000, 6_000, 10) == 1
