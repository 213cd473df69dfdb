"""The stacked ensemble that competes as one more candidate.

Its members are the best complete candidate of each algorithm (the top few). It is scored
without fitting anything new: the search already holds every member's out-of-fold features
(probabilities, or predictions for regression), so a meta-learner is cross-validated on them
over the same folds. That is what scikit-learn's `StackingClassifier` would compute, and the
model built here (refitted only if the ensemble wins and its refit fits the allowance) is that
estimator with the same folds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from studio.evaluation.automl_estimators import score, stack_features
from studio.evaluation.automl_search import CandidateRecord
from studio.evaluation.automl_space import Candidate, make_candidate_pipeline

if TYPE_CHECKING:
    from studio.evaluation.automl_workers import SearchData

__all__ = [
    "ENSEMBLE_ALGORITHM",
    "all_rows_fit_seconds",
    "ensemble_members",
    "make_stacked_model",
    "refit_seconds",
    "score_ensemble",
]

ENSEMBLE_ALGORITHM = "stacked_ensemble"
MAX_MEMBERS = 5


def ensemble_members(
    records: list[CandidateRecord], maximize: bool, folds: int
) -> list[CandidateRecord]:
    """The best complete candidate of each algorithm, best first, at most `MAX_MEMBERS`;
    empty when fewer than two algorithms completed."""
    best: dict[str, CandidateRecord] = {}
    for record in records:
        if record.state != "complete" or len(record.features) != folds or record.score is None:
            continue
        held = best.get(record.candidate.algorithm)
        if held is None or _better(record.score, held.score, maximize):
            best[record.candidate.algorithm] = record
    members = sorted(best.values(), key=lambda record: record.score or 0.0, reverse=maximize)[
        :MAX_MEMBERS
    ]
    return members if len(members) >= 2 else []


def score_ensemble(members: list[CandidateRecord], data: SearchData) -> CandidateRecord:
    """The ensemble as a candidate, scored by cross-validating the meta-learner on the
    members' out-of-fold features (fit time: the meta-learner's)."""
    import time

    meta_features = np.hstack([_out_of_fold(member, data) for member in members])
    names = ", ".join(f"{member.candidate.algorithm} #{member.number}" for member in members)
    record = CandidateRecord(
        number=-1,
        candidate=Candidate(ENSEMBLE_ALGORITHM, "members' own", {"members": names}),
        ensemble=True,
    )
    for fold, (train, held_out) in enumerate(data.folds):
        meta = _meta_learner(data.task)
        started = time.perf_counter()
        meta.fit(meta_features[train], data.y[train])
        record.fit_times.append(time.perf_counter() - started)
        features = stack_features(meta, meta_features[held_out], data.task, data.classes)
        predicted = (
            features[:, 0] if data.task == "regression" else meta.predict(meta_features[held_out])
        )
        record.scores.append(
            score(data.metric, data.task, data.y[held_out], predicted, features, data.classes)
        )
        record.features[fold] = features
    record.state = "complete"
    return record


def make_stacked_model(
    members: list[CandidateRecord],
    data: SearchData,
    splitter: Any,
    preprocessing: Mapping[str, Mapping[str, Any]],
) -> Any:
    """The unfitted StackingClassifier/Regressor of the members, over the search's folds."""
    from sklearn.ensemble import StackingClassifier, StackingRegressor

    estimators = [
        (
            f"{member.candidate.algorithm}_{member.number}",
            make_candidate_pipeline(member.candidate, data.X, data.task, preprocessing, data.seed),
        )
        for member in members
    ]
    if data.task == "regression":
        return StackingRegressor(estimators, final_estimator=_meta_learner(data.task), cv=splitter)
    return StackingClassifier(estimators, final_estimator=_meta_learner(data.task), cv=splitter)


def refit_seconds(members: list[CandidateRecord], folds: int) -> float:
    """An estimate of the stacked model's refit: each member fitted once per fold and once on
    all the data (a fold's fit time scaled up to all the rows)."""
    return sum(all_rows_fit_seconds(member, folds) * (folds + 1) for member in members)


def all_rows_fit_seconds(record: CandidateRecord, folds: int) -> float:
    """A candidate's fold fit time scaled up to every row (a fold fits on (folds - 1) / folds
    of them)."""
    return (record.fit_time or 0.0) * folds / max(folds - 1, 1)


def _out_of_fold(member: CandidateRecord, data: SearchData) -> np.ndarray:
    width = next(iter(member.features.values())).shape[1]
    matrix = np.zeros((len(data.y), width))
    for fold, (_, held_out) in enumerate(data.folds):
        matrix[held_out] = member.features[fold]
    return matrix


def _meta_learner(task: str) -> Any:
    from sklearn.linear_model import LogisticRegression, RidgeCV

    return RidgeCV() if task == "regression" else LogisticRegression(max_iter=1000)


def _better(score: float, other: float | None, maximize: bool) -> bool:
    return other is None or (score > other if maximize else score < other)
