"""Evaluation figures as plotly JSON: arrays in, JSON-safe dicts out, stored with a run.

`studio.evaluate` and autolog both draw these, and the run panel's Evaluation tab renders them.
They are built small on purpose (each ≲ 6 KB for a few hundred rows): no template (the front end
applies JupyterLab's theme, and plotly's default template alone costs 6.5 KB), float32 arrays
(plotly writes them as base64 `bdata`), ROC and PR curves without their intermediate points,
at most `MAX_SCATTER_POINTS` points in a scatter and `MAX_CURVE_CLASSES` classes one-vs-rest.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go  # type: ignore[import-untyped]
from sklearn.calibration import calibration_curve
from sklearn.inspection import permutation_importance
from sklearn.metrics import (
    auc,
    average_precision_score,
    confusion_matrix,
    precision_recall_curve,
    roc_curve,
)

__all__ = [
    "MAX_CURVE_CLASSES",
    "MAX_IMPORTANCE_FEATURES",
    "MAX_IMPORTANCE_ROWS",
    "MAX_MATRIX_CLASSES",
    "MAX_SCATTER_POINTS",
    "calibration_figure",
    "classification_figures",
    "column_names",
    "confusion_matrix_figure",
    "importance_figure",
    "permutation_importance_figure",
    "permutation_importances",
    "pr_figure",
    "residuals_figure",
    "roc_figure",
    "sample_rows",
]

Labels = Sequence[Any] | np.ndarray  # class labels, in the order of the probability columns

MAX_SCATTER_POINTS = 1000
MAX_CURVE_CLASSES = 10
MAX_CURVE_POINTS = 400  # all curves of a figure together
MAX_MATRIX_CLASSES = 20
MAX_IMPORTANCE_FEATURES = 20
MAX_IMPORTANCE_ROWS = 2000
IMPORTANCE_REPEATS = 5
_DIAGONAL = {"dash": "dash", "width": 1}


def confusion_matrix_figure(y_true: Any, y_pred: Any, labels: Labels) -> dict[str, Any]:
    """Counts of true (rows) against predicted (columns) labels. Past `MAX_MATRIX_CLASSES`
    classes, the rarest true classes are summed into one "other" row and column."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    labels = list(labels)
    matrix = confusion_matrix(y_true, y_pred, labels=labels)
    names = [str(label) for label in labels]
    if len(labels) > MAX_MATRIX_CLASSES:
        kept = np.sort(np.argsort(-matrix.sum(axis=1), kind="stable")[: MAX_MATRIX_CLASSES - 1])
        rest = np.setdiff1d(np.arange(len(labels)), kept)
        rows = np.vstack([matrix[kept], matrix[rest].sum(axis=0, keepdims=True)])
        matrix = np.hstack([rows[:, kept], rows[:, rest].sum(axis=1, keepdims=True)])
        names = [names[i] for i in kept] + ["other"]
    figure = go.Figure(
        go.Heatmap(
            z=matrix.astype(np.int32),
            x=names,
            y=names,
            text=matrix.astype(np.int32),
            texttemplate="%{text}",
            colorscale="Blues",
            showscale=False,
            hovertemplate="true %{y}<br>predicted %{x}<br>%{z}<extra></extra>",
        )
    )
    figure.update_layout(
        title="Confusion matrix",
        xaxis={"title": {"text": "Predicted"}, "type": "category", "side": "bottom"},
        yaxis={"title": {"text": "True"}, "type": "category", "autorange": "reversed"},
    )
    return _json(figure)


