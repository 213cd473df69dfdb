"""Losses and scores that `watch` computes on scikit-learn models' outputs, in numpy.

Each loss is the estimator's own data loss, written from scikit-learn's definitions, so that
the validation loss (mode "eval") and the training loss (mode "train") are the same quantity
and the Overfit rule can compare them:

- `network_loss`: an MLP's loss on its output layer (`sklearn.neural_network._base`'s
  `log_loss` / `binary_log_loss` for classifiers, half the mean squared error for
  regressors), without the L2 penalty that `loss_` adds during training.
- `linear_loss`: an SGD-family estimator's `loss` ("hinge", "log_loss", "modified_huber",
  "squared_hinge", "perceptron", "squared_error", "huber", "epsilon_insensitive",
  "squared_epsilon_insensitive") on its decision function, averaged over the samples and,
  for a multiclass (one-versus-rest) classifier, over its binary problems.

Scores are scikit-learn's `score`: accuracy for classifiers, R² for regressors.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

__all__ = [
    "LINEAR_LOSSES",
    "accuracy",
    "class_indices",
    "linear_loss",
    "network_loss",
    "r2",
]

FloatArray = npt.NDArray[np.float64]


def class_indices(output: FloatArray, threshold: float) -> npt.NDArray[np.intp]:
    """The predicted class index from a classifier's outputs: with one column (binary), 1
    where it is above `threshold` (0.5 for a probability, 0 for a decision value); with
    several, the column of the largest."""
    if output.shape[1] == 1:
        positive: npt.NDArray[np.intp] = (output[:, 0] > threshold).astype(np.intp)
        return positive
    largest: npt.NDArray[np.intp] = np.argmax(output, axis=1).astype(np.intp)
    return largest


def accuracy(labels: npt.NDArray[np.intp], predicted: npt.NDArray[np.intp]) -> float:
    return float(np.mean(labels == predicted)) if len(labels) else float("nan")


def r2(target: FloatArray, predicted: FloatArray) -> float:
    """R², averaged uniformly over outputs (scikit-learn's `r2_score` default)."""
    target = target.reshape(len(target), -1)
    predicted = predicted.reshape(len(predicted), -1)
    residual = ((target - predicted) ** 2).sum(axis=0)
    total = ((target - target.mean(axis=0)) ** 2).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = np.where(total > 0, 1.0 - residual / total, np.where(residual > 0, 0.0, 1.0))
    return float(scores.mean())


def network_loss(
    output: FloatArray, target: FloatArray | npt.NDArray[np.intp], *, classifier: bool
) -> float:
    """An MLP's data loss on its output layer `output` (after the output activation).

    For a classifier `target` holds class indices; for a regressor, the targets.
    """
    if not classifier:
        expected = np.asarray(target, dtype=np.float64).reshape(len(output), -1)
        return float(0.5 * ((expected - output) ** 2).mean(axis=0).mean())
    eps = np.finfo(output.dtype).eps
    probability = np.clip(output, eps, 1 - eps)
    labels = np.asarray(target, dtype=np.intp)
    if output.shape[1] == 1:
        positive = probability[:, 0]
        picked = np.where(labels == 1, positive, 1.0 - positive)
    else:
        picked = probability[np.arange(len(labels)), labels]
    return float(-np.log(picked).mean())


def _hinge(threshold: float) -> Callable[[FloatArray], FloatArray]:
    return lambda margin: np.maximum(0.0, threshold - margin)


def _modified_huber(margin: FloatArray) -> FloatArray:
    return np.where(
        margin >= 1.0, 0.0, np.where(margin >= -1.0, (1.0 - margin) ** 2, -4.0 * margin)
    )


def _huber(epsilon: float) -> Callable[[FloatArray], FloatArray]:
    def loss(residual: FloatArray) -> FloatArray:
        size = np.abs(residual)
        return np.where(size <= epsilon, 0.5 * residual**2, epsilon * (size - 0.5 * epsilon))

    return loss


# Classification losses are functions of the margin y·f(x) with y in {-1, +1}; regression
# losses of the residual y - f(x). The second element says which; the callable takes the
# estimator's `epsilon`.
LINEAR_LOSSES: dict[str, tuple[bool, Callable[[float], Callable[[FloatArray], FloatArray]]]] = {
    "hinge": (True, lambda _: _hinge(1.0)),
    "perceptron": (True, lambda _: _hinge(0.0)),
    "squared_hinge": (True, lambda _: lambda m: np.maximum(0.0, 1.0 - m) ** 2),
    "log_loss": (True, lambda _: lambda m: np.logaddexp(0.0, -m)),
    "modified_huber": (True, lambda _: _modified_huber),
    "squared_error": (False, lambda _: lambda r: 0.5 * r**2),
    "huber": (False, _huber),
    "epsilon_insensitive": (False, lambda e: lambda r: np.maximum(0.0, np.abs(r) - e)),
    "squared_epsilon_insensitive": (
        False,
        lambda e: lambda r: np.maximum(0.0, np.abs(r) - e) ** 2,
    ),
}
"""The SGD-family losses `linear_loss` knows, by the estimator's `loss` name."""


def linear_loss(
    name: str,
    decision: FloatArray,
    target: FloatArray | npt.NDArray[np.intp],
    *,
    epsilon: float = 0.1,
) -> float:
    """An SGD-family estimator's loss `name` on its decision function (see the module).

    For a classifier `target` holds class indices and `decision` has one column (binary) or
    one per class (one versus rest); for a regressor, `target` holds the targets.
    """
    if name not in LINEAR_LOSSES:
        raise ValueError(f"Unknown loss {name!r}: watch knows {sorted(LINEAR_LOSSES)}.")
    is_margin, make = LINEAR_LOSSES[name]
    function = make(epsilon)
    decision = decision.reshape(len(decision), -1)
    if not is_margin:
        residual = np.asarray(target, dtype=np.float64).reshape(len(decision), -1) - decision
        return float(function(residual).mean())
    labels = np.asarray(target, dtype=np.intp)
    if decision.shape[1] == 1:
        signs = np.where(labels == 1, 1.0, -1.0)[:, None]
    else:
        signs = np.where(labels[:, None] == np.arange(decision.shape[1]), 1.0, -1.0)
    return float(function(signs * decision).mean())
