"""The metrics `studio.evaluate` reports, computed from predictions (and probabilities).

Each is named as the registry's gates and the run's metrics name it (`accuracy`, `r2`...), and
is left out where it is undefined (a ROC AUC without both classes in `y_true`) rather than
reported as NaN.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import (
    log_loss,
    mean_absolute_error,
    mean_absolute_percentage_error,
    precision_recall_fscore_support,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)

from studio.evaluation.tasks import is_classification

__all__ = [
    "CLASSIFICATION_METRICS",
    "GREATER_IS_BETTER",
    "REGRESSION_METRICS",
    "metrics_for",
    "score_predictions",
]

Labels = Sequence[Any] | np.ndarray

CLASSIFICATION_METRICS = (
    "accuracy",
    "balanced_accuracy",
    "precision_macro",
    "recall_macro",
    "f1_macro",
    "precision_weighted",
    "recall_weighted",
    "f1_weighted",
    "roc_auc",
    "log_loss",
)
REGRESSION_METRICS = ("mae", "rmse", "r2", "mape")
GREATER_IS_BETTER: dict[str, bool] = {
    **{name: name != "log_loss" for name in CLASSIFICATION_METRICS},
    "mae": False,
    "rmse": False,
    "r2": True,
    "mape": False,
}


def metrics_for(task: str) -> tuple[str, ...]:
    return CLASSIFICATION_METRICS if is_classification(task) else REGRESSION_METRICS


def score_predictions(
    task: str,
    y_true: Any,
    y_pred: Any,
    proba: Any | None = None,
    classes: Labels | None = None,
) -> dict[str, float]:
    """Every metric of `task` that is defined here. `proba` has one column per class of
    `classes` (their order); roc_auc and log_loss need it (multiclass roc_auc: one-vs-rest,
    macro-averaged over the classes present)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    # A fold may lack a class, or a model predict one the fold has not: the metrics stay
    # defined (zero_division, macro over the classes present), so sklearn's warnings are noise.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        if is_classification(task):
            scores = _classification(y_true, y_pred, proba, classes)
        else:
            scores = _regression(y_true.astype(np.float64), y_pred.astype(np.float64))
    return {name: float(value) for name, value in scores.items() if math.isfinite(value)}


def _classification(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    proba: Any | None,
    classes: Labels | None,
) -> dict[str, float]:
    # One pass over the per-class counts gives them all (sklearn's functions would each
    # check the targets and count again): accuracy is the support-weighted recall, balanced
    # accuracy the mean recall over the classes in y_true.
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, average=None, zero_division=0
    )
    weights = support / support.sum()
    scores = {
        "accuracy": float(np.dot(recall, weights)),
        "balanced_accuracy": float(recall[support > 0].mean()),
    }
    for name, per_class in (("precision", precision), ("recall", recall), ("f1", f1)):
        scores[f"{name}_macro"] = float(per_class.mean())
        scores[f"{name}_weighted"] = float(np.dot(per_class, weights))
    if proba is not None:
        labels = list(classes) if classes is not None else sorted(np.unique(y_true).tolist())
        probabilities = np.asarray(proba, dtype=np.float64)
        if probabilities.ndim == 1:
            probabilities = np.column_stack([1 - probabilities, probabilities])
        auc = _roc_auc(y_true, probabilities, labels)
        if auc is not None:
            scores["roc_auc"] = auc
        # Float32 probabilities (XGBoost's) sum to one only within float32's precision, and
        # log_loss warns about that: renormalised in float64, they are the same numbers.
        totals = probabilities.sum(axis=1, keepdims=True)
        normalised = np.divide(probabilities, totals, where=totals > 0, out=probabilities.copy())
        scores["log_loss"] = log_loss(y_true, normalised, labels=labels)
    return scores


def _roc_auc(y_true: np.ndarray, proba: np.ndarray, labels: list[Any]) -> float | None:
    """Binary: the positive class's AUC; multiclass: the mean one-vs-rest AUC over the classes
    with both positives and negatives in `y_true` (sklearn's ovr macro when all are)."""
    columns = [1] if len(labels) == 2 else range(len(labels))
    areas = []
    for column in columns:
        truth = y_true == labels[column]
        if 0 < truth.sum() < len(truth):
            areas.append(roc_auc_score(truth, proba[:, column]))
    return float(np.mean(areas)) if areas else None


def _regression(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    return {
        "mae": mean_absolute_error(y_true, y_pred),
        "rmse": root_mean_squared_error(y_true, y_pred),
        "r2": r2_score(y_true, y_pred) if len(y_true) > 1 else math.nan,
        "mape": mean_absolute_percentage_error(y_true, y_pred),
    }
