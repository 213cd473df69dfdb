"""`studio.evaluate` on each task with each validation, against scikit-learn's own numbers,
and what it logs: plain metrics, per-fold values, the baseline, thresholds, the record."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics
from sklearn.base import clone
from sklearn.metrics import accuracy_score, log_loss, mean_absolute_error, r2_score
from sklearn.model_selection import StratifiedKFold, cross_val_score

import studio
from studio.evaluation.metrics import CLASSIFICATION_METRICS, REGRESSION_METRICS
from studio.tracking.evaluation_record import read_evaluations
from tests.evaluation.evaluate_data import (
    binary_frame,
    classifier,
    dataset,
    local_tracking,
    regression_arrays,
    regressor,
    split,
)

if TYPE_CHECKING:
    from studio.tracking.service import TrackingService


@pytest.fixture
def tracking(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TrackingService]:
    with local_tracking(database_url, tmp_path / "home", monkeypatch) as service:
        yield service


def history(tracking: TrackingService, run_id: str, key: str) -> list[tuple[int, float]]:
    found = tracking.get_metric_history(run_id, key)
    return list(zip(found.steps, found.values, strict=True))


CLASSIFICATION_FIGURES = {"confusion_matrix", "roc", "pr", "calibration", "permutation_importance"}
REGRESSION_FIGURES = {"residuals", "permutation_importance"}


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
@pytest.mark.parametrize("validation", ["holdout", "cv", "test"])
def test_each_task_with_each_validation(
    tracking: TrackingService, task: str, validation: str
) -> None:
    model, X, y = dataset(task)
    if validation == "holdout":
        result = studio.evaluate(model, X, y, holdout=0.25)
        rows = 60
    elif validation == "cv":
        result = studio.evaluate(model, X, y, cv=2)
        rows = 240
    else:
        X_train, y_train, X_test, y_test = split(X, y)
        result = studio.evaluate(
            model.fit(X_train, y_train), X_train, y_train, test=(X_test, y_test)
        )
        rows = 60
    names = REGRESSION_METRICS if task == "regression" else CLASSIFICATION_METRICS
    assert result.task == task
    assert result.label == validation
    assert list(result.metrics) == list(names)
    assert list(result.baseline) == list(names)
    main = "r2" if task == "regression" else "accuracy"
    assert result.metrics[main] > result.baseline[main] + 0.2  # every model here learns
    assert set(result.figures) == (
        REGRESSION_FIGURES if task == "regression" else CLASSIFICATION_FIGURES
    )
    (record,) = read_evaluations(tracking, result.run_id)
    assert record["label"] == validation
    assert record["rows"] == rows
    assert record["task"] == task
    assert set(record["figures"]) == set(result.figures)
    if validation == "cv":
        assert result.folds is not None
        assert list(result.folds["fold"]) == [0, 1]
        assert len(record["folds"]) == 2
        assert set(result.std) == set(names)
    else:
        assert result.folds is None
        assert result.std == {}
        assert record["folds"] == []


def test_cv_is_the_default_and_matches_scikit_learn_fold_by_fold(
    tracking: TrackingService,
) -> None:
    X, y = binary_frame()
    result = studio.evaluate(classifier(), X, y)
    expected = cross_val_score(
        classifier(), X, y, cv=StratifiedKFold(5, shuffle=True, random_state=0)
    )
    assert result.folds is not None
    assert np.allclose(result.folds["accuracy"], expected)
    assert result.metrics["accuracy"] == pytest.approx(expected.mean())
    assert result.std["accuracy"] == pytest.approx(expected.std())
    # The baseline predicts the majority class: its accuracy is that class's share.
    assert result.baseline["accuracy"] == pytest.approx(max(y.mean(), 1 - y.mean()), abs=0.01)
    assert result.baseline["roc_auc"] == 0.5

    # Logged with plain names (the registry's gates read those), per fold at its step, in a
    # run of its own in experiment "evaluation", ended.
    run = tracking.get_run(result.run_id)
    assert run.status.value == "FINISHED"
    assert tracking.get_experiment(run.experiment_id).name == "evaluation"
    assert run.name == "evaluate-LogisticRegression"  # the pipeline's estimator
    assert run.metrics["accuracy"].last == pytest.approx(expected.mean())
    assert run.metrics["accuracy_std"].last == pytest.approx(expected.std())
    assert run.metrics["baseline_accuracy"].last == result.baseline["accuracy"]
    folds = history(tracking, result.run_id, "cv_accuracy")
    assert [step for step, _ in folds] == [0, 1, 2, 3, 4]
    assert np.allclose([value for _, value in folds], expected)
    assert run.params == {}
    assert run.tags["studio.evaluation.validation"] == "5-fold CV"
    assert run.tags["studio.evaluation.task"] == "binary"
    assert "studio.evaluation.passed" not in run.tags


def test_a_test_set_scores_the_model_as_given(tracking: TrackingService) -> None:
    X, y = regression_arrays()
    X_train, y_train, X_test, y_test = split(X, y)
    model = regressor().fit(X_train[:50], y_train[:50])  # not what evaluate would fit
    result = studio.evaluate(model, X_train, y_train, test=(X_test, y_test))
    predicted = model.predict(X_test)
    assert result.metrics["r2"] == pytest.approx(r2_score(y_test, predicted))
    assert result.metrics["mae"] == pytest.approx(mean_absolute_error(y_test, predicted))
    # The baseline predicts the training mean.
    assert result.baseline["mae"] == pytest.approx(np.abs(y_test - y_train.mean()).mean())
    assert result.baseline["r2"] <= 0


def test_classification_metrics_are_scikit_learn_s(tracking: TrackingService) -> None:
    model, X, y = dataset("multiclass")
    X_train, y_train, X_test, y_test = split(X, y, rows=60)  # a weak model: errors to count
    model.fit(X_train, y_train)
    result = studio.evaluate(model, X_train, y_train, test=(X_test, y_test))
    predicted, proba = model.predict(X_test), model.predict_proba(X_test)
    expected = {
        "accuracy": metrics.accuracy_score(y_test, predicted),
        "balanced_accuracy": metrics.balanced_accuracy_score(y_test, predicted),
        "roc_auc": metrics.roc_auc_score(y_test, proba, multi_class="ovr"),
        "log_loss": metrics.log_loss(y_test, proba),
    }
    for average in ("macro", "weighted"):
        for name in ("precision", "recall", "f1"):
            score = getattr(metrics, f"{name}_score")
            expected[f"{name}_{average}"] = score(y_test, predicted, average=average)
    assert result.metrics == pytest.approx(expected)
    assert result.metrics["accuracy"] < 1


def test_a_holdout_of_string_labels_and_a_categorical_column(tracking: TrackingService) -> None:
    model, X, y = dataset("multiclass")
    result = studio.evaluate(model, X, y, holdout=0.3, seed=1)
    assert result.metrics["accuracy"] > 0.9
    matrix = result.figures["confusion_matrix"]["data"][0]
    assert matrix["x"] == ["apple", "grape", "melon"]
    importance = result.figures["permutation_importance"]["data"][0]
    assert sorted(importance["y"]) == ["colour", "size"]  # the frame's columns, not encoded
    # The same seed splits the same way; another seed does not.
    again = studio.evaluate(clone(model), X, y, holdout=0.3, seed=1)
    assert again.metrics == result.metrics
    run = tracking.get_run(result.run_id)
    assert run.tags["studio.evaluation.validation"] == "holdout 30%"


def test_thresholds_record_a_pass_or_a_fail_per_metric(tracking: TrackingService) -> None:
    X, y = binary_frame()
    X_train, y_train, X_test, y_test = split(X, y)
    model = classifier().fit(X_train, y_train)
    accuracy = accuracy_score(y_test, model.predict(X_test))
    loss = log_loss(y_test, model.predict_proba(X_test))
    gates = {"accuracy": f">= {accuracy - 0.01}", "log_loss": f"< {loss / 2}"}
    failed = studio.evaluate(model, X_train, y_train, test=(X_test, y_test), thresholds=gates)
    assert failed.passed == {"accuracy": True, "log_loss": False}
    assert tracking.get_run(failed.run_id).tags["studio.evaluation.passed"] == "false"
    (record,) = read_evaluations(tracking, failed.run_id)
    assert record["passed"] is False
    assert [(t["metric"], t["passed"]) for t in record["thresholds"]] == [
        ("accuracy", True),
        ("log_loss", False),
    ]
    assert record["thresholds"][1]["value"] == pytest.approx(loss)
    passed = studio.evaluate(
        model, X_train, y_train, test=(X_test, y_test), thresholds={"accuracy": "> 0.5"}
    )
    assert passed.passed == {"accuracy": True}
    assert tracking.get_run(passed.run_id).tags["studio.evaluation.passed"] == "true"


def test_it_logs_into_the_active_run_a_given_run_and_a_run_id(tracking: TrackingService) -> None:
    X, y = regression_arrays()
    with studio.start_run("mine") as active:
        active.log_param("alpha", 1.0)
        inside = studio.evaluate(regressor(), X, y, cv=2)
        assert studio.active_run() is active  # left active: the caller's to end
        assert inside.run_id == active.id
    assert tracking.get_run(active.id).metrics["r2"].last == inside.metrics["r2"]

    with studio.start_run("later") as later:
        pass
    X_train, y_train, X_test, y_test = split(X, y)
    model = regressor().fit(X_train, y_train)
    by_id = studio.evaluate(model, X_train, y_train, test=(X_test, y_test), run=later.id)
    assert by_id.run_id == later.id
    assert tracking.get_run(later.id).status.value == "FINISHED"  # not reopened nor ended
    by_handle = studio.evaluate(regressor(), X, y, holdout=0.2, run=later)
    assert by_handle.run_id == later.id
    # Two labels in one run, newest first; its params stay the first evaluation's.
    labels = [record["label"] for record in read_evaluations(tracking, later.id)]
    assert labels == ["holdout", "test"]
    assert tracking.get_run(later.id).tags["studio.evaluation.validation"] == "holdout 20%"
    assert len(history(tracking, later.id, "r2")) == 2  # both evaluations' values, in order
    assert history(tracking, later.id, "r2")[-1][1] == by_handle.metrics["r2"]


def test_a_fold_without_a_rare_class_still_scores(tracking: TrackingService) -> None:
    X, y = binary_frame()
    labels = np.where(y.to_numpy() == 1, "common", "other")
    labels[:3] = "rare"  # fewer than the folds: plain KFold, and some folds never see it
    result = studio.evaluate(classifier(), X, labels, cv=5)
    assert result.task == "multiclass"
    assert 0 < result.metrics["log_loss"] < 5
    assert set(result.figures["confusion_matrix"]["data"][0]["x"]) == {"common", "other", "rare"}
    assert isinstance(result.folds, pd.DataFrame)


def test_a_classifier_without_probabilities_has_no_curves(tracking: TrackingService) -> None:
    from sklearn.svm import LinearSVC

    X, y = binary_frame()
    result = studio.evaluate(LinearSVC(), X, y, holdout=0.25)
    assert "roc_auc" not in result.metrics
    assert "log_loss" not in result.metrics
    assert set(result.figures) == {"confusion_matrix", "permutation_importance"}


def test_under_autolog_only_the_evaluation_is_logged(tracking: TrackingService) -> None:
    """evaluate's fold fits and its metric calls are Studio's, not the user's: autolog leaves
    them alone, so the run holds the evaluation only (no fold models, no training_* metrics)."""
    from studio.tracking.autolog import autolog

    X, y = binary_frame()
    autolog()
    try:
        result = studio.evaluate(classifier(), X, y, cv=2)
    finally:
        autolog(disable=True)
    (run,) = tracking.search_runs().runs
    assert run.id == result.run_id
    assert not [key for key in run.metrics if key.startswith("training_")]
    assert [info.path for info in tracking.list_artifacts(run.id)] == ["evaluation"]
