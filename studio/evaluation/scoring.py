"""How `studio.evaluate` fits and scores: the splits, each fold beside a baseline, the figures.

A holdout is one fold and a test set is one fold whose model is the caller's; under CV the
figures are drawn from every fold's held-out predictions together (out-of-fold, as
`cross_val_predict` gives them), and permutation importance takes one shuffle per fold of each
fold's own model, so that its spread is across folds, at the cost of a single 5-repeat run.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from studio.evaluation.metrics import metrics_for, score_predictions
from studio.evaluation.tasks import default_metric, is_classification
from studio.tracking.figures import (
    IMPORTANCE_REPEATS,
    MAX_IMPORTANCE_ROWS,
    classification_figures,
    column_names,
    importance_figure,
    permutation_importances,
    residuals_figure,
    sample_rows,
)

__all__ = ["Scored", "Validation", "score_model"]


@dataclass(frozen=True)
class Validation:
    """How to validate: `kind` is also the evaluation's label; `description` is in words."""

    kind: Literal["holdout", "cv", "test"]
    folds: int
    fraction: float
    description: str


@dataclass(frozen=True)
class Scored:
    metrics: dict[str, float]
    std: dict[str, float]
    baseline: dict[str, float]
    fold_metrics: list[dict[str, float]]
    figures: dict[str, dict[str, Any]]
    rows: int
    baseline_model: str


@dataclass(frozen=True)
class _Fold:
    metrics: dict[str, float]
    baseline: dict[str, float]
    y_true: np.ndarray
    y_pred: np.ndarray
    proba: np.ndarray | None
    importances: np.ndarray


def score_model(
    model: Any,
    X: Any,
    y: np.ndarray,
    task: str,
    validation: Validation,
    *,
    X_test: Any = None,
    y_test: np.ndarray | None = None,
    seed: int = 0,
) -> Scored:
    """Fit (clones of) `model` and the baseline on each split and score them."""
    classification = is_classification(task)
    baseline = DummyClassifier(strategy="prior") if classification else DummyRegressor()
    scoring = default_metric("binary" if classification else "regression")
    if validation.kind == "test":
        assert X_test is not None
        assert y_test is not None
        classes = _classes(y, y_test, getattr(model, "classes_", None)) if classification else None
        folds = [
            _score_fold(
                model,
                clone(baseline).fit(X, y),
                (X_test, y_test),
                task,
                classes,
                IMPORTANCE_REPEATS,
                MAX_IMPORTANCE_ROWS,
                seed,
            )
        ]
    else:
        classes = np.unique(y) if classification else None
        splits = _splits(y, validation, classification, seed)
        repeats = IMPORTANCE_REPEATS if len(splits) == 1 else 1
        folds = []
        for train, held in splits:
            X_train, y_train = _rows(X, train), y[train]
            folds.append(
                _score_fold(
                    clone(model).fit(X_train, y_train),
                    clone(baseline).fit(X_train, y_train),
                    (_rows(X, held), y[held]),
                    task,
                    classes,
                    repeats,
                    MAX_IMPORTANCE_ROWS // len(splits),
                    seed,
                )
            )
    order = metrics_for(task)
    metrics, std = _summary([fold.metrics for fold in folds], order)
    baseline_metrics, _ = _summary([fold.baseline for fold in folds], order)
    y_true = np.concatenate([fold.y_true for fold in folds])
    y_pred = np.concatenate([fold.y_pred for fold in folds])
    if classification:
        assert classes is not None
        probas = [fold.proba for fold in folds]
        proba = None if any(p is None for p in probas) else np.vstack(probas)  # type: ignore[arg-type]
        figures = classification_figures(y_true, y_pred, proba, classes)
    else:
        figures = {"residuals": residuals_figure(y_true, y_pred, seed=seed)}
    importances = np.hstack([fold.importances for fold in folds])
    figures["permutation_importance"] = importance_figure(column_names(X), importances, scoring)
    return Scored(
        metrics=metrics,
        std=std if len(folds) > 1 else {},
        baseline=baseline_metrics,
        fold_metrics=[fold.metrics for fold in folds],
        figures=figures,
        rows=len(y_true),
        baseline_model=(
            "DummyClassifier(strategy='prior')"
            if classification
            else "DummyRegressor(strategy='mean')"
        ),
    )


