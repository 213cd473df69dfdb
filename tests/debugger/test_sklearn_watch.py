"""`studio.debugger.watch` on scikit-learn estimators: what it records, against brute force.

Each test trains a small model on a small dataset that ships with scikit-learn, and checks
the records that reached the session's sink against the same figures computed another way:
the estimator retrained epoch by epoch with plain `partial_fit` calls, scikit-learn's own
metrics, a forward pass written out here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import SGDClassifier, SGDOneClassSVM
from sklearn.metrics import log_loss, mean_squared_error, r2_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.tree import DecisionTreeClassifier

import studio
from studio.debugger import watch
from studio.debugger.sklearn_watch import Interval
from studio.debugger.stats import Bins, numpy_histograms
from tests.debugger.sklearn_support import (
    FloatArray,
    MemorySink,
    Split,
    StopAtStep,
    assert_stats,
    iris_split,
    recorded,
    replay,
    scaled,
)
from tests.tracking.logging_store import tracking_store

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(scope="module")
def iris() -> Split:
    return iris_split()


def test_mlp_classifier_records_weights_updates_losses_and_activations_of_the_probe(
    iris: Any,
) -> None:
    X, y, X_valid, y_valid = iris
    estimator = MLPClassifier(hidden_layer_sizes=(12, 6), random_state=0, learning_rate_init=0.01)
    result, sink = recorded(
        clone(estimator),
        X,
        y,
        epochs=4,
        validation_data=(X_valid, y_valid),
    )
    expected = replay(estimator, X, y, 4, classes=[0, 1, 2])

    train, evaluation = sink.mode("train"), sink.mode("eval")
    assert [r.step for r in train] == [1, 2, 3, 4] == [r.step for r in evaluation]
    assert result.epochs == 4
    assert not result.stopped
    assert sink.closed
    assert result.history["step"] == [1, 2, 3, 4]
    for step, (record, model) in enumerate(zip(train, expected, strict=True), start=1):
        for index, layer in enumerate(("hidden.0", "hidden.1", "output")):
            assert_stats(record, f"weights/{layer}.coef", model.coefs_[index])
            assert_stats(record, f"biases/{layer}.intercept", model.intercepts_[index])
            if step > 1:
                before = expected[step - 2]
                assert_stats(
                    record, f"updates/{layer}.coef", model.coefs_[index] - before.coefs_[index]
                )
        assert ("updates/output.coef" in record) == (step > 1)
        assert record.stat("losses/loss", "mean") == pytest.approx(model.loss_)
        assert result.history["loss"][step - 1] == pytest.approx(model.loss_)

        # The probe is every row here (fewer than probe_size): a forward pass written out.
        hidden0 = np.maximum(X @ model.coefs_[0] + model.intercepts_[0], 0)
        hidden1 = np.maximum(hidden0 @ model.coefs_[1] + model.intercepts_[1], 0)
        assert_stats(record, "activations/hidden.0", hidden0)
        assert_stats(record, "activations/hidden.1", hidden1)
        np.testing.assert_allclose(
            record.vectors["activations/hidden.1"]["active"], (hidden1 > 0).mean(axis=0)
        )
        assert "saturated" not in record.vectors["activations/hidden.0"]

        predicted = model.predict(X)
        np.testing.assert_array_equal(
            record.vectors["labels"]["count"], np.bincount(y, minlength=3)
        )
        np.testing.assert_array_equal(
            record.vectors["predictions"]["count"], np.bincount(predicted, minlength=3)
        )
        np.testing.assert_array_equal(
            record.vectors["predictions"]["correct"], np.bincount(y[predicted == y], minlength=3)
        )

        valid = evaluation[step - 1]
        assert valid.tensors == ("losses/loss",)
        assert valid.stat("losses/loss", "mean") == pytest.approx(
            log_loss(y_valid, model.predict_proba(X_valid))
        )
        assert valid.scalars["score"] == pytest.approx(model.score(X_valid, y_valid))
        assert result.history["val_score"][step - 1] == valid.scalars["score"]
    np.testing.assert_allclose(result.estimator.coefs_[0], expected[-1].coefs_[0])
    assert result.findings == []
    assert sink.findings == []


def sgd_log_loss(model: Any, X: FloatArray, y: npt.NDArray[np.int64]) -> float:
    return float(np.logaddexp(0, -(2 * y - 1) * model.decision_function(X)).mean())


def test_sgd_classifier_loss_is_its_own_loss_on_the_training_and_the_validation_data() -> None:
    X, y = load_breast_cancer(return_X_y=True)
    X = scaled(X)
    X, y, X_valid, y_valid = X[:400], y[:400], X[400:], y[400:]
    estimator = SGDClassifier(loss="log_loss", random_state=0)
    result, sink = recorded(
        clone(estimator),
        X,
        y,
        epochs=3,
        validation_data=(X_valid, y_valid),
        probe_size=50,
    )
    expected = replay(estimator, X, y, 3, classes=[0, 1])
    for record, valid, model in zip(sink.mode("train"), sink.mode("eval"), expected, strict=True):
        assert_stats(record, "weights/linear.coef", model.coef_)
        assert_stats(record, "biases/linear.intercept", model.intercept_)
        # SGD's log loss, unbounded (sklearn.metrics.log_loss clips probabilities).
        assert record.stat("losses/loss", "mean") == pytest.approx(sgd_log_loss(model, X, y))
        assert valid.stat("losses/loss", "mean") == pytest.approx(
            sgd_log_loss(model, X_valid, y_valid)
        )
        assert valid.scalars["score"] == pytest.approx(model.score(X_valid, y_valid))
        # The probe: 50 of the 400 rows, the same at every epoch.
        assert record.vectors["labels"]["count"].sum() == 50
        assert record.stat("labels", "count") == 50
    assert_stats(sink.records[2], "updates/linear.coef", expected[1].coef_ - expected[0].coef_)
    assert (
        sink.mode("train")[0].vectors["labels"]["count"].tolist()
        == sink.mode("train")[2].vectors["labels"]["count"].tolist()
    )
    assert result.history["loss"] == [r.stat("losses/loss", "mean") for r in sink.mode("train")]


def test_mlp_regressor_validation_loss_is_half_the_mean_squared_error() -> None:
    X, y = load_diabetes(return_X_y=True)
    X, y = scaled(X), (y - y.mean()) / y.std()
    X, y, X_valid, y_valid = X[:300], y[:300], X[300:], y[300:]
    estimator = MLPRegressor(hidden_layer_sizes=(8,), activation="tanh", random_state=0)
    _, sink = recorded(
        estimator,
        X,
        y,
        epochs=2,
        validation_data=(X_valid, y_valid),
        probe_size=len(X),
    )
    valid = sink.mode("eval")[-1]
    predicted = estimator.predict(X_valid)
    assert valid.stat("losses/loss", "mean") == pytest.approx(
        mean_squared_error(y_valid, predicted) / 2
    )
    assert valid.scalars["score"] == pytest.approx(r2_score(y_valid, predicted))
    train = sink.mode("train")[-1]
    assert_stats(train, "labels", y)
    assert_stats(train, "predictions", estimator.predict(X))
    hidden = np.tanh(X @ estimator.coefs_[0] + estimator.intercepts_[0])
    np.testing.assert_allclose(
        train.vectors["activations/hidden.0"]["saturated"], (np.abs(hidden) > 0.97).mean(axis=0)
    )
    assert "labels" not in train.vectors
    assert "active" not in train.vectors["activations/hidden.0"]  # ReLU units' alone


def test_logistic_units_saturate_below_3_and_above_97_percent(iris: Any) -> None:
    X, y, _, _ = iris
    estimator = MLPClassifier(hidden_layer_sizes=(10,), activation="logistic", random_state=0)
    _, sink = recorded(estimator, X * 20, y, epochs=1)
    hidden = 1 / (1 + np.exp(-(X * 20 @ estimator.coefs_[0] + estimator.intercepts_[0])))
    saturated = sink.records[0].vectors["activations/hidden.0"]["saturated"]
    np.testing.assert_allclose(saturated, ((hidden < 0.03) | (hidden > 0.97)).mean(axis=0))
    assert 0 < saturated.mean() < 1


def epochs_trained(estimator: Any, rows: int) -> int:
    """How many epochs (stages) the estimator's own counters say it was trained for."""
    if isinstance(estimator, MLPClassifier):
        return len(estimator.loss_curve_)
    if isinstance(estimator, SGDClassifier):
        return int((estimator.t_ - 1) // rows)
    return int(estimator.n_estimators_)


@pytest.mark.parametrize(
    "estimator",
    [
        MLPClassifier(hidden_layer_sizes=(4,), random_state=0),
        SGDClassifier(random_state=0),
        GradientBoostingClassifier(n_estimators=20, max_depth=1, random_state=0),
    ],
    ids=["mlp", "sgd", "boosting"],
)
def test_a_stop_rule_ends_the_training_after_the_epoch_it_fired_on(
    estimator: Any, iris: Any
) -> None:
    X, y, _, _ = iris
    result = watch(estimator, X, y, epochs=20, rules=[StopAtStep(3, actions="stop")])
    assert result.stopped
    assert result.epochs == 3
    assert [f.step for f in result.findings] == [3]
    assert result.history["step"] == [1, 2, 3]
    assert epochs_trained(estimator, len(X)) == 3


def test_a_rule_without_the_stop_action_lets_the_training_run(iris: Any) -> None:
    X, y, _, _ = iris
    result = watch(SGDClassifier(random_state=0), X, y, epochs=5, rules=[StopAtStep(3)])
    assert not result.stopped
    assert result.epochs == 5
    assert [f.step for f in result.findings] == [3, 4, 5]


def test_watch_refuses_what_it_cannot_train_and_labels_it_never_saw(iris: Any) -> None:
    X, y, X_valid, y_valid = iris
    with pytest.raises(TypeError, match="DecisionTreeClassifier"):
        watch(DecisionTreeClassifier(), X, y, epochs=1)
    with pytest.raises(TypeError, match="SGDOneClassSVM"):
        watch(SGDOneClassSVM(), X, y, epochs=1)
    with pytest.raises(ValueError, match="single-label"):
        watch(MLPClassifier(), X, np.column_stack([y, y]), epochs=1)
    with pytest.raises(ValueError, match=r"\[7\]"):
        watch(SGDClassifier(), X, y, epochs=1, validation_data=(X_valid, np.full_like(y_valid, 7)))


def test_every_n_epochs_records_every_tensor_and_the_losses_at_each_epoch(iris: Any) -> None:
    X, y, X_valid, y_valid = iris
    estimator = MLPClassifier(hidden_layer_sizes=(5,), random_state=0)
    _, sink = recorded(
        clone(estimator),
        X,
        y,
        epochs=7,
        validation_data=(X_valid, y_valid),
        every=3,
    )
    expected = replay(estimator, X, y, 7, classes=[0, 1, 2])
    train = sink.mode("train")
    assert [r.step for r in train] == list(range(1, 8)) == [r.step for r in sink.mode("eval")]
    full = [r.step for r in train if "weights/hidden.0.coef" in r]
    assert full == [1, 3, 6, 7]
    assert [r.step for r in train if "updates/hidden.0.coef" in r] == [3, 6, 7]
    assert [r.step for r in train if "activations/hidden.0" in r] == [1, 3, 6, 7]
    # An update is still one epoch's: after epoch 6 minus after epoch 5.
    assert_stats(train[5], "updates/output.coef", expected[5].coefs_[1] - expected[4].coefs_[1])
    assert train[4].tensors == ("losses/loss",)
    assert train[4].stat("losses/loss", "mean") == pytest.approx(expected[4].loss_)


def full_epochs(interval: Interval, steps: range, training: float, recording: float) -> list[int]:
    """The epochs of `steps` that get a full record, as watch's loop asks, each costing
    `recording` seconds beside an epoch's `training`."""
    due = []
    for step in steps:
        if interval.due(step):
            due.append(step)
            interval.measured(step, training, recording)
    return due


def test_every_auto_spaces_the_full_records_to_keep_their_cost_under_3_percent() -> None:
    interval = Interval("auto", total=40)
    # 1.2 ms beside 10 ms is 12%: every 4th epoch keeps it at 3%.
    assert full_epochs(interval, range(1, 20), training=0.010, recording=0.0012) == [
        1,
        2,
        6,
        10,
        14,
        18,
    ]
    assert interval.every == 4
    # A busy moment costs more: the least measured counts.
    assert full_epochs(interval, range(20, 23), training=0.010, recording=0.5) == [22]
    assert interval.every == 4
    assert full_epochs(interval, range(23, 41), training=0.010, recording=0.0006) == [
        26,
        28,
        30,
        32,
        34,
        36,
        38,
        40,
    ]
    assert interval.every == 2
    slow = Interval("auto", total=1000)
    assert full_epochs(slow, range(1, 300), training=0.001, recording=1.0) == [1, 2, 102, 202]
    fixed = Interval(5, total=12)
    assert full_epochs(fixed, range(1, 13), training=0.010, recording=1.0) == [1, 5, 10, 12]
    with pytest.raises(ValueError, match="every"):
        Interval(0, total=3)


def test_watch_uses_the_active_run_unless_told_not_to(
    iris: Any, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    X, y, _, _ = iris
    assert watch(SGDClassifier(), X, y, epochs=1, sink=MemorySink()).session.run is None
    with (
        tracking_store(database_url, tmp_path / "home", monkeypatch) as uri,
        studio.start_run(experiment="sklearn", tracking_uri=uri) as run,
    ):
        assert watch(SGDClassifier(), X, y, epochs=1, sink=MemorySink()).session.run is run
        alone = watch(SGDClassifier(), X, y, epochs=1, sink=MemorySink(), run=False)
        assert alone.session.run is None


def test_histograms_of_weights_updates_and_activations_in_fixed_bins(iris: Any) -> None:
    X, y, _, _ = iris
    bins = Bins(-2.0, 2.0, 8)
    estimator = MLPClassifier(hidden_layer_sizes=(5,), random_state=0)
    _, sink = recorded(estimator, X, y, epochs=2, histograms=bins)
    last = sink.records[-1]
    assert sorted(last.histograms) == sorted(
        name
        for name in last.tensors
        if name.split("/")[0] in ("weights", "biases", "updates", "activations")
    )
    edges, counts = last.histograms["weights/hidden.0.coef"]
    np.testing.assert_array_equal(edges, bins.edges)
    np.testing.assert_array_equal(counts, numpy_histograms([estimator.coefs_[0]], bins)[0])
    hidden = np.maximum(X @ estimator.coefs_[0] + estimator.intercepts_[0], 0)
    np.testing.assert_array_equal(
        last.histograms["activations/hidden.0"][1], numpy_histograms([hidden], bins)[0]
    )
    boosted = MemorySink()
    watch(
        GradientBoostingClassifier(n_estimators=2), X, y, rules=None, sink=boosted, histograms=True
    )
    assert list(boosted.records[0].histograms) == ["updates/stage"]
    assert boosted.records[0].histograms["updates/stage"][1].sum() == len(X) * 3
    plain = MemorySink()
    watch(SGDClassifier(), X, y, epochs=1, rules=None, sink=plain)
    assert plain.records[0].histograms == {}
