"""Metric points in the tracking store: NaN and the infinities kept, summaries, histories,
on SQLite and (with STUDIO_TEST_DB_URL) on PostgreSQL."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pytest

from studio.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from studio.tracking.entities import RunPage, RunRecord
    from studio.tracking.service import TrackingService
    from studio.tracking.store import TrackingStore

INF = math.inf
NAN = math.nan


def names(page: RunPage) -> list[str]:
    return [run.name for run in page.runs]


# Metrics ----------------------------------------------------------------------------------


def test_nan_and_infinities_are_kept_as_such(store: TrackingStore, run: RunRecord) -> None:
    store.log_batch(
        run.id,
        metrics=[
            ("loss", 1.0, 0, 10),
            ("loss", NAN, 1, 11),
            ("loss", INF, 2, 12),
            ("loss", -INF, 3, 13),
            ("loss", 0.5, 4, 14),
        ],
    )
    history = store.get_metric_history(run.id, "loss")
    assert history.steps == [0, 1, 2, 3, 4]
    assert history.timestamps == [10, 11, 12, 13, 14]
    assert history.values[0] == 1.0
    assert math.isnan(history.values[1])
    assert history.values[2] == INF
    assert history.values[3] == -INF
    assert history.values[4] == 0.5
    summary = store.get_run(run.id).metrics["loss"]
    assert (summary.last, summary.last_step, summary.last_timestamp) == (0.5, 4, 14)
    assert (summary.min, summary.max, summary.count) == (-INF, INF, 5)


def test_summary_of_a_metric_that_ends_in_nan(store: TrackingStore, run: RunRecord) -> None:
    store.log_batch(run.id, metrics=[("loss", 2.0, 0, 0), ("loss", 1.0, 1, 1)])
    store.log_batch(run.id, metrics=[("loss", NAN, 2, 2)])
    store.log_batch(run.id, metrics=[("only_nan", NAN, 0, 0)])
    metrics = store.get_run(run.id).metrics
    assert math.isnan(metrics["loss"].last)
    assert metrics["loss"].last_step == 2
    assert (metrics["loss"].min, metrics["loss"].max, metrics["loss"].count) == (1.0, 2.0, 3)
    # NaN is neither a minimum nor a maximum: a metric with only NaN has neither.
    only = metrics["only_nan"]
    assert math.isnan(only.last)
    assert math.isnan(only.min)
    assert math.isnan(only.max)
    assert only.count == 1
    # A number logged after NaN becomes min and max.
    store.log_batch(run.id, metrics=[("only_nan", 7.0, 1, 1)])
    only = store.get_run(run.id).metrics["only_nan"]
    assert (only.last, only.min, only.max, only.count) == (7.0, 7.0, 7.0, 2)


def test_infinite_last_values_filter_and_sort(store: TrackingStore, experiment_id: int) -> None:
    store.create_run(experiment_id, name="finite", metrics=[("loss", 3.0, 0, 0)])
    store.create_run(experiment_id, name="exploded", metrics=[("loss", INF, 0, 0)])
    store.create_run(experiment_id, name="collapsed", metrics=[("loss", -INF, 0, 0)])
    store.create_run(experiment_id, name="nan", metrics=[("loss", NAN, 0, 0)])
    assert names(store.search_runs(filter="metrics.loss > 1000")) == ["exploded"]
    assert names(store.search_runs(filter="metrics.loss < -1000")) == ["collapsed"]
    ordered = store.search_runs(order_by=["metrics.loss desc"])
    assert names(ordered) == ["exploded", "finite", "collapsed", "nan"]


def test_summary_across_batches_and_out_of_order_steps(
    store: TrackingStore, run: RunRecord
) -> None:
    def summary() -> tuple[float, int, int, float, float, int]:
        s = store.get_run(run.id).metrics["acc"]
        return (s.last, s.last_step, s.last_timestamp, s.min, s.max, s.count)

    # Out of order inside one batch: the highest step is the last value.
    store.log_batch(
        run.id, metrics=[("acc", 0.5, 0, 100), ("acc", 0.7, 2, 102), ("acc", 0.6, 1, 101)]
    )
    assert summary() == (0.7, 2, 102, 0.5, 0.7, 3)
    # An older step logged later changes min/max/count but not the last value.
    store.log_batch(run.id, metrics=[("acc", 0.2, 1, 150)])
    assert summary() == (0.7, 2, 102, 0.2, 0.7, 4)
    # A newer step wins even with an older timestamp.
    store.log_batch(run.id, metrics=[("acc", 0.9, 5, 90)])
    assert summary() == (0.9, 5, 90, 0.2, 0.9, 5)
    # The same step again: the later timestamp wins.
    store.log_batch(run.id, metrics=[("acc", 0.8, 5, 95)])
    assert summary() == (0.8, 5, 95, 0.2, 0.9, 6)
    store.log_batch(run.id, metrics=[("acc", 0.85, 5, 94)])
    assert summary() == (0.8, 5, 95, 0.2, 0.9, 7)


def test_write_metrics_spans_runs_and_keys(store: TrackingStore, experiment_id: int) -> None:
    first = store.create_run(experiment_id)
    second = store.create_run(experiment_id)
    rows = [(first.id, "loss", 1.0 / (step + 1), step, 1_000 + step) for step in range(50)]
    rows += [(second.id, "loss", float(step), step, 2_000 + step) for step in range(20)]
    rows += [(second.id, "acc", 0.5, 0, 3_000)]
    store.write_metrics(rows[:30])
    store.write_metrics(rows[30:])
    a, b = store.get_run(first.id).metrics, store.get_run(second.id).metrics
    assert (a["loss"].last, a["loss"].last_step, a["loss"].count) == (1.0 / 50, 49, 50)
    assert (a["loss"].min, a["loss"].max) == (1.0 / 50, 1.0)
    assert (b["loss"].last, b["loss"].min, b["loss"].max, b["loss"].count) == (19.0, 0.0, 19.0, 20)
    assert b["acc"].last == 0.5
    assert store.get_metric_history(first.id, "loss").total == 50


def test_write_metrics_for_an_unknown_run_stores_nothing(
    store: TrackingStore, run: RunRecord
) -> None:
    with pytest.raises(NotFound, match="ghost"):
        store.write_metrics([(run.id, "loss", 1.0, 0, 0), ("ghost", "loss", 1.0, 0, 0)])
    assert store.get_metric_history(run.id, "loss").total == 0
    assert store.get_run(run.id).metrics == {}


def test_history_is_in_step_order(store: TrackingStore, run: RunRecord) -> None:
    store.log_batch(run.id, metrics=[("loss", 3.0, 3, 30), ("loss", 1.0, 1, 10)])
    store.log_batch(run.id, metrics=[("loss", 2.5, 2, 26), ("loss", 2.0, 2, 20)])
    store.log_batch(run.id, metrics=[("loss", 0.0, 0, 50), ("other", 9.0, 0, 0)])
    history = store.get_metric_history(run.id, "loss")
    assert history.key == "loss"
    assert history.steps == [0, 1, 2, 2, 3]
    assert history.timestamps == [50, 10, 20, 26, 30]
    assert history.values == [0.0, 1.0, 2.0, 2.5, 3.0]
    assert (history.total, history.downsampled) == (5, False)


def test_history_of_an_unlogged_metric_is_empty(store: TrackingStore, run: RunRecord) -> None:
    history = store.get_metric_history(run.id, "never")
    assert (history.steps, history.values, history.total) == ([], [], 0)


def test_downsampled_history_keeps_spikes_ends_and_order(
    store: TrackingStore, run: RunRecord
) -> None:
    count = 5_000
    values = [math.sin(step / 50) for step in range(count)]
    values[3_333] = 100.0  # one spike
    values[1_234] = -100.0  # one dip
    store.log_batch(run.id, metrics=[("loss", v, step, 10 * step) for step, v in enumerate(values)])
    history = store.get_metric_history(run.id, "loss", max_points=200)
    assert history.downsampled is True
    assert history.total == count
    assert len(history.values) <= 200
    assert 100.0 in history.values
    assert -100.0 in history.values
    assert history.steps[0] == 0
    assert history.steps[-1] == count - 1
    assert history.steps == sorted(set(history.steps))
    assert history.timestamps == [10 * step for step in history.steps]
    assert history.values == [values[step] for step in history.steps]
    # Enough room for every point: nothing is dropped.
    full = store.get_metric_history(run.id, "loss", max_points=count)
    assert full.downsampled is False
    assert full.values == values


def test_bad_max_points(store: TrackingStore, service: TrackingService, run: RunRecord) -> None:
    with pytest.raises(InvalidInput, match="max_points"):
        store.get_metric_history(run.id, "loss", max_points=1)
    with pytest.raises(InvalidInput, match="max_points"):
        service.get_metric_history(run.id, "loss", max_points=10**9)


def test_write_metrics_of_interleaved_runs_and_keys(
    store: TrackingStore, experiment_id: int
) -> None:
    """One batch with two runs' keys interleaved point by point (as several threads log them):
    each series gets its own points, each summary its own last, min, max and count; at the
    same step and timestamp, the point logged last is the last value."""
    first, second = store.create_run(experiment_id), store.create_run(experiment_id)
    rows = []
    for step in range(40):
        rows += [
            (first.id, "loss", 100.0 - step, step, 1_000),
            (second.id, "loss", float(step), 39 - step, 2_000),
            (first.id, "acc", step / 40, step // 2, 3_000),  # every step twice, same stamp
        ]
    store.write_metrics(rows)
    a, b = store.get_run(first.id).metrics, store.get_run(second.id).metrics
    assert (a["loss"].last, a["loss"].last_step, a["loss"].min, a["loss"].count) == (
        61.0,
        39,
        61.0,
        40,
    )
    assert (b["loss"].last, b["loss"].last_step, b["loss"].max, b["loss"].count) == (
        0.0,
        39,
        39.0,
        40,
    )
    assert (a["acc"].last, a["acc"].last_step, a["acc"].count) == (39 / 40, 19, 40)
    history = store.get_metric_history(second.id, "loss")
    assert history.steps == list(range(40))
    assert history.values == [float(39 - step) for step in range(40)]
    assert store.get_metric_history(first.id, "acc").values == [s / 40 for s in range(40)]
