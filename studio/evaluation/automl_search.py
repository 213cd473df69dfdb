"""The search: an Optuna study (TPE with a constant liar, successive halving over CV folds)
that the calling process owns and feeds one fold at a time to an executor.

The study lives in memory and only this process writes to it (ask/tell), so a worker killed
at the deadline leaves nothing half-written: its trial is told FAIL here. Each candidate is
handed to `on_candidate` as soon as it completes, is pruned or fails, so that the leaderboard
fills in live.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from studio.evaluation.automl_space import Candidate, enqueued_params, suggest_candidate
from studio.evaluation.automl_workers import FoldExecutor, FoldResult, FoldTask, SearchData

if TYPE_CHECKING:
    import optuna

__all__ = ["CandidateRecord", "run_search"]

STOPPED_AT_DEADLINE = "stopped at the time budget"


@dataclass
class CandidateRecord:
    """A candidate as the search saw it: its folds' scores and out-of-fold features."""

    number: int
    candidate: Candidate
    state: str = "running"  # then complete, pruned, failed or stopped
    scores: list[float] = field(default_factory=list)
    fit_times: list[float] = field(default_factory=list)
    features: dict[int, np.ndarray] = field(default_factory=dict, repr=False)
    error: str | None = None
    run_id: str | None = None
    ensemble: bool = False

    @property
    def score(self) -> float | None:
        return float(np.mean(self.scores)) if self.scores else None

    @property
    def std(self) -> float | None:
        return float(np.std(self.scores)) if self.scores else None

    @property
    def fit_time(self) -> float | None:
        return float(np.mean(self.fit_times)) if self.fit_times else None


def run_search(
    data: SearchData,
    search_space: Mapping[str, Mapping[str, Any]],
    executor: FoldExecutor,
    deadline: float,
    *,
    maximize: bool,
    seed: int,
    on_candidate: Callable[[CandidateRecord], None],
) -> list[CandidateRecord]:
    """Search until `deadline` (a `time.monotonic()` value); return every candidate tried.

    The executor is closed at the deadline, whatever it is running."""
    import optuna
    from optuna.trial import TrialState

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="maximize" if maximize else "minimize",
        sampler=optuna.samplers.TPESampler(seed=seed, constant_liar=True),
        # One rung, after 3 folds: the better half goes on (a running mean over fewer folds
        # of a small data set is too noisy to cut harder).
        pruner=optuna.pruners.SuccessiveHalvingPruner(min_resource=2, reduction_factor=2),
    )
    defaults = enqueued_params(search_space)
    for params in defaults:
        study.enqueue_trial(params, skip_if_exists=True)
    folds = len(data.folds)
    records: list[CandidateRecord] = []
    active: dict[int, tuple[optuna.trial.Trial, CandidateRecord]] = {}

    def finish(number: int, state: str, value: float | None = None) -> None:
        trial, record = active.pop(number)
        record.state = state
        optuna_state = {
            "complete": TrialState.COMPLETE,
            "pruned": TrialState.PRUNED,
            "failed": TrialState.FAIL,
            # Cut off by the deadline: not a failure of the candidate, but not scored either.
            "stopped": TrialState.FAIL,
        }[state]
        study.tell(trial, value if state == "complete" else None, state=optuna_state)
        on_candidate(record)

    try:
        while time.monotonic() < deadline:
            while len(active) < executor.slots:
                trial = study.ask()
                record = CandidateRecord(trial.number, suggest_candidate(trial, search_space))
                records.append(record)
                active[trial.number] = (trial, record)
                executor.submit(FoldTask(trial.number, record.candidate, 0))
            result = executor.next_result(deadline - time.monotonic())
            if result is None or result.key not in active:  # a worker's "ready" message too
                continue
            trial, record = active[result.key]
            if not _record_fold(record, result):
                finish(result.key, "failed")
                continue
            trial.report(float(np.mean(record.scores)), result.fold)
            if result.fold + 1 == folds:
                finish(result.key, "complete", float(np.mean(record.scores)))
            # The defaults always complete: the ensemble needs its diverse members.
            elif trial.number >= len(defaults) and trial.should_prune():
                finish(result.key, "pruned")
            else:
                executor.submit(FoldTask(result.key, record.candidate, result.fold + 1))
    finally:
        executor.close()
    for number in list(active):
        active[number][1].error = STOPPED_AT_DEADLINE
        finish(number, "stopped")
    return records


def _record_fold(record: CandidateRecord, result: FoldResult) -> bool:
    if result.error is not None or result.score is None:
        record.error = result.error or "no score"
        return False
    record.scores.append(result.score)
    record.fit_times.append(result.fit_time)
    if result.features is not None:
        record.features[result.fold] = result.features
    return True
