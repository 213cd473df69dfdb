"""min_max_indices: the downsampling behind metric charts that must not hide a spike."""

from __future__ import annotations

import numpy as np
import pytest

from studio.tracking.downsample import min_max_indices

LENGTHS = [5, 7, 100, 101, 999, 1_000, 1_001, 4_096, 10_007]
BUDGETS = [2, 3, 4, 5, 6, 10, 11, 100, 999]


def series(length: int, seed: int) -> np.ndarray:
    """A noisy decaying curve, like a loss."""
    rng = np.random.default_rng(seed)
    steps = np.arange(length)
    return np.exp(-steps / max(length / 5, 1)) + rng.normal(0, 0.05, length)


@pytest.mark.parametrize("length", LENGTHS)
@pytest.mark.parametrize("max_points", BUDGETS)
def test_indices_fit_the_budget_in_order_and_keep_the_ends(length: int, max_points: int) -> None:
    values = series(length, seed=length * 31 + max_points)
    kept = min_max_indices(values, max_points)
    assert len(kept) <= max_points
    assert np.all(np.diff(kept) > 0), "indices must be unique and in the series' order"
    assert kept[0] == 0
    assert kept[-1] == length - 1
    if length <= max_points:
        assert kept.tolist() == list(range(length))


@pytest.mark.parametrize("length", LENGTHS)
@pytest.mark.parametrize("max_points", [b for b in BUDGETS if b >= 4])
def test_global_minimum_and_maximum_survive(length: int, max_points: int) -> None:
    values = series(length, seed=length + max_points)
    kept = values[min_max_indices(values, max_points)]
    assert kept.min() == values.min()
    assert kept.max() == values.max()


@pytest.mark.parametrize("max_points", [4, 10, 100, 500])
def test_a_single_spike_anywhere_survives(max_points: int) -> None:
    for position in (1, 2, 500, 2_345, 9_997, 9_998):
        values = series(10_000, seed=position)
        values[position] = 1e6
        kept = min_max_indices(values, max_points)
        assert position in kept
        values[position] = -1e6
        assert position in min_max_indices(values, max_points)


def test_every_bucket_keeps_its_extremes() -> None:
    """A sawtooth of 100 teeth drawn with 200 points still shows every tooth's top."""
    values = np.tile(np.linspace(0.0, 1.0, 100), 100)
    kept = values[min_max_indices(values, 202)]
    assert np.count_nonzero(kept == 1.0) >= 99
    assert np.count_nonzero(kept == 0.0) >= 99


def test_infinities_are_extremes() -> None:
    values = series(5_000, seed=1)
    values[1_000] = np.inf
    values[4_000] = -np.inf
    kept = min_max_indices(values, 50)
    assert 1_000 in kept
    assert 4_000 in kept


def test_a_run_of_nan_stays_visible() -> None:
    """A loss that turned NaN and stayed NaN: the chart must show the NaN stretch."""
    values = series(2_000, seed=2)
    values[1_500:] = np.nan
    kept = min_max_indices(values, 100)
    assert len(kept) <= 100
    assert np.isnan(values[kept]).any()
    assert np.any(kept >= 1_500)
    # Buckets before the NaN stretch keep their finite extremes.
    finite = values[:1_500]
    assert np.nanmax(values[kept]) == finite.max()
    assert np.nanmin(values[kept]) == finite.min()


def test_all_nan() -> None:
    values = np.full(1_000, np.nan)
    kept = min_max_indices(values, 20)
    assert 2 <= len(kept) <= 20
    assert kept[0] == 0
    assert kept[-1] == 999


def test_a_lone_nan_survives() -> None:
    values = series(1_000, seed=3)
    values[500] = np.nan
    assert 500 in min_max_indices(values, 100)


def test_short_series_are_untouched() -> None:
    values = np.array([3.0, np.nan, np.inf, -1.0])
    assert min_max_indices(values, 4).tolist() == [0, 1, 2, 3]
    assert min_max_indices(values, 1_000).tolist() == [0, 1, 2, 3]
    assert min_max_indices(np.array([]), 10).tolist() == []
    assert min_max_indices(np.array([7.0]), 2).tolist() == [0]


def test_integer_series() -> None:
    values = np.arange(1_000) % 17
    kept = values[min_max_indices(values, 40)]
    assert kept.min() == 0
    assert kept.max() == 16


@pytest.mark.parametrize("max_points", [0, -3])
def test_a_budget_below_one_is_refused(max_points: int) -> None:
    with pytest.raises(ValueError, match="max_points"):
        min_max_indices(np.arange(10.0), max_points)
