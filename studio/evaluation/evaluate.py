"""`studio.evaluate`: offline evaluation of a model, beside a baseline, logged to a run.

    studio.evaluate(model, X, y)                          # 5-fold CV of clones of `model`
    studio.evaluate(model, X, y, holdout=0.2)             # one clone, 20% held out
    studio.evaluate(model, X, y, test=(X_test, y_test))   # `model` as fitted, on a test set

The metrics go to the run with plain names (`accuracy`, `r2`...), because the registry's gates
read those; the summary and figures go to `evaluation/<label>/` (`evaluation_record`), which
the run panel's Evaluation tab draws. How the folds are fitted and scored is
`studio.evaluation.scoring`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import pandas as pd
from sklearn.base import is_classifier, is_regressor
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from studio.evaluation.metrics import metrics_for
from studio.evaluation.scoring import Scored, Validation, score_model
from studio.evaluation.tasks import check_task, is_classification, target_values
from studio.registry.gates import GateResult, check_gates, parse_condition
from studio.tracking.backends import connect
from studio.tracking.evaluation_record import describe_model, log_evaluation
from studio.tracking.fluent import Run, active_run, start_run

if TYPE_CHECKING:
    from studio.evaluation.tasks import Task

__all__ = ["EVALUATION_EXPERIMENT", "PASSED_TAG", "Evaluation", "evaluate"]

EVALUATION_EXPERIMENT = "evaluation"
PASSED_TAG = "studio.evaluation.passed"
# Tags, not params: a run evaluated twice (CV, then a test set) says how it was last evaluated,
# and a param can never change.
VALIDATION_TAG = "studio.evaluation.validation"
TASK_TAG = "studio.evaluation.task"
DEFAULT_FOLDS = 5


@dataclass(frozen=True)
class Evaluation:
    """What `evaluate` measured; `metrics` are the folds' means under CV."""

    task: str
    metrics: dict[str, float]
    baseline: dict[str, float]
    std: dict[str, float] = field(default_factory=dict)
    folds: pd.DataFrame | None = None
    passed: dict[str, bool] = field(default_factory=dict)
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)
    run_id: str | None = None
    label: str = ""


def evaluate(
    model: Any,
    X: Any,
    y: Any,
    *,
    holdout: float | None = None,
    cv: int | None = None,
    test: tuple[Any, Any] | None = None,
    task: str | None = None,
    run: Run | str | None = None,
    thresholds: Mapping[str, str] | None = None,
    seed: int = 0,
) -> Evaluation:
    """Evaluate `model` on `X`, `y` and log it to a run.

    With `holdout` (a fraction) or `cv` (a number of folds), clones of `model` are fitted on
    the training part and score the held-out part; with `test=(X_test, y_test)`, `model` as
    given (fitted) scores the test set. None of them: 5-fold CV. A baseline (a dummy that
    predicts the prior or the mean) is scored on the same splits. `thresholds` such as
    `{"accuracy": ">= 0.9"}` (the registry's gate syntax) record a pass or fail per metric.
    `run`: a Run, a run id, or None for the active run (or a run of its own in experiment
    "evaluation" when none is active).
    """
    validation = _validation(holdout, cv, test)
    _check_estimator(model)
    X = _table(X, "X")
    y_values = target_values(y)
    _check_lengths(X, y_values, "X", "y")
    checked_task = check_task(task, y_values)
    _check_model_task(model, checked_task)
    gates = _thresholds(thresholds, checked_task)
    X_test = y_test = None
    if test is not None:
        X_test, y_test = _test_set(model, test)
    target = _attached(run)  # a wrong run id fails here, before any fitting
    scored = score_model(
        model, X, y_values, checked_task, validation, X_test=X_test, y_test=y_test, seed=seed
    )
    results = check_gates(gates, scored.metrics)
    evaluation = Evaluation(
        task=checked_task,
        metrics=scored.metrics,
        baseline=scored.baseline,
        std=scored.std,
        folds=_folds_frame(scored) if validation.kind == "cv" else None,
        passed={result.metric: result.passed for result in results},
        figures=scored.figures,
        label=validation.kind,
    )
    with _logging_run(target, model) as logged:
        _log(logged, evaluation, scored, validation, results, describe_model(model))
    return replace(evaluation, run_id=logged.id)


# Input checks: every one before any fit ----------------------------------------------------


def _validation(holdout: Any, cv: Any, test: Any) -> Validation:
    options = (("holdout", holdout), ("cv", cv), ("test", test))
    given = [name for name, value in options if value is not None]
    if len(given) > 1:
        raise ValueError(
            f"Give one way to validate, not {' and '.join(given)}: holdout= (a "
            "fraction held out), cv= (a number of folds) or test= (X_test, y_test)."
        )
    if test is not None:
        return Validation("test", 0, 0.0, "test set")
    if holdout is not None:
        if isinstance(holdout, bool) or not isinstance(holdout, int | float):
            raise TypeError(f"holdout must be a fraction such as 0.2, not {holdout!r}.")
        if not 0 < holdout < 1:
            raise ValueError(f"holdout must be between 0 and 1 (a fraction), not {holdout!r}.")
        return Validation("holdout", 1, float(holdout), f"holdout {holdout:.0%}")
    folds = DEFAULT_FOLDS if cv is None else cv
    if isinstance(folds, bool) or not isinstance(folds, int):
        raise TypeError(f"cv must be a number of folds such as 5, not {cv!r}.")
    if folds < 2:
        raise ValueError(f"cv must be at least 2 folds, not {folds}.")
    return Validation("cv", folds, 0.0, f"{folds}-fold CV")


