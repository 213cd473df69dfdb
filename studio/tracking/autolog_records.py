"""What autolog records of a fit besides params, metrics and the model: the estimator's HTML
diagram, the training dataset, a classifier's figures on its training data (the evaluation
"training", in `evaluation_record`'s format), a search's results (child runs,
cv_results.csv) and cross_validate's folds. Each function logs one record; autolog.py calls
each under its guard, so that one failing does not lose the others.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils import _safe_indexing, estimator_html_repr

from studio.tracking import sklearn_payload as payload
from studio.tracking.autolog_guard import guard
from studio.tracking.datasets import describe_dataset, log_dataset
from studio.tracking.evaluation_record import log_evaluation
from studio.tracking.figures import confusion_matrix_figure, pr_figure, roc_figure

if TYPE_CHECKING:
    from studio.tracking.fluent import Run

__all__ = [
    "ESTIMATOR_HTML",
    "log_cv_evaluation",
    "log_cv_results",
    "log_estimator_html",
    "log_search",
    "log_training_dataset",
    "log_training_evaluation",
]

ESTIMATOR_HTML = "estimator.html"
AUTOLOG_TAG = "studio.autolog"
_STUDIO_TAG_PREFIX = "studio."  # tags Studio sets on a run, not the user's own
_MAX_PARAMS_PER_CALL = 1000  # TrackingService.log_batch's limit
TRAINING_LABEL = "training"
CV_LABEL = "cv"
# The training metrics (sklearn_payload) under the names studio.evaluate gives them.
_EVALUATION_METRICS = {
    "training_accuracy": "accuracy",
    "training_precision": "precision_weighted",
    "training_recall": "recall_weighted",
    "training_f1": "f1_weighted",
    "training_log_loss": "log_loss",
    "training_roc_auc": "roc_auc",
}


def log_estimator_html(run: Run, estimator: Any) -> None:
    """scikit-learn's diagram of the estimator (steps, params), as the artifact estimator.html."""
    log_text(run, estimator_html_repr(estimator), ESTIMATOR_HTML)


def log_training_dataset(run: Run, X: Any, y: Any, name: str) -> None:
    if X is None or isinstance(X, Iterator):  # a generator was consumed by the fit
        return
    log_dataset(run, describe_dataset(X, y, name=name, context="train"))


def log_training_evaluation(
    run: Run, model: Any, X: Any, y: Any, metrics: Mapping[str, float]
) -> None:
    """A classifier's confusion matrix, and its ROC and PR curves where it gives probabilities,
    on its training data: the evaluation "training" of the run's Evaluation tab."""
    if X is None or isinstance(X, Iterator) or y is None or np.ndim(y) != 1:
        return  # no labels, or several outputs: nothing these figures can show
    if not is_classifier(model) or not hasattr(model, "classes_"):
        return
    classes = list(model.classes_)
    figures = {"confusion_matrix": confusion_matrix_figure(y, model.predict(X), classes)}
    if hasattr(model, "predict_proba"):  # False where it is not available (SVC without it)
        proba = model.predict_proba(X)
        figures["roc"] = roc_figure(y, proba, classes)
        figures["pr"] = pr_figure(y, proba, classes)
    summary: dict[str, Any] = {
        "task": "binary" if len(classes) == 2 else "multiclass",
        "validation": "training data",
        "model": describe_model(model),
        "rows": len(y),
        "metrics": {
            name: metrics[key] for key, name in _EVALUATION_METRICS.items() if key in metrics
        },
        "std": {},
        "baseline": {},
        "baseline_model": "",
        "folds": [],
        "thresholds": [],
        "passed": None,
    }
    log_evaluation(run, TRAINING_LABEL, summary, figures)


def log_cv_evaluation(run: Run, estimator: Any, results: Mapping[str, Any], X: Any, y: Any) -> None:
    """cross_validate's folds as the evaluation "cv": the figures of a classifier's
    out-of-fold predictions (each row predicted by the model that did not see it), the folds'
    test scores, their means and standard deviations."""
    if X is None or isinstance(X, Iterator) or y is None or np.ndim(y) != 1:
        return
    models, tests = results["estimator"], results["indices"]["test"]
    truth = np.asarray(y)
    classes = list(models[0].classes_)
    probabilities = all(
        hasattr(model, "predict_proba") and list(model.classes_) == classes for model in models
    )
    predicted = np.empty_like(truth)
    proba = np.zeros((len(truth), len(classes))) if probabilities else None
    scored = np.zeros(len(truth), dtype=bool)
    for model, rows in zip(models, tests, strict=True):
        part = _safe_indexing(X, rows)
        predicted[rows] = model.predict(part)
        if proba is not None:
            proba[rows] = model.predict_proba(part)
        scored[rows] = True
    figures = {
        "confusion_matrix": confusion_matrix_figure(truth[scored], predicted[scored], classes)
    }
    if proba is not None:
        figures["roc"] = roc_figure(truth[scored], proba[scored], classes)
        figures["pr"] = pr_figure(truth[scored], proba[scored], classes)
    scores = {
        key.removeprefix("test_"): np.asarray(values, dtype=float)
        for key, values in results.items()
        if key.startswith("test_")
    }
    summary: dict[str, Any] = {
        "task": "binary" if len(classes) == 2 else "multiclass",
        "validation": f"{len(models)}-fold cross_validate (figures: out-of-fold predictions)",
        "model": describe_model(estimator),
        "rows": int(scored.sum()),
        "metrics": {name: float(np.mean(values)) for name, values in scores.items()},
        "std": {name: float(np.std(values)) for name, values in scores.items()},
        "baseline": {},
        "baseline_model": "",
        "folds": [
            {
                "fold": fold,
                "metrics": {name: float(values[fold]) for name, values in scores.items()},
            }
            for fold in range(len(models))
        ],
        "thresholds": [],
        "passed": None,
    }
    log_evaluation(run, CV_LABEL, summary, figures)


