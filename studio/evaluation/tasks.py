"""What kind of problem a target makes: binary or multiclass classification, or regression.

The rule is the one a person applies looking at the column: text, booleans and categories are
labels; numbers with a fraction, or too many distinct values to be classes, are quantities.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = [
    "TASKS",
    "Task",
    "check_task",
    "default_metric",
    "infer_task",
    "is_classification",
    "target_values",
]

Task = Literal["binary", "multiclass", "regression"]
TASKS: tuple[Task, ...] = ("binary", "multiclass", "regression")
CLASSIFICATION = "classification"  # accepted from callers, resolved to binary or multiclass
MIN_CLASS_LIMIT = 20  # integer targets with more distinct values than this (and 5% of rows)...
CLASS_SHARE_LIMIT = 0.05  # ... are quantities, not classes


def target_values(y: Any) -> np.ndarray:
    """`y` as a 1-D array; ValueError for a table, an empty target or missing values."""
    values = y.to_numpy() if isinstance(y, pd.Series | pd.Index) else y
    if isinstance(values, pd.DataFrame):
        if values.shape[1] != 1:
            raise ValueError(f"y must be one column, not {values.shape[1]}.")
        values = values.iloc[:, 0].to_numpy()
    array = np.asarray(values)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array.ravel()
    if array.ndim != 1:
        raise ValueError(f"y must be one-dimensional, not of shape {array.shape}.")
    if len(array) == 0:
        raise ValueError("y is empty.")
    if pd.isna(array).any():
        raise ValueError(f"y has {int(pd.isna(array).sum())} missing values: drop those rows.")
    return array


def infer_task(y: Any) -> Task:
    """binary/multiclass for labels (text, booleans, categories, few integers), regression for
    numbers with a fraction or with more than max(20, 5% of rows) distinct values."""
    values = target_values(y)
    distinct = pd.unique(values)
    if _is_numeric(values):
        numbers = values.astype(np.float64)
        if not np.all(np.isfinite(numbers)) or not np.all(numbers == np.round(numbers)):
            return "regression"
        if len(distinct) > max(MIN_CLASS_LIMIT, CLASS_SHARE_LIMIT * len(values)):
            return "regression"
    return "binary" if len(distinct) <= 2 else "multiclass"


def is_classification(task: str) -> bool:
    return task in ("binary", "multiclass", CLASSIFICATION)


def default_metric(task: Task) -> str:
    """The metric a task is compared on when none is asked for (sklearn's `score`'s)."""
    return "accuracy" if is_classification(task) else "r2"


def check_task(task: str | None, y: Any) -> Task:
    """`task` checked against `y` ("classification" resolved to binary or multiclass), or the
    task inferred from `y`. ValueError names what does not fit."""
    values = target_values(y)
    if task is None:
        found = infer_task(values)
    elif task == CLASSIFICATION:
        found = "binary" if len(pd.unique(values)) <= 2 else "multiclass"
    elif task in TASKS:
        found = task
    else:
        known = ", ".join(repr(name) for name in (*TASKS, CLASSIFICATION))
        raise ValueError(f"Unknown task {task!r}: use one of {known}, or None to infer it.")
    classes = len(pd.unique(values))
    if found == "regression" and not _is_numeric(values):
        raise ValueError(f"A regression target must be numeric, not {values.dtype}.")
    if found != "regression" and classes < 2:
        raise ValueError("y holds a single class: a classifier needs at least two.")
    if found == "binary" and classes > 2:
        raise ValueError(f"task='binary' but y holds {classes} classes: use 'multiclass'.")
    if found == "multiclass" and classes < 3:
        raise ValueError(f"task='multiclass' but y holds {classes} classes: use 'binary'.")
    if found != "regression":
        _check_sortable(values)
    return found


def _check_sortable(values: np.ndarray) -> None:
    """Classes are sorted (folds, curves, the confusion matrix): labels of mixed types
    (numbers and text in one object column) cannot be."""
    try:
        np.unique(values)
    except TypeError:
        kinds = sorted({type(value).__name__ for value in values})
        raise ValueError(
            f"y mixes labels of types {', '.join(kinds)}: convert them to one type "
            "(e.g. y.astype(str))."
        ) from None


def _is_numeric(values: np.ndarray) -> bool:
    return values.dtype.kind in "iuf"