def roc_figure(y_true: Any, proba: Any, classes: Labels) -> dict[str, Any]:
    """ROC curve of the positive class (binary) or of each class against the rest."""
    curves = []
    for name, truth, score in _one_vs_rest(y_true, proba, classes):
        fpr, tpr, _ = roc_curve(truth, score, drop_intermediate=True)
        curves.append((f"{name} (AUC {auc(fpr, tpr):.3f})", fpr, tpr))
    figure = go.Figure()
    _add_curves(figure, curves)
    figure.add_trace(_diagonal(0, 1, 0, 1, "chance"))
    figure.update_layout(
        title="ROC curve" if curves else "ROC curve (needs both classes in the data)",
        xaxis={"title": {"text": "False positive rate"}, "range": [0, 1]},
        yaxis={"title": {"text": "True positive rate"}, "range": [0, 1.02]},
    )
    return _json(figure)


def pr_figure(y_true: Any, proba: Any, classes: Labels) -> dict[str, Any]:
    """Precision against recall, per class as for `roc_figure`, with the average precision."""
    curves = []
    for name, truth, score in _one_vs_rest(y_true, proba, classes):
        precision, recall, _ = precision_recall_curve(truth, score, drop_intermediate=True)
        average = average_precision_score(truth, score)
        curves.append((f"{name} (AP {average:.3f})", recall, precision))
    figure = go.Figure()
    _add_curves(figure, curves, line={"shape": "hv"})
    figure.update_layout(
        title="Precision-recall curve" if curves else "Precision-recall curve (needs both classes)",
        xaxis={"title": {"text": "Recall"}, "range": [0, 1]},
        yaxis={"title": {"text": "Precision"}, "range": [0, 1.02]},
    )
    return _json(figure)


def calibration_figure(y_true: Any, proba: Any, classes: Labels) -> dict[str, Any]:
    """The observed frequency of each class against its predicted probability (10 bins)."""
    figure = go.Figure()
    for name, truth, score in _one_vs_rest(y_true, proba, classes):
        observed, predicted = calibration_curve(truth, score, n_bins=10, strategy="uniform")
        figure.add_trace(
            go.Scatter(x=_f32(predicted), y=_f32(observed), mode="lines+markers", name=str(name))
        )
    figure.add_trace(_diagonal(0, 1, 0, 1, "perfectly calibrated"))
    figure.update_layout(
        title="Calibration",
        xaxis={"title": {"text": "Predicted probability"}, "range": [0, 1]},
        yaxis={"title": {"text": "Observed frequency"}, "range": [0, 1]},
    )
    return _json(figure)


def residuals_figure(y_true: Any, y_pred: Any, seed: int = 0) -> dict[str, Any]:
    """Residuals (true - predicted) against the predictions, on at most 1,000 sampled points."""
    y_true = np.asarray(y_true, dtype=np.float64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.float64).ravel()
    rows = np.arange(len(y_true))
    if len(rows) > MAX_SCATTER_POINTS:
        rows = np.sort(np.random.default_rng(seed).choice(rows, MAX_SCATTER_POINTS, replace=False))
    predicted, residuals = y_pred[rows], (y_true - y_pred)[rows]
    figure = go.Figure(
        go.Scatter(
            x=_f32(predicted),
            y=_f32(residuals),
            mode="markers",
            marker={"size": 5, "opacity": 0.6},
            name="residual",
            hovertemplate="predicted %{x:.4g}<br>residual %{y:.4g}<extra></extra>",
        )
    )
    low, high = (float(predicted.min()), float(predicted.max())) if len(rows) else (0.0, 1.0)
    figure.add_trace(_diagonal(low, high, 0, 0, "zero"))
    sampled = f" ({len(rows)} of {len(y_true)} points)" if len(rows) < len(y_true) else ""
    figure.update_layout(
        title=f"Residuals{sampled}",
        xaxis={"title": {"text": "Predicted"}},
        yaxis={"title": {"text": "True - predicted"}},
        showlegend=False,
    )
    return _json(figure)


def permutation_importance_figure(
    model: Any, X: Any, y: Any, scoring: str, seed: int = 0
) -> dict[str, Any]:
    """How much `scoring` drops when each column is shuffled (5 repeats, ≤ 2,000 rows)."""
    X, y = sample_rows(X, y, MAX_IMPORTANCE_ROWS, seed)
    drops = permutation_importances(model, X, y, scoring, IMPORTANCE_REPEATS, seed)
    return importance_figure(column_names(X), drops, scoring)


