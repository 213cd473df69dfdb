"""Wire models of evaluation, built-in training and AutoML.

Every limit is declared here, so that the OpenAPI document tells clients. Paths are relative to
the server's root folder and never lead out of it. Times are milliseconds since the epoch.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from studio.jobs.schemas import MAX_PATH_LENGTH, Name
from studio.wire import QueryIn, WireIn, WireOut

__all__ = [
    "MAX_HYPERPARAMETERS",
    "MAX_TIME_BUDGET",
    "AlgorithmOut",
    "AlgorithmsOut",
    "AlgorithmsQuery",
    "AutoMLDetailOut",
    "AutoMLIn",
    "AutoMLOut",
    "AutoMLsOut",
    "AutoMLsQuery",
    "CandidateOut",
    "ColumnOut",
    "DatasetIn",
    "DatasetOut",
    "EvaluationOut",
    "EvaluationsOut",
    "FoldOut",
    "HyperparameterOut",
    "ThresholdOut",
    "TrainIn",
    "ValidationIn",
]

MAX_HYPERPARAMETERS = 50
MAX_HYPERPARAMETER_TEXT = 200
MAX_TIME_BUDGET = 24 * 3600
MIN_TIME_BUDGET = 5
MAX_PREVIEW_ROWS = 20
MAX_COLUMNS_SHOWN = 1000
MAX_WARNINGS = 50

TaskName = Literal["binary", "multiclass", "regression"]
RootPath = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_PATH_LENGTH,
        description="A path relative to the server's root folder.",
    ),
]
ColumnName = Annotated[str, Field(min_length=1, max_length=500)]
ModelName = Annotated[
    str, Field(min_length=1, max_length=200, description="A registered model's name.")
]
HyperparameterValue = (
    bool | int | float | Annotated[str, Field(max_length=MAX_HYPERPARAMETER_TEXT)] | None
)


# Evaluations (a run's `evaluation/<label>/` artifacts) ----------------------------------------


class ThresholdOut(WireOut, title="ThresholdOut"):
    metric: str
    condition: str = Field(description="As written, e.g. '>= 0.9' (the registry's gate syntax).")
    value: float | None = Field(description="The metric's value; None when it was not computed.")
    passed: bool


class FoldOut(WireOut, title="FoldOut"):
    fold: int
    metrics: dict[str, float]


class EvaluationOut(WireOut, title="EvaluationOut"):
    """One evaluation of a run: `studio.evaluate`'s, or autolog's on training or held-out data."""

    label: str = Field(description="Its folder under evaluation/: holdout, cv, test, training...")
    task: TaskName
    validation: str = Field(description="In words: 'holdout 20%', '5-fold CV', 'test set'.")
    model: str = Field(description="The estimator's class, or the pipeline's steps.")
    rows: int = Field(description="Rows scored (all folds together for CV).")
    metrics: dict[str, float] = Field(description="The model's metrics (CV: the folds' means).")
    std: dict[str, float] = Field(description="CV: the folds' standard deviations; else empty.")
    baseline: dict[str, float] = Field(description="The same metrics for the dummy baseline.")
    baseline_model: str = Field(description="e.g. DummyClassifier(strategy='prior').")
    folds: list[FoldOut] = Field(description="CV: one row per fold; else empty.")
    thresholds: list[ThresholdOut]
    passed: bool | None = Field(description="Every threshold passed; None without thresholds.")
    figures: dict[str, dict[str, Any]] = Field(
        description="Plotly figures (data and layout, template-free), by name: "
        "confusion_matrix, roc, pr, calibration, residuals, permutation_importance."
    )
    created_at: int


class EvaluationsOut(WireOut, title="EvaluationsOut"):
    run_id: str
    evaluations: list[EvaluationOut] = Field(description="Newest first.")


# Built-in algorithms ------------------------------------------------------------------------


class HyperparameterOut(WireOut, title="HyperparameterOut"):
    name: str
    kind: Literal["int", "float", "choice", "bool"]
    default: HyperparameterValue
    low: float | None = Field(None, description="int/float: the smallest value allowed.")
    high: float | None = Field(None, description="int/float: the largest value allowed.")
    log: bool = Field(False, description="int/float: a log scale suits it.")
    choices: list[HyperparameterValue] | None = Field(None, description="choice: the values.")
    nullable: bool = Field(False, description="None is allowed (e.g. max_depth: unlimited).")
    help: str


class AlgorithmOut(WireOut, title="AlgorithmOut"):
    name: str = Field(description="The catalogue's key, e.g. 'hist_gradient_boosting'.")
    title: str = Field(description="For people, e.g. 'Histogram gradient boosting'.")
    tasks: list[TaskName]
    library: str = Field(description="scikit-learn, lightgbm or xgboost.")
    estimator: str = Field(description="The class it builds for the task asked about.")
    hyperparameters: list[HyperparameterOut]
    description: str


class AlgorithmsQuery(QueryIn, title="AlgorithmsQuery"):
    task: TaskName | None = Field(None, description="Only the algorithms for this task.")


class AlgorithmsOut(WireOut, title="AlgorithmsOut"):
    algorithms: list[AlgorithmOut] = Field(description="Installed algorithms only.")


class DatasetIn(WireIn, title="DatasetIn"):
    """A CSV or Parquet file to train on, and optionally its target column."""

    path: RootPath
    target: ColumnName | None = None


class ColumnOut(WireOut, title="ColumnOut"):
    name: str
    dtype: str = Field(description="The pandas dtype as read.")
    kind: Literal["numeric", "categorical", "boolean", "datetime", "text", "id"]
    missing: int
    unique: int


class DatasetOut(WireOut, title="DatasetOut"):
    path: str
    rows: int
    columns: list[ColumnOut] = Field(
        max_length=MAX_COLUMNS_SHOWN + 1,
        description=f"The first {MAX_COLUMNS_SHOWN} columns, and the target if it comes later.",
    )
    total_columns: int = Field(description="Every column of the file.")
    target: str | None
    task: TaskName | None = Field(description="Detected from the target column, when given.")
    classes: list[str] | None = Field(description="Classification: the target's classes.")
    preview: list[dict[str, Any]] = Field(
        description=f"At most {MAX_PREVIEW_ROWS} first rows, of the columns listed."
    )
    warnings: list[str] = Field(
        max_length=MAX_WARNINGS + 1, description="e.g. missing targets, an id-like column."
    )


class ValidationIn(WireIn, title="ValidationIn"):
    kind: Literal["holdout", "cv"] = "holdout"
    holdout: float = Field(0.2, gt=0, lt=1, description="holdout: the share held out.")
    folds: int = Field(5, ge=2, le=20, description="cv: the number of folds.")


class TrainIn(WireIn, title="TrainIn"):
    """Train a built-in algorithm on a file, as a notebook job."""

    path: RootPath
    target: ColumnName
    algorithm: str = Field(min_length=1, max_length=100, description="A catalogue key.")
    task: TaskName | None = Field(None, description="None: detected from the target.")
    hyperparameters: dict[Annotated[str, Field(max_length=100)], HyperparameterValue] = Field(
        default_factory=dict,
        max_length=MAX_HYPERPARAMETERS,
        description="Values for the algorithm's hyperparameters; the rest keep their defaults.",
    )
    validation: ValidationIn = Field(default_factory=ValidationIn)
    experiment: Name = Field("training", description="The job's tracking run's experiment.")
    register_as: ModelName | None = Field(None, description="Register the model under this name.")
    seed: int = Field(0, ge=0, le=2**31 - 1)


# AutoML ---------------------------------------------------------------------------------------


class AutoMLIn(WireIn, title="AutoMLIn"):
    """Run `studio.automl` on a file, as a notebook job."""

    path: RootPath
    target: ColumnName
    task: TaskName | None = Field(None, description="None: detected from the target.")
    metric: str | None = Field(
        None, max_length=100, description="None: accuracy (classification) or r2 (regression)."
    )
    time_budget: int = Field(
        300, ge=MIN_TIME_BUDGET, le=MAX_TIME_BUDGET, description="Seconds for the search."
    )
    experiment: Name | None = Field(None, description="None: 'automl-<file stem>'.")
    register_as: ModelName | None = Field(None, description="None: '<file stem>-automl'.")
    seed: int = Field(0, ge=0, le=2**31 - 1)


class CandidateOut(WireOut, title="CandidateOut"):
    rank: int | None = Field(description="1 is the best; None for pruned or failed candidates.")
    run_id: str
    name: str = Field(description="The pipeline, readable: e.g. 'impute+onehot → random_forest'.")
    algorithm: str
    preprocessing: str
    state: Literal["running", "complete", "pruned", "failed", "stopped"] = Field(
        description="stopped: still being scored when the search's time ran out."
    )
    score: float | None = Field(description="The mean CV score on the AutoML's metric.")
    std: float | None
    folds: int = Field(description="Folds scored before it completed or was pruned.")
    fit_time: float | None = Field(description="Seconds, mean over its folds.")
    params: dict[str, str]
    ensemble: bool = Field(description="The stacked ensemble of the top candidates.")


class AutoMLOut(WireOut, title="AutoMLOut"):
    run_id: str = Field(description="The AutoML's parent run; candidates are its children.")
    name: str
    experiment_id: int
    status: str = Field(description="The parent run's status: RUNNING, FINISHED, FAILED...")
    phase: Literal["exploring", "searching", "refitting", "done", "failed"]
    target: str
    task: TaskName
    metric: str
    greater_is_better: bool
    time_budget: int
    data: str = Field(description="The data's path or name.")
    started_at: int
    ended_at: int | None
    search_seconds: float | None
    post_seconds: float | None = Field(description="Refit, ensemble, evaluation, registration.")
    candidates: int
    pruned: int
    best_run_id: str | None
    best_score: float | None
    model_name: str | None
    model_version: int | None
    notebooks: dict[str, str] = Field(
        description="'exploration' and 'candidates': paths (relative to the root when inside it)."
    )
    job_run_id: int | None = Field(description="The job that runs it, when started as a job.")


class AutoMLDetailOut(AutoMLOut, title="AutoMLDetailOut"):
    leaderboard: list[CandidateOut] = Field(description="Ranked candidates first, then the rest.")


class AutoMLsQuery(QueryIn, title="AutoMLsQuery"):
    experiment_id: int | None = Field(None, ge=1, description="Only this experiment's.")
    max_results: int = Field(100, ge=1, le=1000)


class AutoMLsOut(WireOut, title="AutoMLsOut"):
    automls: list[AutoMLOut] = Field(description="Newest first.")
