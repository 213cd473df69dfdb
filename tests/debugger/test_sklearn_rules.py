"""`watch` with the real built-in rules: healthy scikit-learn trainings record no finding, and
planted pathologies fire the rule made for them.

The healthy trainings are small models on data they can learn (`make_classification`), for
a few epochs; the pathologies are the issue's: a learning rate that blows the loss up, a
model that memorises a small training set, a frozen model, a ReLU layer with a large negative
bias, imbalanced classes, sigmoid units saturated by a large bias.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import SGDClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from studio.debugger import rules, watch

Data = tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]


@pytest.fixture(scope="module")
def learnable() -> tuple[Data, Data]:
    """3 separable classes, 2000 rows to train on and 1000 to validate with."""
    X, y = make_classification(
        n_samples=3000, n_features=20, n_informative=8, n_classes=3, class_sep=1.5, random_state=0
    )
    return (X[:2000], y[:2000]), (X[2000:], y[2000:])


@pytest.fixture(scope="module")
def cancer() -> Data:
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def fired(result: Any) -> set[str]:
    return {finding.rule for finding in result.findings}


@pytest.mark.parametrize(
    ("estimator", "epochs"),
    [
        (MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01, random_state=0), 10),
        (
            MLPClassifier(
                hidden_layer_sizes=(16,), activation="tanh", learning_rate_init=0.01, random_state=0
            ),
            10,
        ),
        (
            SGDClassifier(loss="log_loss", learning_rate="constant", eta0=0.01, random_state=0),
            6,
        ),
    ],
    ids=["mlp-relu", "mlp-tanh", "sgd"],
)
def test_a_healthy_training_records_no_finding(
    estimator: Any, epochs: int, learnable: tuple[Data, Data]
) -> None:
    (X, y), _ = learnable
    result = watch(estimator, X, y, epochs=epochs, every=1, display=False)
    assert result.history["loss"][-1] < result.history["loss"][0]
    assert result.findings == []
    assert len(result.session.rules) == len(rules.BUILT_IN)


def test_a_healthy_boosting_with_validation_records_no_finding(
    learnable: tuple[Data, Data],
) -> None:
    (X, y), validation = learnable
    estimator = GradientBoostingClassifier(n_estimators=12, max_depth=2, random_state=0)
    result = watch(estimator, X, y, validation_data=validation, display=False)
    assert result.history["val_loss"][-1] < result.history["val_loss"][0]
    assert result.findings == []


def test_a_huge_learning_rate_blows_the_loss_up_and_a_stop_rule_ends_it(cancer: Data) -> None:
    X, y = cancer
    estimator = MLPClassifier(
        hidden_layer_sizes=(16,),
        solver="sgd",
        learning_rate_init=5.0,
        momentum=0.9,
        random_state=0,
    )
    stop = rules.LossNotDecreasing(actions="stop")
    result = watch(estimator, X, y, epochs=30, rules=[stop], display=False)
    assert fired(result) == {"LossNotDecreasing"}
    assert result.stopped
    assert result.epochs == 11  # the first comparison, 10 epochs back
    assert "increased" in result.findings[0].message


def test_a_model_that_memorises_a_small_training_set_overfits(cancer: Data) -> None:
    X, y = cancer
    estimator = MLPClassifier(
        hidden_layer_sizes=(64,), learning_rate_init=0.1, alpha=0.0, random_state=0
    )
    # The validation loss rises from the second epoch on, as the training loss vanishes.
    result = watch(
        estimator, X[:20], y[:20], epochs=8, validation_data=(X[100:], y[100:]), display=False
    )
    assert "Overfit" in fired(result)
    overfit = next(f for f in result.findings if f.rule == "Overfit")
    assert overfit.mode == "eval"


@pytest.mark.parametrize(
    "estimator",
    [
        SGDClassifier(learning_rate="constant", eta0=1e-15, random_state=0),
        MLPClassifier(
            hidden_layer_sizes=(8,),
            solver="sgd",
            learning_rate_init=1e-15,
            momentum=0.0,
            random_state=0,
        ),
    ],
    ids=["sgd", "mlp"],
)
def test_a_frozen_model_is_unchanged(estimator: Any, cancer: Data) -> None:
    X, y = cancer
    result = watch(estimator, X, y, epochs=4, every=1, display=False)
    unchanged = next(f for f in result.findings if f.rule == "UnchangedTensor")
    assert unchanged.step == 3
    assert any(tensor.startswith("weights/") for tensor in unchanged.tensors)
    if isinstance(estimator, MLPClassifier):
        assert "WeightUpdateRatio" in fired(result)


def test_a_relu_layer_with_a_large_negative_bias_is_dead(cancer: Data) -> None:
    X, y = cancer
    estimator = MLPClassifier(hidden_layer_sizes=(16,), random_state=0)
    estimator.partial_fit(X, y, classes=[0, 1])
    estimator.intercepts_[0] -= 100.0  # planted: no input reaches above zero
    result = watch(estimator, X, y, epochs=2, display=False)
    dead = next(f for f in result.findings if f.rule == "DeadRelu")
    assert dead.step == 1
    assert dead.tensors == ("activations/hidden.0",)


def test_sigmoid_units_with_a_large_bias_saturate(cancer: Data) -> None:
    X, y = cancer
    estimator = MLPClassifier(hidden_layer_sizes=(16,), activation="logistic", random_state=0)
    estimator.partial_fit(X, y, classes=[0, 1])
    estimator.intercepts_[0] += 50.0  # planted: every unit's output is near 1
    result = watch(estimator, X, y, epochs=2, display=False)
    saturated = next(f for f in result.findings if f.rule == "SaturatedActivation")
    assert saturated.tensors == ("activations/hidden.0",)


def test_imbalanced_classes_fire_class_imbalance() -> None:
    X, y = make_classification(
        n_samples=1000, n_features=10, weights=[0.96, 0.04], flip_y=0, random_state=0
    )
    result = watch(SGDClassifier(loss="log_loss", random_state=0), X, y, epochs=3, display=False)
    imbalance = next(f for f in result.findings if f.rule == "ClassImbalance")
    assert "labels" in imbalance.tensors or "predictions" in imbalance.tensors
