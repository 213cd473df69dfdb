"""`studio.automl`: an Optuna search over preprocessing pipelines and algorithms, as tracked runs.

One call explores the data (a notebook), searches within `time_budget` seconds (candidates fit
fold by fold in parallel worker processes or Dask tasks; each is a child run), lets a stacked
ensemble of the best compete, refits the winner on all the data, evaluates it with
`studio.evaluate`, registers it and writes the candidate-definition notebook. The search's
wall time holds the budget (workers still fitting at the deadline are stopped); what follows
(ensemble, refit, evaluation, registration) is measured apart as `post_seconds` and kept
within `POST_ALLOWANCE` of the budget where the models allow it (an ensemble whose refit would
not fit is not chosen).
"""

from __future__ import annotations

import json
import math
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from studio.errors import InvalidInput
from studio.evaluation import automl_record as record
from studio.evaluation.automl_data import (
    features_and_target,
    make_splitter,
    name_of,
    read_data,
    task_and_metric,
)
from studio.evaluation.automl_ensemble import (
    all_rows_fit_seconds,
    ensemble_members,
    make_stacked_model,
    refit_seconds,
    score_ensemble,
)
from studio.evaluation.automl_estimators import estimator_modules, greater_is_better
from studio.evaluation.automl_notebooks import (
    write_candidates_notebook,
    write_exploration_notebook,
)
from studio.evaluation.automl_search import STOPPED_AT_DEADLINE, CandidateRecord, run_search
from studio.evaluation.automl_space import (
    default_preprocessing,
    default_search_space,
    make_candidate_pipeline,
    validate_space,
)
from studio.evaluation.automl_workers import SearchData, make_executor

# Imported here, not after the search: it loads plotly, which takes seconds on a busy machine.
from studio.evaluation.evaluate import Evaluation, evaluate
from studio.tracking.fluent import active_run, start_run

if TYPE_CHECKING:
    from studio.tracking.fluent import Run

__all__ = ["POST_ALLOWANCE", "AutoML", "automl"]

POST_ALLOWANCE = 0.15
# The ensemble's refits (its own, and its evaluation's) may take this share of what is left of
# the allowance; the rest goes to the evaluation's predictions and figures, saving and
# registering, which grow with the ensemble's members.
ENSEMBLE_SHARE = 0.5
PACE_DAMPING = 0.05
WORKER_START_TIMEOUT = 60.0
NotebooksDir = str | Path | Literal[False] | None


@dataclass
class AutoML:
    """The result of a search: the leaderboard, the refitted best model and where it went."""

    leaderboard: pd.DataFrame
    best_model: Any
    best_run_id: str | None
    run_id: str
    task: str
    metric: str
    model_version: Any = None
    notebooks: dict[str, str] = field(default_factory=dict)
    search_seconds: float = 0.0
    post_seconds: float = 0.0
    evaluation: Evaluation | None = None
    warnings: list[str] = field(default_factory=list)


