"""What autolog records of a fit besides params, metrics and the model: the estimator's HTML
diagram, the training dataset, a search's results (child runs, cv_results.csv) and
cross_validate's folds. Each function logs one record; autolog.py calls each under its guard,
so that one failing does not lose the others.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.utils import estimator_html_repr

from studio.tracking import sklearn_payload as payload
from studio.tracking.autolog_guard import guard
from studio.tracking.datasets import describe_dataset, log_dataset

if TYPE_CHECKING:
    from studio.tracking.fluent import Run

__all__ = [
    "ESTIMATOR_HTML",
    "log_cv_results",
    "log_estimator_html",
    "log_search",
    "log_training_dataset",
]

ESTIMATOR_HTML = "estimator.html"
AUTOLOG_TAG = "studio.autolog"
_STUDIO_TAG_PREFIX = "studio."  # tags Studio sets on a run, not the user's own
_MAX_PARAMS_PER_CALL = 1000  # TrackingService.log_batch's limit


def log_estimator_html(run: Run, estimator: Any) -> None:
    """scikit-learn's diagram of the estimator (steps, params), as the artifact estimator.html."""
    log_text(run, estimator_html_repr(estimator), ESTIMATOR_HTML)


def log_training_dataset(run: Run, X: Any, y: Any, name: str) -> None:
    if X is None or isinstance(X, Iterator):  # a generator was consumed by the fit
        return
    log_dataset(run, describe_dataset(X, y, name=name, context="train"))


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
