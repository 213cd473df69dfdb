"""`sklearn_losses.linear_loss` against scikit-learn's own SGD loss functions (the Cython
objects a fitted SGD estimator trains with), on its decision values."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.linear_model import SGDClassifier, SGDRegressor
from sklearn.preprocessing import StandardScaler

from studio.debugger.sklearn_losses import linear_loss


@pytest.mark.parametrize("loss", ["hinge", "perceptron", "squared_hinge", "modified_huber"])
def test_classification_losses_are_sgds_own(loss: str) -> None:
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    estimator = SGDClassifier(loss=loss, max_iter=2, tol=None, random_state=0).fit(X, y)
    decision = estimator.decision_function(X)
    own = estimator._loss_function_
    expected = np.mean(
        [own.py_loss(p, 1.0 if t == 1 else -1.0) for p, t in zip(decision, y, strict=True)]
    )
    assert linear_loss(loss, decision[:, None], y) == pytest.approx(expected)


@pytest.mark.parametrize("loss", ["epsilon_insensitive", "squared_epsilon_insensitive"])
def test_regression_losses_are_sgds_own(loss: str) -> None:
    X, y = load_diabetes(return_X_y=True)
    estimator = SGDRegressor(loss=loss, epsilon=0.3, max_iter=2, tol=None, random_state=0)
    estimator.fit(StandardScaler().fit_transform(X), y / 100)
    predicted = estimator.predict(StandardScaler().fit_transform(X))
    own = estimator._get_loss_function(loss)  # the regressor keeps it only while it fits
    expected = np.mean([own.py_loss(p, t) for p, t in zip(predicted, y / 100, strict=True)])
    assert linear_loss(loss, predicted[:, None], y / 100, epsilon=0.3) == pytest.approx(expected)


def test_huber_is_quadratic_within_epsilon_and_linear_beyond() -> None:
    residuals = np.array([0.0, 0.05, -0.1, 0.5, -2.0])
    expected = [0.0, 0.5 * 0.05**2, 0.5 * 0.1**2, 0.1 * (0.5 - 0.05), 0.1 * (2.0 - 0.05)]
    got = linear_loss("huber", np.zeros((5, 1)), residuals, epsilon=0.1)
    assert got == pytest.approx(np.mean(expected))


def test_a_multiclass_loss_averages_its_one_versus_rest_problems() -> None:
    decision = np.array([[2.0, -1.0, 0.5], [0.0, 3.0, -2.0]])
    labels = np.array([0, 1])
    # hinge of each (sample, class) margin: y=+1 for the true class, -1 for the others.
    margins = np.array([[2.0, 1.0, -0.5], [0.0, 3.0, 2.0]])
    assert linear_loss("hinge", decision, labels) == pytest.approx(
        np.maximum(0, 1 - margins).mean()
    )
    with pytest.raises(ValueError, match="Unknown loss"):
        linear_loss("quantile", decision, labels)