def automl(
    data: Any,
    target: str,
    *,
    task: str | None = None,
    metric: str | None = None,
    time_budget: float = 300,
    experiment: str | None = None,
    seed: int = 0,
    n_workers: int | None = None,
    executor: Any = "local",
    register_as: str | Literal[False] | None = None,
    notebooks_dir: NotebooksDir = None,
    search_space: Mapping[str, Mapping[str, Any]] | None = None,
    preprocessing: Mapping[str, Mapping[str, Any]] | None = None,
    test_data: Any = None,
    name: str | None = None,
) -> AutoML:
    """Search pipelines for predicting `target` in `data` (a DataFrame, or a .csv/.parquet
    path) for `time_budget` seconds, then refit, evaluate and register the best.

    The task ("binary", "multiclass", "regression") and the metric (accuracy or r2) are
    inferred when not given. Candidates run on `n_workers` spawned processes (default: one
    per core), or on Dask with `executor="dask"` or a `distributed.Client`. Each is a child
    run of the search's run, in `experiment` (default "automl-<data name>"). The best model
    is registered as `register_as` (default "<data name>-automl"; False: not registered).
    It is evaluated on `test_data` when given (the same columns), else on a 20% holdout.
    The exploration and candidate-definition notebooks go to `notebooks_dir` (default:
    "<data stem>.automl/" beside a file, "automl-<name>-<run>/" in the working folder for a
    DataFrame, with the data saved there; False: none). `search_space` and `preprocessing`
    replace the defaults (`studio.evaluation.automl_space`; the candidates notebook shows
    both as dictionaries to edit).
    """
    if not time_budget or time_budget <= 0:
        raise InvalidInput("time_budget must be a positive number of seconds.")
    frame = read_data(data)
    data_name = name or name_of(data)
    X, y = features_and_target(frame, target)
    task, metric = task_and_metric(task, metric, y)
    maximize = greater_is_better(metric)
    classes = np.unique(y) if task != "regression" else np.array([])
    splitter = make_splitter(task, y, seed)
    preprocessing_used = {k: dict(v) for k, v in (preprocessing or default_preprocessing()).items()}
    space = {
        k: dict(v)
        for k, v in (search_space or default_search_space(task, len(X), X.shape[1])).items()
        if not (metric == "log_loss" and k == "svm")  # decision values are no probabilities
    }
    validate_space(space, preprocessing_used, task)
    search_data = SearchData(
        X=X,
        y=y,
        folds=list(splitter.split(X, y)),
        task=task,
        metric=metric,
        classes=classes,
        preprocessing=preprocessing_used,
        seed=seed,
    )
    with start_run(
        experiment=experiment or f"automl-{data_name}",
        name=f"automl {data_name}",
        nested=active_run() is not None,  # a child of the caller's run, when there is one
    ) as run:
        run.set_tags(
            {
                record.AUTOML_TAG: "1",
                record.PHASE_TAG: "exploring",
                record.TARGET_TAG: target,
                record.TASK_TAG: task,
                record.METRIC_TAG: metric,
                record.DATA_TAG: (
                    str(Path(data).expanduser().resolve())
                    if isinstance(data, str | Path)
                    else data_name
                ),
            }
        )
        _log_new_params(run, {"time_budget": time_budget, "seed": seed})
        try:
            return _run(
                run, frame, data, data_name, target, search_data, splitter, space,
                time_budget=time_budget, seed=seed, maximize=maximize, n_workers=n_workers,
                executor=executor, register_as=register_as, notebooks_dir=notebooks_dir,
                test_data=test_data,
            )  # fmt: skip
        except BaseException:
            run.set_tags({record.PHASE_TAG: "failed"})
            raise


def _run(
    run: Run,
    frame: pd.DataFrame,
    data: Any,
    data_name: str,
    target: str,
    search_data: SearchData,
    splitter: Any,
    search_space: dict[str, dict[str, Any]],
    *,
    time_budget: float,
    seed: int,
    maximize: bool,
    n_workers: int | None,
    executor: Any,
    register_as: str | Literal[False] | None,
    notebooks_dir: NotebooksDir,
    test_data: Any,
) -> AutoML:
    from studio.evaluation.automl_explore import data_warnings

    task, metric = search_data.task, search_data.metric
    explore_started = time.monotonic()
    # The workers start (spawn, imports) while the data is explored and the notebooks are
    # written; the search's clock starts once they can fit.
    pool = make_executor(executor, search_data, n_workers, estimator_modules(list(search_space)))
    try:
        # Imported now rather than to save the model after the search: it takes seconds.
        import skops.io  # noqa: F401

        found_warnings = data_warnings(frame, target, task)
        notebooks = _write_notebooks(
            run, data, data_name, frame, target, search_data, search_space, notebooks_dir,
            time_budget=time_budget, seed=seed,
        )  # fmt: skip
        pool.wait_ready(WORKER_START_TIMEOUT)
        run.log_metric(record.EXPLORATION_SECONDS, time.monotonic() - explore_started)
        run.set_tags({record.PHASE_TAG: "searching"})
        started = time.monotonic()
        records = run_search(
            search_data,
            search_space,
            pool,
            started + time_budget,
            maximize=maximize,
            seed=seed,
            on_candidate=lambda candidate: record.log_candidate(run, candidate, metric),
        )
    except BaseException:
        pool.close()
        raise
    search_seconds = time.monotonic() - started
    post_started = time.monotonic()
    run.set_tags({record.PHASE_TAG: "refitting"})
    best, model = _refit_best(
        run,
        records,
        search_data,
        splitter,
        maximize,
        time_budget * POST_ALLOWANCE,
        # A holdout evaluation fits the winner once more.
        refits=1 if test_data is not None else 2,
    )
    refitted = time.monotonic()
    evaluation = _evaluate(model, search_data, test_data, target, run, seed)
    evaluated = time.monotonic()
    model_version = None
    run.log_model(model, input_example=search_data.X.head(5))
    if register_as is not False:
        from studio.registry.api import register_model

        model_version = register_model(run.id, register_as or f"{data_name}-automl")
        found_warnings += _approval_warnings(model_version)
    ended = time.monotonic()
    post_seconds = ended - post_started
    run.log_metrics(
        {
            record.SEARCH_SECONDS: search_seconds,
            record.POST_SECONDS: post_seconds,
            # The parts of post_seconds: ensemble and refit, evaluation, saving and registering.
            "refit_seconds": refitted - post_started,
            "evaluation_seconds": evaluated - refitted,
            "registration_seconds": ended - evaluated,
            "best_cv_score": best.score or 0.0,
        }
    )
    tags = {record.PHASE_TAG: "done", record.BEST_RUN_TAG: best.run_id or ""}
    if model_version is not None:
        tags[record.MODEL_TAG] = f"{model_version.name}/{model_version.version}"
    run.set_tags(tags)
    return AutoML(
        leaderboard=pd.DataFrame(record.candidate_rows(records, maximize, best)),
        best_model=model,
        best_run_id=best.run_id,
        run_id=run.id,
        task=task,
        metric=metric,
        model_version=model_version,
        notebooks=notebooks,
        search_seconds=search_seconds,
        post_seconds=post_seconds,
        evaluation=evaluation,
        warnings=found_warnings,
    )