def describe_model(model: Any) -> str:
    """The estimator's class, or a pipeline's steps: `StandardScaler → LogisticRegression`
    (as `studio.evaluate` names it)."""
    steps = getattr(model, "steps", None)
    if isinstance(steps, list):
        return " → ".join(
            describe_model(step) for _name, step in steps if step not in (None, "passthrough")
        )
    return type(model).__name__


def log_text(run: Run, text: str, name: str) -> None:
    with tempfile.TemporaryDirectory(prefix="studio-autolog-") as folder:
        path = Path(folder) / Path(name).name
        path.write_text(text, encoding="utf-8")
        run.log_artifact(path, name)


def log_new_params(run: Run, params: dict[str, str]) -> None:
    """Log the params the run does not have yet. A run can hold several fits, but a param
    cannot change: a key logged before with another value keeps it, with a warning."""
    logged = run.record.params if params else {}
    new = {key: value for key, value in params.items() if key not in logged}
    for chunk in _chunks(new):
        run.log_params(chunk)
    changed = sorted(key for key, value in params.items() if logged.get(key, value) != value)
    if changed:
        kept = ", ".join(f"{key}={logged[key]!r} (not {params[key]!r})" for key in changed[:10])
        more = f" and {len(changed) - 10} more" if len(changed) > 10 else ""
        raise ValueError(f"run {run.id} already has other values, which it keeps: {kept}{more}")


# cross_validate and searches ----------------------------------------------------------------


def log_cv_results(run: Run, results: Mapping[str, Any]) -> None:
    """cross_validate's dict: per-fold `cv_<key>` (step = fold), `mean_<key>` and `std_<key>`."""
    for key, values in results.items():
        if not (key.startswith(("test_", "train_")) or key in ("fit_time", "score_time")):
            continue  # "estimator", "indices"
        folds = np.asarray(values, dtype=float)
        metric = payload.param_key(key)
        for fold, value in enumerate(folds):
            run.log_metric(f"cv_{metric}", float(value), step=fold)
        run.log_metric(f"mean_{metric}", float(np.mean(folds)))
        run.log_metric(f"std_{metric}", float(np.std(folds)))


def log_search(run: Run, search: Any) -> None:
    """best_* params, best_score, cv_results.csv and one finished child run per candidate."""
    results: Mapping[str, Any] = search.cv_results_
    if hasattr(search, "best_params_"):
        best = {
            payload.param_key(f"best_{key}"): payload.param_text(value)
            for key, value in search.best_params_.items()
        }
        guard("the best params", log_new_params, run, best)
    if hasattr(search, "best_score_"):
        run.log_metric("best_score", float(search.best_score_))
    _log_cv_results_table(run, results)
    base = getattr(search, "estimator", None)
    # A candidate is the parent's work: it carries the parent's own tags (studio.user, a
    # job's tags); add_child_run gives it the parent's source.
    inherited = {
        key: value
        for key, value in run.record.tags.items()
        if key.startswith(_STUDIO_TAG_PREFIX)
        and not key.startswith(AUTOLOG_TAG)
        and not key.startswith("studio.dataset")  # the parent's data, not each candidate's
    }
    tags = {
        **inherited,
        AUTOLOG_TAG: "sklearn",
        **(payload.estimator_tags(base) if base is not None else {}),
    }
    for index, (params, points) in enumerate(payload.search_candidates(results)):
        run.add_child_run(
            f"candidate {index}",
            params=params,
            tags={**tags, f"{AUTOLOG_TAG}.candidate": str(index)},
            metrics=points,
        )


def _log_cv_results_table(run: Run, results: Mapping[str, Any]) -> None:
    columns = list(results)
    rows = len(results["params"])
    with tempfile.TemporaryDirectory(prefix="studio-autolog-") as folder:
        path = Path(folder) / "cv_results.csv"
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            for row in range(rows):
                writer.writerow([payload.describe(results[column][row]) for column in columns])
        run.log_artifact(path, "cv_results.csv")


def _chunks(params: dict[str, str]) -> Iterator[dict[str, str]]:
    items = list(params.items())
    for start in range(0, len(items), _MAX_PARAMS_PER_CALL):
        yield dict(items[start : start + _MAX_PARAMS_PER_CALL])
