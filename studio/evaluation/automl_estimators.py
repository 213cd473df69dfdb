"""The estimators AutoML searches over, the preprocessing in front of them, and how a fold is
scored: shared by the search's workers, the ensemble and the refit, so that all three build and
score a candidate the same way."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from studio.evaluation.catalogue import algorithms, get_algorithm
from studio.evaluation.metrics import GREATER_IS_BETTER
from studio.evaluation.preprocessing import make_preprocessor

if TYPE_CHECKING:
    import pandas as pd
    from sklearn.compose import ColumnTransformer

__all__ = [
    "algorithm_tasks",
    "estimator_modules",
    "greater_is_better",
    "make_estimator",
    "make_preprocessing",
    "score",
    "stack_features",
]

_PROBABILITY_METRICS = frozenset({"roc_auc", "log_loss"})
# AutoML's own algorithm beside the catalogue's: an RBF-kernel SVM, strong on small tables
# (digits), whose cost grows with the square of the rows (the search space leaves it out past
# MAX_ROWS_FOR_KERNELS).
_OWN: dict[str, tuple[str, str]] = {"svm": ("sklearn.svm.SVC", "sklearn.svm.SVR")}
_OWN_TASKS = ("binary", "multiclass", "regression")


def algorithm_tasks() -> dict[str, tuple[str, ...]]:
    """Each installed algorithm AutoML can search (the catalogue's and its own) and the tasks
    it serves."""
    found = {algorithm.name: tuple(algorithm.tasks) for algorithm in algorithms()}
    return {**found, **dict.fromkeys(_OWN, _OWN_TASKS)}


def estimator_modules(names: list[str]) -> list[str]:
    """The modules the algorithms' estimators live in (a worker imports them before fitting)."""
    modules = {"sklearn.pipeline", "sklearn.compose", "sklearn.impute", "sklearn.preprocessing"}
    for name in names:
        paths = _OWN[name] if name in _OWN else _catalogue_paths(name)
        modules.update(path.rpartition(".")[0] for path in paths if path)
    return sorted(modules)


def make_estimator(name: str, task: str, params: Mapping[str, Any], seed: int) -> Any:
    """The catalogue's estimator (its hyperparameters checked there), or AutoML's own; one
    thread each, since the search runs one fit per core."""
    if name in _OWN:
        module, _, class_name = _OWN[name][1 if task == "regression" else 0].rpartition(".")
        estimator = getattr(importlib.import_module(module), class_name)(**params)
    else:
        estimator = get_algorithm(name).build(task, params, seed)
    # scikit-learn's estimators use one thread unless told otherwise (and some warn that
    # n_jobs does nothing); LightGBM and XGBoost take every core by default.
    if not type(estimator).__module__.startswith("sklearn.") and "n_jobs" in estimator.get_params():
        estimator.set_params(n_jobs=1)
    return estimator


def make_preprocessing(X: pd.DataFrame, spec: Mapping[str, Any]) -> ColumnTransformer:
    """Imputation, encoding and scaling of `X`'s columns as `spec` says (the keyword arguments
    of `make_preprocessor`: impute, encode, scale, max_categories)."""
    return make_preprocessor(X, **spec)


def _catalogue_paths(name: str) -> tuple[str | None, str | None]:
    algorithm = get_algorithm(name)
    return algorithm.classifier, algorithm.regressor


def greater_is_better(metric: str) -> bool:
    return GREATER_IS_BETTER[metric]


def stack_features(estimator: Any, X: Any, task: str, classes: np.ndarray) -> np.ndarray:
    """What a stacked ensemble learns from: class probabilities (decision values where the
    model has none; one column for two classes), or the prediction for regression. The same
    choice as scikit-learn's StackingClassifier(stack_method="auto")."""
    if task == "regression":
        return np.asarray(estimator.predict(X), dtype=float).reshape(-1, 1)
    if hasattr(estimator, "predict_proba"):
        values = _aligned(estimator.predict_proba(X), estimator.classes_, classes)
    else:
        values = np.asarray(estimator.decision_function(X), dtype=float)
        if values.ndim == 2:
            values = _aligned(values, estimator.classes_, classes)
    if values.ndim == 2 and len(classes) == 2:
        values = values[:, 1]
    return values.reshape(len(values), -1)


def _aligned(values: np.ndarray, fitted: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Columns in the order of every class (a fold's training part may lack one)."""
    if len(fitted) == len(classes):
        return np.asarray(values, dtype=float)
    out = np.zeros((len(values), len(classes)))
    positions = np.searchsorted(classes, fitted)
    out[:, positions] = values
    return out


def score(
    metric: str,
    task: str,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    features: np.ndarray | None,
    classes: np.ndarray,
) -> float:
    """One metric of one fold. `features` are `stack_features` (probabilities or decision
    values), needed by roc_auc and log_loss only."""
    from sklearn import metrics

    if metric in _PROBABILITY_METRICS:
        if features is None:
            raise ValueError(f"{metric} needs probabilities.")
        scores = features[:, 0] if features.shape[1] == 1 else features
        if metric == "roc_auc":
            if len(classes) == 2:
                return float(metrics.roc_auc_score(y_true, scores))
            return float(
                metrics.roc_auc_score(
                    y_true, scores, multi_class="ovr", average="macro", labels=classes
                )
            )
        proba = np.column_stack([1 - scores, scores]) if scores.ndim == 1 else scores
        return float(metrics.log_loss(y_true, np.clip(proba, 1e-15, 1.0), labels=classes))
    simple = {
        "accuracy": metrics.accuracy_score,
        "balanced_accuracy": metrics.balanced_accuracy_score,
        "r2": metrics.r2_score,
        "mae": metrics.mean_absolute_error,
        "rmse": metrics.root_mean_squared_error,
        "mape": metrics.mean_absolute_percentage_error,
    }
    if metric in simple:
        return float(simple[metric](y_true, y_pred))
    kind, _, average = metric.rpartition("_")
    averaged = {
        "precision": metrics.precision_score,
        "recall": metrics.recall_score,
        "f1": metrics.f1_score,
    }
    if kind in averaged and average in ("macro", "weighted"):
        return float(averaged[kind](y_true, y_pred, average=average, zero_division=0))
    raise ValueError(f"Unknown metric {metric!r}.")