def _refit_best(
    run: Run,
    records: list[CandidateRecord],
    data: SearchData,
    splitter: Any,
    maximize: bool,
    allowance: float,
    refits: int,
) -> tuple[CandidateRecord, Any]:
    """Refit the best single candidate, let the stacked ensemble compete, and refit it instead
    when it wins and its refit is predicted to fit what is left of `allowance`.

    The single best is refitted first: it is the fallback, and its refit measures how much
    slower a fit on every row is here than the search's fold fits were in the workers (a busy
    machine, a parent process that shares its cores), which the ensemble's prediction uses."""
    started = time.monotonic()
    complete = [r for r in records if r.state == "complete" and r.score is not None]
    if not complete:
        errors = [r.error for r in records if r.error and r.error != STOPPED_AT_DEADLINE]
        raise InvalidInput(
            f"No candidate completed its {len(data.folds)} folds within the time budget "
            f"({len(records)} started): give a larger time_budget."
            + (f" A candidate failed with: {errors[0]}" if errors else "")
        )
    best = (max if maximize else min)(complete, key=lambda r: r.score or 0.0)
    model = _fitted(
        make_candidate_pipeline(best.candidate, data.X, data.task, data.preprocessing, data.seed),
        data,
    )
    members = ensemble_members(records, maximize, len(data.folds))
    if not members:
        return best, model
    single_seconds = time.monotonic() - started
    ensemble = score_ensemble(members, data)
    better = _ensemble_wins(ensemble, best, maximize, len(data.folds))
    if better:
        needed = (
            refits
            * refit_pace(single_seconds, best, len(data.folds))
            * refit_seconds(members, len(data.folds))
        )
        left = allowance - (time.monotonic() - started)
        if needed > left * ENSEMBLE_SHARE:
            ensemble.state = "pruned"
            ensemble.error = "its refit would not fit the time allowed after the search"
    record.log_candidate(run, ensemble, data.metric)
    records.append(ensemble)
    if better and ensemble.state == "complete":
        stacked = make_stacked_model(members, data, splitter, data.preprocessing)
        return ensemble, _fitted(stacked, data)
    return best, model


def refit_pace(single_seconds: float, best: CandidateRecord, folds: int) -> float:
    """How many times longer a fit on every row takes here than the search's fold fits
    predict (at least 1): the single best's refit against its fold fit time scaled to every
    row. A few milliseconds on both sides keep a tiny model's noise from deciding."""
    expected = all_rows_fit_seconds(best, folds)
    return max(1.0, (single_seconds + PACE_DAMPING) / (expected + PACE_DAMPING))