def _check_estimator(model: Any) -> None:
    if not (hasattr(model, "fit") and hasattr(model, "predict")):
        raise TypeError(
            f"model must be an estimator with fit and predict (scikit-learn's API), not "
            f"{type(model).__name__}."
        )


def _table(X: Any, name: str) -> Any:
    """X as scikit-learn takes it: a DataFrame or a sparse matrix as is, else a 2-D array."""
    if isinstance(X, pd.DataFrame) or hasattr(X, "tocsr"):
        table = X
    elif isinstance(X, pd.Series):
        raise ValueError(f"{name} must be a table (2-D), not a Series: use {name}.to_frame().")
    else:
        import numpy as np

        table = np.asarray(X)
        if table.ndim != 2:
            raise ValueError(f"{name} must be a table (2-D), not of shape {table.shape}.")
    if table.shape[0] == 0:
        raise ValueError(f"{name} has no rows.")
    return table


def _check_lengths(X: Any, y: Any, x_name: str, y_name: str) -> None:
    if X.shape[0] != len(y):
        raise ValueError(
            f"{x_name} and {y_name} differ in length: {X.shape[0]} rows against {len(y)} values."
        )


def _check_model_task(model: Any, task: Task) -> None:
    if is_classification(task) and is_regressor(model):
        raise ValueError(f"A regressor cannot be evaluated on a {task} task.")
    if task == "regression" and is_classifier(model):
        raise ValueError("A classifier cannot be evaluated on a regression task.")


def _thresholds(thresholds: Mapping[str, str] | None, task: Task) -> dict[str, str]:
    if thresholds is None:
        return {}
    if not isinstance(thresholds, Mapping):
        raise TypeError("thresholds must be a dict such as {'accuracy': '>= 0.9'}.")
    known = metrics_for(task)
    for metric, condition in thresholds.items():
        if metric not in known:
            raise ValueError(
                f"Unknown metric {metric!r} in thresholds: a {task} evaluation reports "
                f"{', '.join(known)}."
            )
        parse_condition(condition)  # InvalidInput (a ValueError) naming the condition
    return dict(thresholds)


def _test_set(model: Any, test: Any) -> tuple[Any, Any]:
    if not isinstance(test, tuple | list) or len(test) != 2:
        raise TypeError("test must be a pair (X_test, y_test).")
    try:
        check_is_fitted(model)
    except NotFittedError:
        raise ValueError(
            f"test= scores the model as given, and this {type(model).__name__} is not fitted: "
            "fit it first, or use holdout= or cv= to fit clones of it."
        ) from None
    X_test = _table(test[0], "X_test")
    y_test = target_values(test[1])
    _check_lengths(X_test, y_test, "X_test", "y_test")
    return X_test, y_test


# The run ----------------------------------------------------------------------------------


def _attached(run: Run | str | None) -> Run | None:
    if run is None or isinstance(run, Run):
        return run
    if not isinstance(run, str):
        raise TypeError(f"run must be a Run, a run id or None, not {type(run).__name__}.")
    connection = connect()
    return Run(connection, connection.backend.get_run(run), owned=False)


@contextmanager
def _logging_run(target: Run | None, model: Any) -> Iterator[Run]:
    """The run to log to; a run of its own (ended here) when none was given nor active."""
    chosen = target or active_run()
    if chosen is not None:
        yield chosen
        chosen.flush()
        return
    final = model.steps[-1][1] if isinstance(getattr(model, "steps", None), list) else model
    with start_run(EVALUATION_EXPERIMENT, name=f"evaluate-{type(final).__name__}") as own:
        yield own


def _log(
    run: Run,
    evaluation: Evaluation,
    scored: Scored,
    validation: Validation,
    results: list[GateResult],
    model_name: str,
) -> None:
    run.log_metrics(evaluation.metrics)
    run.log_metrics({f"{name}_std": value for name, value in evaluation.std.items()})
    run.log_metrics({f"baseline_{name}": value for name, value in evaluation.baseline.items()})
    for fold, metrics in enumerate(scored.fold_metrics if validation.kind == "cv" else []):
        run.log_metrics({f"cv_{name}": value for name, value in metrics.items()}, step=fold)
    run.set_tags({VALIDATION_TAG: validation.description, TASK_TAG: evaluation.task})
    passed = all(result.passed for result in results) if results else None
    if passed is not None:
        run.set_tag(PASSED_TAG, "true" if passed else "false")
    summary = {
        "task": evaluation.task,
        "validation": validation.description,
        "model": model_name,
        "rows": scored.rows,
        "metrics": evaluation.metrics,
        "std": evaluation.std,
        "baseline": evaluation.baseline,
        "baseline_model": scored.baseline_model,
        "folds": [
            {"fold": fold, "metrics": metrics} for fold, metrics in enumerate(scored.fold_metrics)
        ]
        if validation.kind == "cv"
        else [],
        "thresholds": [
            {
                "metric": result.metric,
                "condition": result.condition,
                "value": result.value,
                "passed": result.passed,
            }
            for result in results
        ],
        "passed": passed,
    }
    log_evaluation(run, validation.kind, summary, evaluation.figures)


def _folds_frame(scored: Scored) -> pd.DataFrame:
    frame = pd.DataFrame(scored.fold_metrics)
    frame.insert(0, "fold", range(len(frame)))
    return frame
