"""What keeps `watch` cheap: the SGD training loss on a fixed sample of rows, BLAS on one
thread for the tracer's products, and `every="auto"` counting every record's cost."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import SGDClassifier
from threadpoolctl import threadpool_info, threadpool_limits

from studio.debugger.sklearn_records import one_blas_thread
from studio.debugger.sklearn_watch import LOSS_ROWS, Interval
from tests.debugger.sklearn_support import recorded, replay, scaled


def test_sgd_training_loss_is_its_loss_on_a_fixed_sample_of_the_rows() -> None:
    X, y = load_breast_cancer(return_X_y=True)
    X = scaled(X)
    assert len(X) > LOSS_ROWS
    estimator = SGDClassifier(loss="log_loss", random_state=0)
    _, sink = recorded(clone(estimator), X, y, epochs=3, random_state=7)
    # Drawn once with watch's random_state, as the probe is.
    rows = np.sort(np.random.default_rng(7).choice(len(X), size=LOSS_ROWS, replace=False))
    for record, model in zip(sink.mode("train"), replay(estimator, X, y, 3, [0, 1]), strict=True):
        margins = (2 * y - 1) * model.decision_function(X)
        sampled = float(np.logaddexp(0, -margins[rows]).mean())
        assert record.stat("losses/loss", "mean") == pytest.approx(sampled)
        assert sampled != pytest.approx(float(np.logaddexp(0, -margins).mean()))


def blas_threads() -> list[int]:
    return [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]


def test_the_tracer_runs_on_one_blas_thread_and_gives_the_others_back() -> None:
    with threadpool_limits(limits=2, user_api="blas"):
        before = blas_threads()
        assert before
        assert max(before) == 2
        with one_blas_thread():
            assert set(blas_threads()) == {1}
        assert blas_threads() == before


def full_epochs(
    interval: Interval, steps: range, training: float, full: float, light: float
) -> list[int]:
    """The epochs of `steps` with a full record, each record costing `full` or `light`
    seconds beside an epoch's `training`."""
    due = []
    for step in steps:
        chosen = interval.due(step)
        due += [step] if chosen else []
        interval.measured(step, training, full if chosen else light, chosen)
    return due


def test_every_auto_counts_the_light_records_in_the_3_percent() -> None:
    # 1.2 ms beside 10 ms: every 4th epoch alone, until the losses' record of every epoch is
    # measured: its 0.13 ms leave 0.17 ms an epoch for the full record's extra 1.07 ms.
    interval = Interval("auto", total=40)
    assert full_epochs(interval, range(1, 25), 0.010, 0.0012, 0.00013) == [1, 2, 6, 13, 20]
    assert interval.every == 7
    # Light records that take the whole budget leave full records at the longest interval.
    costly = Interval("auto", total=1000)
    assert full_epochs(costly, range(1, 300), 0.010, 0.0012, 0.0004) == [1, 2, 6, 106, 206]
    # Records cheap enough for every epoch: the third epoch is still a light one, measured.
    cheap = Interval("auto", total=8)
    assert full_epochs(cheap, range(1, 9), 0.010, 0.0001, 0.00005) == [1, 2, 4, 5, 6, 7, 8]
