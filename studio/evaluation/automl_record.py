"""How an AutoML search is recorded in tracking, and read back for the REST routes.

A search is a parent run tagged `studio.automl` = "1"; its candidates are finished child runs.
This module owns every tag name, writes the candidates and reads both back as the wire models
(`AutoMLOut`, `AutoMLDetailOut`), so that the writer and the reader cannot drift apart.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from studio.evaluation.automl_estimators import greater_is_better
from studio.evaluation.schemas import AutoMLDetailOut, AutoMLOut, CandidateOut
from studio.jobs.lifecycle import TAG_JOB_RUN

if TYPE_CHECKING:
    from studio.evaluation.automl_search import CandidateRecord
    from studio.tracking.entities import RunPage, RunRecord
    from studio.tracking.fluent import Run
    from studio.tracking.service import TrackingService

__all__ = [
    "AUTOML_TAG",
    "candidate_rows",
    "log_candidate",
    "read_automl",
    "read_leaderboard",
]

AUTOML_TAG = "studio.automl"
PHASE_TAG = f"{AUTOML_TAG}.phase"
TARGET_TAG = f"{AUTOML_TAG}.target"
TASK_TAG = f"{AUTOML_TAG}.task"
METRIC_TAG = f"{AUTOML_TAG}.metric"
DATA_TAG = f"{AUTOML_TAG}.data"
NOTEBOOKS_TAG = f"{AUTOML_TAG}.notebooks"
BEST_RUN_TAG = f"{AUTOML_TAG}.best_run"
MODEL_TAG = f"{AUTOML_TAG}.model"
JOB_RUN_TAG = TAG_JOB_RUN
CANDIDATE_TAG = f"{AUTOML_TAG}.candidate"
STATE_TAG = f"{AUTOML_TAG}.state"
ALGORITHM_TAG = f"{AUTOML_TAG}.algorithm"
PREPROCESSING_TAG = f"{AUTOML_TAG}.preprocessing"
ENSEMBLE_TAG = f"{AUTOML_TAG}.ensemble"
ERROR_TAG = f"{AUTOML_TAG}.error"
EXPLORATION_SECONDS = "exploration_seconds"
SEARCH_SECONDS = "search_seconds"
POST_SECONDS = "post_seconds"
_STATUS = {"complete": "FINISHED", "pruned": "FINISHED", "failed": "FAILED", "stopped": "KILLED"}
_STATES = ("running", "complete", "pruned", "failed", "stopped")
_ENDED_BADLY = ("FAILED", "KILLED")
_PHASES = ("exploring", "searching", "refitting", "done", "failed")
_TASKS = ("binary", "multiclass", "regression")


def log_candidate(parent: Run, record: CandidateRecord, metric: str) -> None:
    """The candidate as a finished child run of `parent`: readable params, `cv_<metric>` per
    fold (step = fold), `cv_score` (mean), `cv_score_std` and `fit_time` (mean per fold)."""
    now = int(time.time() * 1000)
    points = [(f"cv_{metric}", value, fold, now) for fold, value in enumerate(record.scores)]
    if record.score is not None and record.state == "complete":
        points += [("cv_score", record.score, 0, now), ("cv_score_std", record.std or 0.0, 0, now)]
    if record.fit_time is not None:
        points.append(("fit_time", record.fit_time, 0, now))
    tags = {
        CANDIDATE_TAG: record.candidate.name,
        STATE_TAG: record.state,
        ALGORITHM_TAG: record.candidate.algorithm,
        PREPROCESSING_TAG: record.candidate.preprocessing,
    }
    if record.ensemble:
        tags[ENSEMBLE_TAG] = "1"
    if record.error:
        tags[ERROR_TAG] = record.error[:500]
    name = (
        "stacked ensemble" if record.ensemble else f"{record.candidate.algorithm} #{record.number}"
    )
    record.run_id = parent.add_child_run(
        name,
        params=record.candidate.readable_params(),
        tags=tags,
        metrics=points,
        status=_STATUS[record.state],
    )


def candidate_rows(
    records: list[CandidateRecord], maximize: bool, best: CandidateRecord
) -> list[dict[str, Any]]:
    """The leaderboard's rows: the model chosen first (the stacked ensemble may be chosen
    within a standard error of the best score), the other complete candidates by score, then
    the pruned and failed ones."""
    ranked = sorted(
        (record for record in records if record.state == "complete" and record.score is not None),
        key=lambda record: _rank_key(record is best, record.score, maximize),
    )
    rest = [record for record in records if record not in ranked]
    rows = []
    for index, record in enumerate([*ranked, *rest]):
        rows.append(
            {
                "rank": index + 1 if index < len(ranked) else None,
                "pipeline": record.candidate.name,
                "algorithm": record.candidate.algorithm,
                "preprocessing": record.candidate.preprocessing,
                "score": record.score,
                "std": record.std,
                "folds": len(record.scores),
                "fit_time": record.fit_time,
                "state": record.state,
                "ensemble": record.ensemble,
                "run_id": record.run_id,
                "params": record.candidate.readable_params(),
            }
        )
    return rows


# Reading back -------------------------------------------------------------------------------


def is_automl(run: RunRecord) -> bool:
    return run.tags.get(AUTOML_TAG) == "1"


def read_automl(run: RunRecord, tracking: TrackingService) -> AutoMLOut:
    """The search's summary from its parent run's tags and metrics and its children's counts.

    The list is polled while a search runs: counts and the best score come from small
    searches (one row each) rather than from reading every candidate of every search."""

    def first(filter: str | None = None, order_by: list[str] | None = None) -> RunPage:
        return tracking.search_runs(
            [run.experiment_id],
            parent_run_id=run.id,
            filter=filter,
            order_by=order_by,
            max_results=1,
            include_total=True,
        )

    complete = f"tags.`{STATE_TAG}` = 'complete'"
    best_id = run.tags.get(BEST_RUN_TAG, "")
    # Anyone's tag, written into a filter: only a run id's characters.
    chosen = best_id.isascii() and best_id.isalnum()
    best = first(f"{complete} and attributes.run_id = '{best_id}'") if chosen else None
    if best is None or not best.runs:
        direction = "desc" if _maximize(run.tags.get(METRIC_TAG, "")) else "asc"
        best = first(f"{complete} and metrics.cv_score > -1e308", [f"metrics.cv_score {direction}"])
    summary = _summary(
        run,
        candidates=first().total or 0,
        pruned=first(f"tags.`{STATE_TAG}` = 'pruned'").total or 0,
        best_score=_metric(best.runs[0], "cv_score") if best.runs else None,
    )
    return AutoMLOut(**summary)


def read_leaderboard(run: RunRecord, tracking: TrackingService) -> AutoMLDetailOut:
    children = _children(run, tracking)
    maximize = _maximize(run.tags.get(METRIC_TAG, ""))
    candidates = [_candidate(child) for child in children]
    best = run.tags.get(BEST_RUN_TAG)
    ranked = sorted(
        (c for c in candidates if c.state == "complete" and c.score is not None),
        key=lambda c: _rank_key(c.run_id == best, c.score, maximize),
    )
    ranked = [c.model_copy(update={"rank": index + 1}) for index, c in enumerate(ranked)]
    rest = [c for c in candidates if c.state != "complete" or c.score is None]
    rest.sort(key=lambda c: (-c.folds, c.name))
    return AutoMLDetailOut(**_leaderboard_summary(run, children), leaderboard=[*ranked, *rest])


def _children(run: RunRecord, tracking: TrackingService) -> list[RunRecord]:
    found: list[RunRecord] = []
    token: str | None = None
    while True:
        page = tracking.search_runs(
            [run.experiment_id], parent_run_id=run.id, max_results=1000, page_token=token
        )
        found.extend(page.runs)
        token = page.next_page_token
        if not token:
            return found


def _leaderboard_summary(run: RunRecord, children: list[RunRecord]) -> dict[str, Any]:
    maximize = _maximize(run.tags.get(METRIC_TAG, ""))
    scored = [
        child.metrics["cv_score"].last
        for child in children
        if "cv_score" in child.metrics and child.tags.get(STATE_TAG) == "complete"
    ]
    chosen = [
        child.metrics["cv_score"].last
        for child in children
        if child.id == run.tags.get(BEST_RUN_TAG) and "cv_score" in child.metrics
    ]
    best = chosen[0] if chosen else (max if maximize else min)(scored) if scored else None
    pruned = sum(1 for child in children if child.tags.get(STATE_TAG) == "pruned")
    return _summary(run, candidates=len(children), pruned=pruned, best_score=best)


def _summary(
    run: RunRecord, *, candidates: int, pruned: int, best_score: float | None
) -> dict[str, Any]:
    tags = run.tags
    metric = tags.get(METRIC_TAG, "")
    maximize = _maximize(metric)
    model = tags.get(MODEL_TAG, "")
    model_name, _, model_version = model.rpartition("/")
    phase = tags.get(PHASE_TAG, "exploring")
    task = tags.get(TASK_TAG, "")
    job_run = tags.get(JOB_RUN_TAG, "")
    return {
        "run_id": run.id,
        "name": run.name,
        "experiment_id": run.experiment_id,
        "status": run.status.value,
        # A search that failed before it could say so (in its first steps, or killed) ended
        # its run all the same.
        "phase": phase
        if phase in _PHASES and not (phase != "done" and run.status.value in _ENDED_BADLY)
        else "failed",
        "target": tags.get(TARGET_TAG, ""),
        "task": task if task in _TASKS else "binary",
        "metric": metric,
        "greater_is_better": maximize,
        "time_budget": _whole_number(run.params.get("time_budget", "")),
        "data": tags.get(DATA_TAG, ""),
        "started_at": run.start_time,
        "ended_at": run.end_time,
        "search_seconds": _metric(run, SEARCH_SECONDS),
        "post_seconds": _metric(run, POST_SECONDS),
        "candidates": candidates,
        "pruned": pruned,
        "best_run_id": tags.get(BEST_RUN_TAG) or None,
        "best_score": best_score,
        "model_name": model_name or None,
        "model_version": _digits(model_version),
        "notebooks": _notebooks(tags.get(NOTEBOOKS_TAG)),
        "job_run_id": _digits(job_run),
    }


def _candidate(child: RunRecord) -> CandidateOut:
    tags = child.tags
    state = tags.get(STATE_TAG, "failed")
    fold_scores = [
        summary
        for key, summary in child.metrics.items()
        if key.startswith("cv_") and key not in ("cv_score", "cv_score_std")
    ]
    return CandidateOut(
        rank=None,
        run_id=child.id,
        name=tags.get(CANDIDATE_TAG, child.name),
        algorithm=tags.get(ALGORITHM_TAG, ""),
        preprocessing=tags.get(PREPROCESSING_TAG, ""),
        state=state if state in _STATES else "failed",
        score=_metric(child, "cv_score"),
        std=_metric(child, "cv_score_std"),
        folds=fold_scores[0].count if fold_scores else 0,
        fit_time=_metric(child, "fit_time"),
        params=dict(child.params),
        ensemble=tags.get(ENSEMBLE_TAG) == "1",
    )


def _rank_key(chosen: bool, score: float | None, maximize: bool) -> tuple[bool, float]:
    """The leaderboard's order: the model chosen first, then the best score."""
    value = score or 0.0
    return (not chosen, -value if maximize else value)


# A run's tags and params are anyone's to write: what does not parse is read as absent.


def _maximize(metric: str) -> bool:
    try:
        return greater_is_better(metric)
    except KeyError:
        return True


def _digits(value: str) -> int | None:
    # str.isdigit() also accepts '²', which int() refuses.
    return int(value) if value.isascii() and value.isdigit() else None


def _whole_number(value: str) -> int:
    try:
        number = float(value)
    except ValueError:
        return 0
    return int(number) if math.isfinite(number) else 0


def _metric(run: RunRecord, key: str) -> float | None:
    summary = run.metrics.get(key)
    return None if summary is None else summary.last


def _notebooks(value: str | None) -> dict[str, str]:
    if not value:
        return {}
    try:
        loaded = json.loads(value)
    except (ValueError, RecursionError):
        return {}
    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, Mapping) else {}
