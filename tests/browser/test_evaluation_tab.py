"""The run panel's Evaluation tab in a real JupyterLab, over evaluations `studio.evaluate` logged.

A logistic regression on breast cancer's means is evaluated twice into one run: 3-fold CV with two
thresholds (one met, one not), then as fitted on a test set; the run also lists its training
and test data (`log_dataset`). A ridge on diabetes is evaluated on a holdout into another run.
The tab shows the newest evaluation first, each metric beside the baseline's as
`studio.evaluate` returned them, the folds and the threshold badges under CV, and every figure
drawn by plotly (an SVG with its marks: the confusion matrix's cells, the curves, the
importance bars, the residual points) in the light and the dark theme.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.page_registry import studio_home
from tests.browser.pages import DARK_THEME, LIGHT_THEME, format_number, luminance

if TYPE_CHECKING:
    from tests.browser.lab import LabServer
    from tests.browser.pages import StudioPage

EXPERIMENT = "ui-evaluation"
THRESHOLDS = {"accuracy": ">= 0.9", "roc_auc": ">= 0.9999"}
CV_FOLDS = 3
CLASSIFIER_FIGURES = ["confusion_matrix", "roc", "pr", "calibration", "permutation_importance"]
REGRESSOR_FIGURES = ["residuals", "permutation_importance"]
# A fifth of diabetes' 442 rows (train_test_split rounds the test share up).
HOLDOUT_ROWS = 89
# Breast cancer's first ten features (the means): permutation importance, which shuffles each
# five times, costs a third of all thirty's. It draws a bar for each (up to 20).
FEATURES = 10


@dataclass
class Evaluated:
    classifier_run: str
    regressor_run: str
    cv: Any  # studio.evaluate's Evaluation
    test: Any
    holdout: Any
    datasets: list[dict[str, Any]]


def evaluate_runs(home: Path) -> Evaluated:
    """The evaluations the tab shows, logged through Studio's Python API into the session's
    JupyterLab's store."""
    from sklearn.datasets import load_breast_cancer, load_diabetes
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import studio
    from studio.tracking.datasets import describe_dataset, log_dataset

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X = X.iloc[:, :FEATURES]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    with studio_home(home):
        with studio.start_run(experiment=EXPERIMENT, name="logreg") as run:
            datasets = [
                describe_dataset(X_train, y_train, name="X_train"),
                describe_dataset(X_test, y_test, name="X_test", context="eval"),
            ]
            for info in datasets:
                log_dataset(run, info)
            cv = studio.evaluate(
                model, X_train, y_train, cv=CV_FOLDS, run=run, thresholds=THRESHOLDS
            )
            model.fit(X_train, y_train)
            test = studio.evaluate(model, X_train, y_train, test=(X_test, y_test), run=run)
            classifier_run = run.id
        Xr, yr = load_diabetes(return_X_y=True, as_frame=True)
        with studio.start_run(experiment=EXPERIMENT, name="ridge") as run:
            holdout = studio.evaluate(Ridge(), Xr, yr, holdout=0.2, run=run)
            regressor_run = run.id
    return Evaluated(classifier_run, regressor_run, cv, test, holdout, datasets)


@pytest.fixture(scope="module")
def evaluated(lab: LabServer, lab_base: Path) -> Iterator[Evaluated]:
    try:
        yield evaluate_runs(lab_base / "studio-home")
    finally:
        # The sidebar's tests count the seeded experiments.
        for found in lab.api("GET", "experiments")[1]["experiments"]:
            if found["name"] == EXPERIMENT:
                lab.api("DELETE", f"experiments/{found['id']}")


def shown(values: dict[str, float]) -> dict[str, str]:
    return {name: format_number(value) for name, value in values.items()}


def test_evaluation_tab_metrics_thresholds_and_figures(
    studio: StudioPage, evaluated: Evaluated
) -> None:
    panel = studio.open_evaluation(evaluated.classifier_run)
    # The newest first, and shown.
    assert studio.evaluation_labels(panel) == {"test": True, "cv": False}
    table = studio.evaluation_metrics(panel)
    assert {name: row["model"] for name, row in table.items()} == shown(evaluated.test.metrics)
    assert {name: row["baseline"] for name, row in table.items()} == shown(evaluated.test.baseline)
    assert "std" not in table["accuracy"]
    assert studio.threshold_badges(panel) == {}
    assert studio.evaluation_verdict(panel) is None
    figures = studio.evaluation_figures(panel, CLASSIFIER_FIGURES)
    assert studio.figure_names(panel) == CLASSIFIER_FIGURES
    assert figures["confusion_matrix"]["heatmaps"] == 1
    assert figures["roc"]["lines"] >= 2  # the curve and the chance diagonal
    assert figures["pr"]["lines"] >= 1
    assert figures["calibration"]["points"] >= 1
    assert figures["permutation_importance"]["bars"] == FEATURES
    studio.screenshot("evaluation_test_figures", panel)
    studio.scroll_to_evaluation_top(panel)
    studio.screenshot("evaluation_test", panel)

    studio.choose_evaluation(panel, "cv")
    table = studio.evaluation_metrics(panel)
    assert {name: row["model"] for name, row in table.items()} == shown(evaluated.cv.metrics)
    assert table["accuracy"]["std"] == f"± {format_number(evaluated.cv.std['accuracy'])}"
    assert studio.evaluation_folds(panel) == [str(fold) for fold in range(CV_FOLDS)]
    assert (
        studio.threshold_badges(panel)
        == evaluated.cv.passed
        == {
            "accuracy": True,
            "roc_auc": False,
        }
    )
    assert studio.evaluation_verdict(panel) is False
    studio.evaluation_figures(panel, CLASSIFIER_FIGURES)
    studio.scroll_to_evaluation_top(panel)
    studio.screenshot("evaluation_cv", panel)

    studio.change_theme(DARK_THEME)
    try:
        assert studio.is_dark(panel)
        # Each figure drawn again on the panel's own background, its title light.
        background = studio.background(panel)
        figures = studio.evaluation_figures(panel, CLASSIFIER_FIGURES, paper=background)
        for name, figure in figures.items():
            assert luminance(figure["titleColour"]) > 0.5, (name, figure["titleColour"])
        studio.screenshot("dark_evaluation_cv_figures", panel)
        studio.scroll_to_evaluation_top(panel)
        studio.screenshot("dark_evaluation_cv", panel)
    finally:
        studio.change_theme(LIGHT_THEME)


def test_evaluation_of_a_regressor_and_the_run_datasets(
    studio: StudioPage, evaluated: Evaluated
) -> None:
    panel = studio.open_evaluation(evaluated.regressor_run)
    assert studio.evaluation_labels(panel) == {"holdout": True}
    table = studio.evaluation_metrics(panel)
    assert {name: row["model"] for name, row in table.items()} == shown(evaluated.holdout.metrics)
    figures = studio.evaluation_figures(panel, REGRESSOR_FIGURES)
    # A point per held-out row, and the zero line.
    assert figures["residuals"]["points"] == HOLDOUT_ROWS
    assert figures["residuals"]["lines"] == 1
    studio.screenshot("evaluation_holdout", panel)

    panel = studio.open_run(evaluated.classifier_run)
    expected = [
        [info["name"], info["context"], f"{info['rows']} \u00d7 {info['columns']}", info["digest"]]
        for info in evaluated.datasets
    ]
    assert studio.datasets(panel) == expected
    studio.screenshot("run_datasets", panel)