def permutation_importances(
    model: Any, X: Any, y: Any, scoring: str, repeats: int = IMPORTANCE_REPEATS, seed: int = 0
) -> np.ndarray:
    """The drop of `scoring` for each column (rows) and repeat (columns) when that column is
    shuffled, as scikit-learn's `permutation_importance` measures it.

    For accuracy and r2 the shuffled copies are stacked and predicted together: on a few
    hundred rows a prediction costs its fixed overhead (validation, a pipeline's steps), so
    one call on 30 copies costs about what one call on one copy does, not 30 times that.
    """
    score = _SCORES.get(scoring)
    if score is None or hasattr(X, "tocsr"):
        return np.asarray(
            permutation_importance(
                model, X, y, scoring=scoring, n_repeats=repeats, random_state=seed
            ).importances
        )
    y = np.asarray(y)
    X = X.reset_index(drop=True) if isinstance(X, pd.DataFrame) else np.asarray(X)
    rows, columns = X.shape
    reference = score(y, np.asarray(model.predict(X)))
    random = np.random.default_rng(seed)
    shuffles = [
        (column, random.permutation(rows)) for column in range(columns) for _ in range(repeats)
    ]
    per_call = max(1, _MAX_STACKED_CELLS // max(rows * columns, 1))
    drops = np.empty(len(shuffles))
    for start in range(0, len(shuffles), per_call):
        batch = shuffles[start : start + per_call]
        predicted = np.asarray(model.predict(_stacked(X, batch))).reshape(len(batch), rows)
        for offset, prediction in enumerate(predicted):
            drops[start + offset] = reference - score(y, prediction)
    return drops.reshape(columns, repeats)


def importance_figure(names: Sequence[str], importances: Any, scoring: str) -> dict[str, Any]:
    """A horizontal bar per feature (the top 20): the mean drop of `scoring` over the columns of
    `importances` (features by repeats, e.g. one repeat per CV fold), with its std."""
    values = np.asarray(importances, dtype=np.float64).reshape(len(names), -1)
    means, stds = values.mean(axis=1), values.std(axis=1)
    top = np.argsort(-means, kind="stable")[:MAX_IMPORTANCE_FEATURES][::-1]  # largest on top
    figure = go.Figure(
        go.Bar(
            x=_f32(means[top]),
            y=[str(names[i]) for i in top],
            orientation="h",
            error_x={"type": "data", "array": _f32(stds[top]), "visible": True},
            hovertemplate="%{y}: %{x:.4g}<extra></extra>",
        )
    )
    figure.update_layout(
        title="Permutation importance",
        xaxis={"title": {"text": f"Drop in {scoring} when shuffled"}},
        yaxis={"type": "category", "automargin": True},
        height=max(300, 24 * len(top) + 120),
    )
    return _json(figure)


def classification_figures(
    y_true: Any, y_pred: Any, proba: Any | None, classes: Labels
) -> dict[str, dict[str, Any]]:
    """The confusion matrix, and with probabilities the ROC, PR and calibration curves."""
    figures = {"confusion_matrix": confusion_matrix_figure(y_true, y_pred, classes)}
    if proba is not None:
        figures["roc"] = roc_figure(y_true, proba, classes)
        figures["pr"] = pr_figure(y_true, proba, classes)
        figures["calibration"] = calibration_figure(y_true, proba, classes)
    return figures


def column_names(X: Any) -> list[str]:
    """A table's column names, or x0, x1... for an array (scikit-learn's own convention)."""
    columns = getattr(X, "columns", None)
    if columns is not None:
        return [str(column) for column in columns]
    return [f"x{i}" for i in range(np.shape(X)[1])]


def _one_vs_rest(y_true: Any, proba: Any, classes: Labels) -> list[tuple[str, Any, Any]]:
    """(name, is this class, its probability) for the positive class of a binary problem or
    the `MAX_CURVE_CLASSES` most frequent classes of a multiclass one; classes absent from
    `y_true`, or that are all of it, are left out (their curves are undefined)."""
    y_true = np.asarray(y_true)
    proba = np.asarray(proba, dtype=np.float64)
    classes = list(classes)
    if proba.ndim == 1:  # the positive class's probability alone
        proba = np.column_stack([1 - proba, proba])
    if len(classes) == 2:
        chosen = [1]
    else:
        counts = [int(np.sum(y_true == label)) for label in classes]
        chosen = sorted(np.argsort(counts, kind="stable")[::-1][:MAX_CURVE_CLASSES].tolist())
    found = []
    for index in chosen:
        truth = y_true == classes[index]
        if 0 < truth.sum() < len(truth):
            found.append((str(classes[index]), truth, proba[:, index]))
    return found


def _points_per_curve(curves: int) -> int:
    return max(30, MAX_CURVE_POINTS // max(curves, 1))


def _thin(points: int, budget: int) -> Any:
    """Indices of at most `budget` of `points` evenly spread, the first and last kept."""
    if points <= budget:
        return np.arange(points)
    return np.unique(np.linspace(0, points - 1, budget).round().astype(np.int64))


def _add_curves(
    figure: go.Figure, curves: list[tuple[str, np.ndarray, np.ndarray]], **style: Any
) -> None:
    """One line per curve, each thinned to its share of the figure's points."""
    budget = _points_per_curve(len(curves))
    for name, x, y in curves:
        keep = _thin(len(x), budget)
        figure.add_trace(
            go.Scatter(x=_f32(x[keep]), y=_f32(y[keep]), mode="lines", name=name, **style)
        )


def _diagonal(x0: float, x1: float, y0: float, y1: float, name: str) -> go.Scatter:
    return go.Scatter(
        x=[x0, x1], y=[y0, y1], mode="lines", line=_DIAGONAL, name=name, hoverinfo="skip"
    )


def sample_rows(X: Any, y: Any, limit: int, seed: int) -> tuple[Any, Any]:
    """At most `limit` rows of X and y, drawn with the seed, in their order."""
    rows = len(y)
    if rows <= limit:
        return X, y
    chosen = np.sort(np.random.default_rng(seed).choice(rows, limit, replace=False))
    taken_X = X.iloc[chosen] if hasattr(X, "iloc") else np.asarray(X)[chosen]
    taken_y = y.iloc[chosen] if hasattr(y, "iloc") else np.asarray(y)[chosen]
    return taken_X, taken_y


def _stacked(X: Any, shuffles: list[tuple[int, np.ndarray]]) -> Any:
    """One copy of X per (column, order), that column taken in that order, one under another."""
    rows = X.shape[0]
    if isinstance(X, pd.DataFrame):
        copies = []
        for column, order in shuffles:
            copy = X.copy()
            copy.isetitem(column, X.iloc[order, column].reset_index(drop=True))
            copies.append(copy)
        return pd.concat(copies, ignore_index=True)
    stacked = np.tile(X, (len(shuffles), 1))
    for index, (column, order) in enumerate(shuffles):
        stacked[index * rows : (index + 1) * rows, column] = X[order, column]
    return stacked


def _accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.mean(y_true == y_pred))


def _r2(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    total = float(np.sum((y_true - y_true.mean()) ** 2))
    residual = float(np.sum((y_true - y_pred) ** 2))
    return 1 - residual / total if total else 0.0


_SCORES = {"accuracy": _accuracy, "r2": _r2}
_MAX_STACKED_CELLS = 2_000_000  # rows x columns predicted in one call


def _f32(values: Any) -> Any:
    return np.asarray(values, dtype=np.float32)


def _json(figure: go.Figure) -> dict[str, Any]:
    figure.update_layout(template="none", margin={"l": 60, "r": 20, "t": 50, "b": 50})
    result: dict[str, Any] = json.loads(figure.to_json())
    return result
