"""The evaluation figures: small, template-free plotly JSON that survives odd predictions."""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from studio.tracking import figures
from studio.tracking.figures import (
    MAX_CURVE_CLASSES,
    MAX_IMPORTANCE_FEATURES,
    MAX_MATRIX_CLASSES,
    MAX_SCATTER_POINTS,
)

SIZE_LIMIT = 6 * 1024


def size(figure: dict[str, Any]) -> int:
    return len(json.dumps(figure))


def values(array: Any) -> np.ndarray:
    """A trace's array as plotly's JSON holds it: a list, or float32 `bdata`."""
    if isinstance(array, dict):
        assert array["dtype"] in {"f4", "i4"}, array["dtype"]
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=np.dtype(array["dtype"]))
    return np.asarray(array)


@pytest.fixture(scope="module")
def binary() -> tuple[Any, Any, Any, Any]:
    """500 held-out rows of a fitted binary classifier: truth, predictions, probabilities."""
    X, y = make_classification(900, 12, n_informative=6, random_state=0)
    model = LogisticRegression().fit(X[:400], y[:400])
    return y[400:], model.predict(X[400:]), model.predict_proba(X[400:]), model.classes_


def test_binary_figures_are_small_template_free_and_float32(binary: Any) -> None:
    y_true, y_pred, proba, classes = binary
    drawn = figures.classification_figures(y_true, y_pred, proba, classes)
    assert set(drawn) == {"confusion_matrix", "roc", "pr", "calibration"}
    for name, figure in drawn.items():
        assert size(figure) < SIZE_LIMIT, (name, size(figure))
        assert "layout" not in figure["layout"]["template"], name  # template="none"
    roc = drawn["roc"]["data"][0]
    assert roc["x"]["dtype"] == "f4"
    fpr, tpr = values(roc["x"]), values(roc["y"])
    assert fpr[0] == 0
    assert fpr[-1] == 1
    assert tpr[-1] == 1
    assert len(fpr) < len(y_true) / 2  # intermediate points dropped
    assert "AUC 0.9" in roc["name"]


def test_confusion_matrix_counts_true_rows_against_predicted_columns() -> None:
    figure = figures.confusion_matrix_figure(
        ["cat", "cat", "dog", "dog", "dog"], ["cat", "dog", "dog", "dog", "cat"], ["cat", "dog"]
    )
    heatmap = figure["data"][0]
    assert heatmap["x"] == heatmap["y"] == ["cat", "dog"]
    assert values(heatmap["z"]).reshape(2, 2).tolist() == [[1, 1], [1, 2]]


def test_many_classes_are_capped_in_the_matrix_and_the_curves() -> None:
    rng = np.random.default_rng(0)
    classes = np.arange(30)
    y_true = rng.choice(classes, 2000, p=np.linspace(1, 3, 30) / np.linspace(1, 3, 30).sum())
    proba = rng.dirichlet(np.ones(30), 2000)
    y_pred = proba.argmax(axis=1)
    matrix = figures.confusion_matrix_figure(y_true, y_pred, classes)["data"][0]
    assert len(matrix["x"]) == MAX_MATRIX_CLASSES
    assert matrix["x"][-1] == "other"
    assert values(matrix["z"]).sum() == 2000  # nothing lost by lumping the rarest together
    assert "0" not in matrix["x"]  # the rarest class is lumped into "other"
    for build in (figures.roc_figure, figures.pr_figure):
        figure = build(y_true, proba, classes)
        curves = [trace for trace in figure["data"] if "(" in trace.get("name", "")]
        assert len(curves) == MAX_CURVE_CLASSES
        assert size(figure) < 1.1 * SIZE_LIMIT, size(figure)
        assert curves[-1]["name"].startswith("29 ")  # the most frequent classes are kept


def test_constant_predictions_and_a_single_class_draw_without_warnings() -> None:
    y_true = np.array([0, 1, 0, 1, 1])
    constant = np.full((5, 2), 0.5)
    drawn = figures.classification_figures(y_true, np.ones(5, dtype=int), constant, [0, 1])
    assert values(drawn["roc"]["data"][0]["y"]).tolist() == [0.0, 1.0]  # one step: chance
    only_ones = figures.classification_figures(np.ones(5, dtype=int), y_true, constant, [0, 1])
    # No curve exists for a single class: the figure says so instead of failing.
    assert only_ones["roc"]["layout"]["title"]["text"].startswith("ROC curve (needs")
    assert [trace["name"] for trace in only_ones["roc"]["data"]] == ["chance"]


def test_residuals_are_sampled_with_the_seed() -> None:
    rng = np.random.default_rng(1)
    y_true = rng.normal(size=5000)
    y_pred = y_true + rng.normal(scale=0.1, size=5000)
    first = figures.residuals_figure(y_true, y_pred, seed=3)
    points = first["data"][0]
    assert len(values(points["x"])) == MAX_SCATTER_POINTS
    assert "1000 of 5000" in first["layout"]["title"]["text"]
    assert first == figures.residuals_figure(y_true, y_pred, seed=3)
    assert first != figures.residuals_figure(y_true, y_pred, seed=4)
    small = figures.residuals_figure(y_true[:400], y_pred[:400])
    residuals = values(small["data"][0]["y"])
    assert np.allclose(residuals, (y_true - y_pred)[:400], atol=1e-6)
    assert size(small) < SIZE_LIMIT


def test_permutation_importance_names_columns_and_keeps_the_top_ones() -> None:
    X, y = make_classification(300, 25, n_informative=3, n_redundant=0, random_state=0)
    frame = pd.DataFrame(X, columns=[f"feature {i}" for i in range(25)])
    model = LogisticRegression().fit(frame, y)
    figure = figures.permutation_importance_figure(model, frame, y, "accuracy", seed=0)
    bars = figure["data"][0]
    assert len(bars["y"]) == MAX_IMPORTANCE_FEATURES
    importances = values(bars["x"])
    assert list(importances) == sorted(importances)  # the largest drawn on top
    top = bars["y"][-1]
    assert top.startswith("feature ")
    coefficients = np.abs(model.coef_[0])
    assert int(top.split()[1]) in np.argsort(-coefficients)[:3]
    assert size(figure) < SIZE_LIMIT
    on_arrays = LogisticRegression().fit(X, y)
    unnamed = figures.permutation_importance_figure(on_arrays, X[:50], y[:50], "accuracy")
    assert all(name.startswith("x") for name in unnamed["data"][0]["y"])


@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_stacked_permutation_importances_agree_with_scikit_learn(task: str) -> None:
    """Shuffled copies predicted together measure what sklearn's one-by-one calls measure: on
    a frame with a categorical column through a pipeline, and on an array."""
    from sklearn.inspection import permutation_importance

    from tests.evaluation.evaluate_data import dataset

    model, X, y = dataset(task)
    model.fit(X, y)
    scoring = "r2" if task == "regression" else "accuracy"
    ours = figures.permutation_importances(model, X, y, scoring, repeats=10, seed=0)
    theirs = permutation_importance(model, X, y, scoring=scoring, n_repeats=10, random_state=0)
    assert ours.shape == theirs.importances.shape
    assert np.allclose(ours.mean(axis=1), theirs.importances_mean, atol=0.05)
    assert np.argmax(ours.mean(axis=1)) == np.argmax(theirs.importances_mean)
    assert ours.std(axis=1).max() > 0  # shuffled anew for every repeat