def _fitted(model: Any, data: SearchData) -> Any:
    _with_probabilities(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a candidate's convergence warnings, seen in the search
        model.fit(data.X, data.y)
    return model


def _with_probabilities(model: Any) -> None:
    """A classifier searched without probabilities (an SVM: the search scores its decisions)
    is calibrated for the model that is kept, as scikit-learn advises in place of
    `SVC(probability=True)`: evaluation's ROC, PR and log loss, endpoints' and batch
    transform's class probabilities need them. Its decisions are fitted on every row."""
    from sklearn.base import is_classifier
    from sklearn.calibration import CalibratedClassifierCV

    if not hasattr(model, "steps"):
        return
    name, final = model.steps[-1]
    if is_classifier(final) and not hasattr(final, "predict_proba"):
        model.steps[-1] = (name, CalibratedClassifierCV(final, method="sigmoid", ensemble=False))


def _ensemble_wins(
    ensemble: CandidateRecord, best: CandidateRecord, maximize: bool, folds: int
) -> bool:
    """The one-standard-error rule: the ensemble wins unless the best single candidate beats it
    by more than the standard error of that candidate's mean over the folds. The best of many
    candidates is flattered by being picked (its score is a maximum over noisy estimates); the
    ensemble's is one estimate. Measured on the benchmark's datasets (20 s budgets), the
    refitted ensemble scored at least the best single candidate on held-out data on every one,
    while its CV score was up to 0.015 lower."""
    if ensemble.score is None or best.score is None:
        return False
    margin = (best.std or 0.0) / math.sqrt(folds)
    if maximize:
        return ensemble.score >= best.score - margin
    return ensemble.score <= best.score + margin


def _evaluate(
    model: Any, data: SearchData, test_data: Any, target: str, run: Run, seed: int
) -> Evaluation:
    """`studio.evaluate` logged on the search's run: the refitted model on `test_data`, or,
    without test data, a clone fitted on 80% of the rows and scored on the rest."""
    from sklearn.base import clone

    if test_data is not None:
        X_test, y_test = features_and_target(read_data(test_data), target)
        return evaluate(
            model, data.X, data.y, test=(X_test, y_test), task=data.task, run=run, seed=seed
        )
    return evaluate(clone(model), data.X, data.y, holdout=0.2, task=data.task, run=run, seed=seed)


def _write_notebooks(
    run: Run,
    data: Any,
    data_name: str,
    frame: pd.DataFrame,
    target: str,
    search_data: SearchData,
    search_space: dict[str, dict[str, Any]],
    notebooks_dir: NotebooksDir,
    *,
    time_budget: float,
    seed: int,
) -> dict[str, str]:
    if notebooks_dir is False:
        return {}
    if notebooks_dir is not None:
        folder = Path(notebooks_dir).expanduser().resolve()
    elif isinstance(data, str | Path):
        source = Path(data).expanduser().resolve()
        folder = source.parent / f"{source.stem}.automl"
    else:
        folder = Path.cwd() / f"automl-{data_name}-{run.id[:8]}"
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str | Path):
        data_path = str(Path(data).expanduser().resolve())
    else:
        data_path = str(folder / "data.parquet")
        frame.to_parquet(data_path)
    exploration = write_exploration_notebook(folder, data_path, target, search_data.task)
    candidates = write_candidates_notebook(
        folder,
        {
            "data_path": data_path,
            "target": target,
            "task": search_data.task,
            "metric": search_data.metric,
            "time_budget": time_budget,
            "seed": seed,
            "experiment": f"automl-{data_name}",
        },
        search_data.preprocessing,
        search_space,
        len(search_data.folds),
    )
    notebooks = {"exploration": str(exploration), "candidates": str(candidates)}
    for path in (exploration, candidates):
        run.log_artifact(path, f"notebooks/{path.name}")
    run.set_tags({record.NOTEBOOKS_TAG: json.dumps(notebooks)})
    return notebooks


def _approval_warnings(model_version: Any) -> list[str]:
    """A winner built on a library skops does not trust by default (LightGBM, XGBoost) is
    registered, but cannot be loaded or served until a person approves its types: say so
    where the user looks, rather than at the first failing deploy."""
    from studio.tracking.model_trust import needs_approval

    pending = needs_approval(model_version.untrusted_types)
    if not pending:
        return []
    return [
        f"Model {model_version.name} version {model_version.version} needs approval in the "
        f"registry before it is loaded or served: it holds types that are not trusted by "
        f"default ({', '.join(pending)})."
    ]


def _log_new_params(run: Run, params: Mapping[str, Any]) -> None:
    """Params not already on the run: a job's run holds its notebook parameters already."""
    existing = run.record.params
    run.log_params({key: value for key, value in params.items() if key not in existing})
