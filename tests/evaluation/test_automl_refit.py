"""What follows the search: the single best is refitted first, and the stacked ensemble replaces
it only when it wins and its refit, predicted from the members' fold fits at the pace the
single best's refit measured, fits the time left after the search."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
from sklearn.model_selection import StratifiedKFold

import studio
from studio.config import TRACKING_URI_ENV
from studio.evaluation import automl
from studio.evaluation.automl_data import features_and_target
from studio.evaluation.automl_ensemble import refit_seconds
from studio.evaluation.automl_search import CandidateRecord
from studio.evaluation.automl_space import ENCODED, SCALED, Candidate, default_preprocessing
from studio.evaluation.automl_workers import FoldTask, SearchData, run_fold
from studio.tracking.client import Client
from tests.databases import sqlite_only
from tests.evaluation.automl_frames import classification_frame
from tests.jobs.local_jobs import local_home  # noqa: F401  (a fixture)
from tests.tracking.logging_store import close_connection

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = sqlite_only

FOLDS = 3
Searched = tuple[SearchData, StratifiedKFold, list[CandidateRecord]]


@pytest.fixture
def store(local_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:  # noqa: F811
    monkeypatch.setenv(TRACKING_URI_ENV, str(local_home))
    yield local_home
    close_connection(str(local_home))


@pytest.fixture(scope="module")
def searched() -> Searched:
    """Two complete candidates of different algorithms, fitted fold by fold as the workers do."""
    X, y = features_and_target(classification_frame(200), "label")
    splitter = StratifiedKFold(FOLDS, shuffle=True, random_state=0)
    data = SearchData(
        X=X,
        y=y,
        folds=list(splitter.split(X, y)),
        task="binary",
        metric="accuracy",
        classes=np.unique(y),
        preprocessing=default_preprocessing(),
        seed=0,
    )
    candidates = [
        Candidate("logistic_regression", SCALED, {"C": 1.0}),
        Candidate("random_forest", ENCODED, {"n_estimators": 20}),
    ]
    records = []
    for number, candidate in enumerate(candidates):
        record = CandidateRecord(number, candidate, state="complete")
        for fold in range(FOLDS):
            result = run_fold(data, FoldTask(number, candidate, fold))
            assert result.error is None
            assert result.score is not None
            assert result.features is not None
            record.scores.append(result.score)
            record.fit_times.append(result.fit_time)
            record.features[fold] = result.features
        records.append(record)
    return data, splitter, records


def _refit(
    searched: Searched, allowance: float
) -> tuple[CandidateRecord, object, list[CandidateRecord]]:
    data, splitter, records = searched
    records = [
        CandidateRecord(r.number, r.candidate, r.state, r.scores, r.fit_times, r.features)
        for r in records
    ]
    with studio.start_run(experiment="refit") as run:
        best, model = automl._refit_best(
            run, records, data, splitter, True, allowance=allowance, refits=2
        )
    return best, model, records


def test_an_ensemble_that_wins_and_fits_the_allowance_is_refitted(
    store: Path, searched: Searched, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sklearn.ensemble import StackingClassifier

    monkeypatch.setattr(automl, "_ensemble_wins", lambda *args: True)
    best, model, records = _refit(searched, allowance=1_000.0)

    assert best.ensemble
    assert best.state == "complete"
    assert isinstance(model, StackingClassifier)
    X, y = searched[0].X, searched[0].y
    assert (model.predict(X) == y).mean() > 0.7
    [ensemble] = [r for r in records if r.ensemble]
    assert Client().get_run(ensemble.run_id or "").tags["studio.automl.state"] == "complete"


def test_an_ensemble_whose_refit_would_not_fit_leaves_the_refitted_single_best(
    store: Path, searched: Searched, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sklearn.pipeline import Pipeline

    monkeypatch.setattr(automl, "_ensemble_wins", lambda *args: True)
    # The members' fold fits say 10 s; half of a 1 s allowance cannot hold two refits of it.
    monkeypatch.setattr(automl, "refit_seconds", lambda members, folds: 10.0)
    best, model, records = _refit(searched, allowance=1.0)

    assert not best.ensemble
    assert best.score == max(r.score or 0.0 for r in records if not r.ensemble)
    assert isinstance(model, Pipeline)
    model.predict(searched[0].X)  # fitted on every row
    [ensemble] = [r for r in records if r.ensemble]
    assert ensemble.state == "pruned"
    assert ensemble.error == "its refit would not fit the time allowed after the search"


def test_a_slow_refit_of_the_single_best_slows_the_ensemble_s_prediction_too(
    store: Path, searched: Searched, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The members' fold fits alone would fit; measured 40 times slower here, they do not."""
    records = searched[2]
    cost = refit_seconds(records, FOLDS)
    allowance = 2 * cost * 2 / automl.ENSEMBLE_SHARE  # twice what two refits need at pace 1
    monkeypatch.setattr(automl, "_ensemble_wins", lambda *args: True)
    monkeypatch.setattr(automl, "refit_pace", lambda *args: 40.0)
    best, _, _ = _refit(searched, allowance=allowance)
    assert not best.ensemble

    monkeypatch.setattr(automl, "refit_pace", lambda *args: 1.0)
    best, _, _ = _refit(searched, allowance=allowance)
    assert best.ensemble


def test_the_pace_compares_the_refit_with_the_fold_fits_scaled_to_every_row() -> None:
    record = CandidateRecord(0, Candidate("knn", SCALED), "complete", fit_times=[0.4, 0.4])
    # A fold fits on 4/5 of the rows: 0.5 s expected on every row, 2.0 s measured.
    assert automl.refit_pace(2.0, record, 5) == pytest.approx(2.05 / 0.55)
    assert automl.refit_pace(0.1, record, 5) == 1.0  # never faster than the search
    tiny = CandidateRecord(1, Candidate("knn", SCALED), "complete", fit_times=[0.001])
    assert automl.refit_pace(0.004, tiny, 5) < 1.1  # milliseconds of noise decide nothing