def _score_fold(
    model: Any,
    baseline: Any,
    held: tuple[Any, np.ndarray],
    task: str,
    classes: np.ndarray | None,
    repeats: int,
    importance_rows: int,
    seed: int,
) -> _Fold:
    X_held, y_held = held
    y_pred = np.asarray(model.predict(X_held))
    proba = _proba(model, X_held, classes)
    baseline_pred = np.asarray(baseline.predict(X_held))
    baseline_proba = _proba(baseline, X_held, classes)
    X_sample, y_sample = sample_rows(X_held, y_held, max(importance_rows, 1), seed)
    # Predictions on at most 2,000 rows: OpenMP's thread start-up would dominate them (0.2 s
    # instead of 2 ms each for a HistGradientBoosting on a busy two-core machine).
    with threadpool_limits(limits=1):
        importances = permutation_importances(
            model,
            X_sample,
            y_sample,
            default_metric("binary" if classes is not None else "regression"),
            repeats,
            seed,
        )
    return _Fold(
        metrics=score_predictions(task, y_held, y_pred, proba, classes),
        baseline=score_predictions(task, y_held, baseline_pred, baseline_proba, classes),
        y_true=y_held,
        y_pred=y_pred,
        proba=proba,
        importances=np.asarray(importances, dtype=np.float64),
    )


def _proba(model: Any, X: Any, classes: np.ndarray | None) -> np.ndarray | None:
    """Probabilities with one column per class of `classes`: a fold's model may have seen
    fewer classes (a rare one missing from its training part), whose columns stay 0."""
    if classes is None or not hasattr(model, "predict_proba"):
        return None
    proba = np.asarray(model.predict_proba(X), dtype=np.float64)
    seen = getattr(model, "classes_", None)
    if seen is None or (len(seen) == len(classes) and np.array_equal(seen, classes)):
        return proba
    aligned = np.zeros((proba.shape[0], len(classes)))
    columns = np.searchsorted(classes, np.asarray(seen))
    aligned[:, columns] = proba
    return aligned


def _classes(y: np.ndarray, y_test: np.ndarray, fitted: Any) -> np.ndarray:
    found = [y, y_test] + ([np.asarray(fitted)] if fitted is not None else [])
    try:
        return np.unique(np.concatenate(found))
    except TypeError:
        raise ValueError(
            "The labels of y, y_test and the model's classes are not of one type "
            "(e.g. numbers against text)."
        ) from None


def _splits(
    y: np.ndarray, validation: Validation, classification: bool, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    rows = len(y)
    counts = np.unique(y, return_counts=True)[1] if classification else np.array([rows])
    if validation.kind == "holdout":
        held = math.ceil(validation.fraction * rows)
        if held < 1 or rows - held < 1:
            raise ValueError(
                f"holdout={validation.fraction} of {rows} rows leaves no rows to fit or to score."
            )
        stratify = (
            y
            if classification and counts.min() >= 2 and min(held, rows - held) >= len(counts)
            else None
        )
        train, test = train_test_split(
            np.arange(rows), test_size=held, random_state=seed, stratify=stratify
        )
        return [(np.sort(train), np.sort(test))]
    if validation.folds > rows:
        raise ValueError(f"cv={validation.folds} folds need at least as many rows, not {rows}.")
    splitter: Any = (
        StratifiedKFold(validation.folds, shuffle=True, random_state=seed)
        if classification and counts.min() >= validation.folds
        else KFold(validation.folds, shuffle=True, random_state=seed)
    )
    return list(splitter.split(np.zeros((rows, 1)), y))


def _summary(
    folds: list[dict[str, float]], order: Sequence[str]
) -> tuple[dict[str, float], dict[str, float]]:
    """The folds' means and standard deviations, for the metrics some fold could compute."""
    frame = pd.DataFrame(folds, columns=[name for name in order if any(name in f for f in folds)])
    means, stds = frame.mean(), frame.std(ddof=0)
    return (
        {name: float(means[name]) for name in frame.columns},
        {name: float(stds[name]) for name in frame.columns},
    )


def _rows(X: Any, index: np.ndarray) -> Any:
    return X.iloc[index] if isinstance(X, pd.DataFrame) else X[index]
