"""`studio.evaluate` refuses bad input with a message that says what to change, before it fits
anything or starts a run."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

import studio
from studio.config import HOME_ENV
from studio.errors import NotFound
from studio.evaluation.metrics import score_predictions
from studio.evaluation.tasks import check_task, infer_task
from tests.evaluation.evaluate_data import binary_frame, local_tracking, regression_arrays
from tests.tracking.logging_store import STUDIO_VARIABLES

if TYPE_CHECKING:
    from studio.tracking.service import TrackingService


@pytest.fixture
def tracking(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TrackingService]:
    with local_tracking(database_url, tmp_path / "home", monkeypatch) as service:
        yield service


X, Y = binary_frame()
X_REG, Y_REG = regression_arrays()


def classifier() -> Any:
    return LogisticRegression()


BAD: dict[str, tuple[Callable[[], Any], type[Exception], str]] = {
    "unfitted model with test=": (
        lambda: studio.evaluate(classifier(), X, Y, test=(X, Y)),
        ValueError,
        "LogisticRegression is not fitted: fit it first",
    ),
    "two split options": (
        lambda: studio.evaluate(classifier(), X, Y, holdout=0.2, cv=3),
        ValueError,
        "not holdout and cv",
    ),
    "lengths differ": (
        lambda: studio.evaluate(classifier(), X, Y[:-5]),
        ValueError,
        "240 rows against 235 values",
    ),
    "test lengths differ": (
        lambda: studio.evaluate(classifier().fit(X, Y), X, Y, test=(X.iloc[:10], Y.iloc[:9])),
        ValueError,
        "X_test and y_test differ in length",
    ),
    "unknown task": (
        lambda: studio.evaluate(classifier(), X, Y, task="ranking"),
        ValueError,
        "Unknown task 'ranking'",
    ),
    "threshold on an unknown metric": (
        lambda: studio.evaluate(classifier(), X, Y, thresholds={"r2": ">= 0.5"}),
        ValueError,
        "Unknown metric 'r2' in thresholds: a binary evaluation reports accuracy",
    ),
    "threshold without an operator": (
        lambda: studio.evaluate(classifier(), X, Y, thresholds={"accuracy": "0.9"}),
        ValueError,
        "Invalid condition '0.9'",
    ),
    "holdout is not a fraction": (
        lambda: studio.evaluate(classifier(), X, Y, holdout=20),
        ValueError,
        "between 0 and 1",
    ),
    "one fold": (lambda: studio.evaluate(classifier(), X, Y, cv=1), ValueError, "at least 2"),
    "more folds than rows": (
        lambda: studio.evaluate(classifier(), X.iloc[:4], Y.iloc[:4], cv=5),
        ValueError,
        "cv=5 folds need at least as many rows, not 4",
    ),
    "not an estimator": (
        lambda: studio.evaluate("forest", X, Y),
        TypeError,
        "an estimator with fit and predict",
    ),
    "a regressor on labels": (
        lambda: studio.evaluate(LinearRegression(), X, Y),
        ValueError,
        "A regressor cannot be evaluated on a binary task",
    ),
    "a classifier on quantities": (
        lambda: studio.evaluate(classifier(), X_REG, Y_REG),
        ValueError,
        "A classifier cannot be evaluated on a regression task",
    ),
    "missing target values": (
        lambda: studio.evaluate(classifier(), X, Y.where(Y.index > 2)),
        ValueError,
        "y has 3 missing values",
    ),
    "a single class": (
        lambda: studio.evaluate(classifier(), X, np.zeros(240, dtype=int)),
        ValueError,
        "a single class",
    ),
    "X is one column": (
        lambda: studio.evaluate(classifier(), X["f0"], Y),
        ValueError,
        "not a Series",
    ),
    "run of another type": (
        lambda: studio.evaluate(classifier(), X, Y, run=3),
        TypeError,
        "run must be a Run, a run id or None",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_refused_before_any_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    home = tmp_path / "home"
    for name in STUDIO_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(HOME_ENV, str(home))
    call, error, message = BAD[case]
    with pytest.raises(error, match=message.replace("(", r"\(")):
        call()
    assert not home.exists()  # no store was opened: no run, nothing logged


def test_an_unknown_run_id_is_refused_before_fitting(tracking: TrackingService) -> None:
    with pytest.raises(NotFound):
        studio.evaluate(classifier(), X, Y, run="0" * 32)


def test_task_inference_and_checks() -> None:
    assert infer_task(["a", "b", "a"]) == "binary"
    assert infer_task([True, False]) == "binary"
    assert infer_task([0, 1, 2, 2]) == "multiclass"
    assert infer_task([0.5, 1.0, 2.0]) == "regression"
    assert infer_task(np.arange(300) % 25) == "regression"  # 25 values > max(20, 5% of 300)
    assert infer_task(np.arange(1000) % 25) == "multiclass"  # 25 values < 5% of 1000
    assert check_task("classification", ["x", "y", "z"]) == "multiclass"
    assert check_task("classification", [1, 0]) == "binary"
    with pytest.raises(ValueError, match="task='binary' but y holds 3 classes"):
        check_task("binary", [0, 1, 2])
    with pytest.raises(ValueError, match="must be numeric"):
        check_task("regression", ["a", "b"])
    with pytest.raises(ValueError, match="y mixes labels of types int, str: convert them"):
        check_task(None, np.array(["a", 1, "b", 2], dtype=object))


def test_metrics_stay_defined_where_a_fold_lacks_classes() -> None:
    """A class predicted but absent from y_true, another never predicted, one row of a
    regression: the metrics that exist are given (no warning), the undefined ones left out."""
    scores = score_predictions(
        "multiclass",
        ["a", "a", "b", "b"],
        ["a", "c", "b", "b"],
        [[0.8, 0.1, 0.1], [0.2, 0.2, 0.6], [0.1, 0.8, 0.1], [0.3, 0.6, 0.1]],
        ["a", "b", "c"],
    )
    assert scores["accuracy"] == 0.75
    assert scores["balanced_accuracy"] == 0.75  # over the classes in y_true
    assert scores["roc_auc"] == 0.875  # a: 0.75, b: 1; c, never true, left out
    only_one = score_predictions("binary", [1, 1], [1, 0], [[0.2, 0.8], [0.6, 0.4]], [0, 1])
    assert "roc_auc" not in only_one
    assert set(score_predictions("regression", [3.0], [2.0])) == {"mae", "rmse", "mape"}
