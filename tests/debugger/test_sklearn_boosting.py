"""`studio.debugger.watch` on GradientBoosting, through `fit`'s monitor: each stage's losses,
scores and tree outputs, against scikit-learn's own staged predictions."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor
from sklearn.metrics import log_loss, mean_squared_error, r2_score

from tests.debugger.sklearn_support import Split, assert_stats, iris_split, recorded


@pytest.fixture(scope="module")
def iris() -> Split:
    return iris_split()


def test_gradient_boosting_records_each_stage_through_its_monitor() -> None:
    X, y = load_breast_cancer(return_X_y=True)
    X, y, X_valid, y_valid = X[:400], y[:400], X[400:], y[400:]
    estimator = GradientBoostingClassifier(
        n_estimators=50, max_depth=2, learning_rate=0.3, random_state=0
    )
    result, sink = recorded(
        estimator,
        X,
        y,
        epochs=5,
        validation_data=(X_valid, y_valid),
        probe_size=100,
    )
    assert estimator.n_estimators_ == 5
    train, evaluation = sink.mode("train"), sink.mode("eval")
    assert [r.step for r in train] == [1, 2, 3, 4, 5] == [r.step for r in evaluation]
    np.testing.assert_allclose(
        [r.stat("losses/loss", "mean") for r in train], estimator.train_score_
    )
    # GradientBoosting reports the binomial deviance: twice the log loss.
    staged = list(estimator.staged_predict_proba(X_valid))
    np.testing.assert_allclose(
        [r.stat("losses/loss", "mean") for r in evaluation],
        [2 * log_loss(y_valid, p) for p in staged],
    )
    np.testing.assert_allclose(
        [r.scalars["score"] for r in evaluation], [np.mean(p.argmax(1) == y_valid) for p in staged]
    )
    assert result.history["val_loss"] == [r.stat("losses/loss", "mean") for r in evaluation]
    update = train[2].stats[train[2].tensors.index("updates/stage")]
    assert update[0] == 100
    rows = train[2].vectors["labels"]["count"].sum()
    assert rows == 100
    assert not result.stopped


def test_gradient_boosting_regressor_stage_updates_are_the_learning_rate_times_the_tree() -> None:
    X, y = load_diabetes(return_X_y=True)
    estimator = GradientBoostingRegressor(
        n_estimators=3, max_depth=2, learning_rate=0.5, random_state=0
    )
    _, sink = recorded(
        estimator,
        X,
        y,
        validation_data=(X[:50], y[:50]),
        probe_size=len(X),
    )
    for stage, record in enumerate(sink.mode("train")):
        assert_stats(record, "updates/stage", 0.5 * estimator.estimators_[stage, 0].predict(X))
    assert_stats(sink.mode("train")[-1], "predictions", estimator.predict(X))
    valid = sink.mode("eval")[-1]
    assert valid.stat("losses/loss", "mean") == pytest.approx(
        mean_squared_error(y[:50], estimator.predict(X[:50]))
    )
    assert valid.scalars["score"] == pytest.approx(r2_score(y[:50], estimator.predict(X[:50])))


def test_a_warm_started_boosting_counts_its_earlier_stages(iris: Any) -> None:
    X, y, X_valid, y_valid = iris
    estimator = GradientBoostingClassifier(
        n_estimators=2, max_depth=1, warm_start=True, random_state=0
    )
    estimator.fit(X, y)
    _, sink = recorded(estimator, X, y, epochs=4, validation_data=(X_valid, y_valid))
    assert [r.step for r in sink.mode("eval")] == [3, 4]
    staged = list(estimator.staged_predict(X_valid))
    assert sink.mode("eval")[-1].scalars["score"] == pytest.approx(np.mean(staged[-1] == y_valid))
    assert sink.mode("eval")[0].scalars["score"] == pytest.approx(np.mean(staged[2] == y_valid))
