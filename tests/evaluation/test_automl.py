"""`studio.automl` on a classification frame with categorical columns and missing values, on
the local store with spawned worker processes: the search holds its budget, the leaderboard
is ordered and every candidate is a child run, the registered best model loads and scores on
the test set what the evaluation reported, and both generated notebooks run top to bottom as
jobs (papermill), the candidates notebook searching again. No store-specific SQL: SQLite only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

import studio
from studio.config import TRACKING_URI_ENV
from studio.errors import InvalidInput
from studio.evaluation.automl_explore import data_warnings
from studio.jobs.api import run_notebook, wait_for
from studio.jobs.entities import JobStatus
from studio.jobs.notebooks import inspect_parameters
from studio.registry import clients as registry_clients
from studio.tracking.client import Client
from studio.tracking.model_trust import needs_approval
from tests.databases import sqlite_only
from tests.evaluation.automl_frames import classification_frame
from tests.jobs.local_jobs import local_home  # noqa: F401  (a fixture)
from tests.tracking.logging_store import close_connection

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = sqlite_only

BUDGET = 5.0


@pytest.fixture
def store(local_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:  # noqa: F811
    """The test's own local store (named as the tracking URI: no other test's connection)."""
    monkeypatch.setenv(TRACKING_URI_ENV, str(local_home))
    yield local_home
    for client in list(registry_clients._clients.values()):
        if isinstance(client, registry_clients.LocalRegistry):
            client.service.store.db.dispose()
    registry_clients._clients.clear()
    close_connection(str(local_home))


def test_a_classification_search_holds_its_budget_and_registers_a_model_that_scores_as_reported(
    store: Path, tmp_path: Path
) -> None:
    frame = classification_frame(400)
    train, test = frame.iloc[:300], frame.iloc[300:].reset_index(drop=True)
    data = tmp_path / "data" / "customers.csv"
    data.parent.mkdir()
    train.to_csv(data, index=False)

    result = studio.automl(data, "label", time_budget=BUDGET, test_data=test)

    # The search's wall time holds the budget; what follows is measured apart.
    assert BUDGET <= result.search_seconds <= 1.1 * BUDGET
    client = Client()
    run = client.get_run(result.run_id)
    assert run.metrics["search_seconds"].last == pytest.approx(result.search_seconds)
    assert run.metrics["post_seconds"].last == pytest.approx(result.post_seconds)
    assert run.tags["studio.automl.phase"] == "done"
    assert (result.task, result.metric) == ("binary", "accuracy")
    assert run.params["time_budget"] == "5.0"

    # The chosen model first, then the other complete candidates by score; then the pruned
    # and failed ones. Chosen: the best score, or the stacked ensemble within one standard
    # error of it.
    board = result.leaderboard
    ranked = board[board["rank"].notna()]
    assert len(ranked) >= 2
    assert list(ranked.index) == list(range(len(ranked)))
    assert list(ranked["rank"]) == list(range(1, len(ranked) + 1))
    assert list(ranked["score"][1:]) == sorted(ranked["score"][1:], reverse=True)
    chosen, runner_up = ranked.iloc[0], ranked.iloc[1]
    if chosen["score"] < runner_up["score"]:
        assert chosen["ensemble"]
        assert chosen["score"] >= runner_up["score"] - runner_up["std"] / np.sqrt(5)
    assert (ranked["state"] == "complete").all()
    assert set(board["state"]) <= {"complete", "pruned", "failed", "stopped"}
    assert (ranked["fit_time"] > 0).all()
    assert (ranked["std"] >= 0).all()
    assert " → " in ranked["pipeline"].iloc[0]
    assert result.best_run_id == ranked["run_id"].iloc[0]

    # Every candidate is a finished child run, with its folds' scores.
    children = client.search_runs(
        "automl-customers", filter=f"attributes.parent_run_id = '{result.run_id}'"
    )
    assert {child.id for child in children} == set(board["run_id"])
    best = client.get_run(result.best_run_id)
    assert best.metrics["cv_score"].last == pytest.approx(ranked["score"].iloc[0])
    assert best.tags["studio.automl.state"] == "complete"
    assert best.tags["studio.automl.candidate"] == ranked["pipeline"].iloc[0]
    if not ranked["ensemble"].iloc[0]:
        assert best.metrics["cv_accuracy"].count == 5
    assert any(board["ensemble"]), "the stacked ensemble competes as a candidate"

    # The registered version loads and scores on the test set what the evaluation logged.
    version = result.model_version
    assert version.name == "customers-automl"
    assert run.tags["studio.automl.model"] == f"customers-automl/{version.version}"
    model = client.load_model(version.uri, trusted=True)
    accuracy = float(np.mean(model.predict(test.drop(columns="label")) == test["label"]))
    assert accuracy == pytest.approx(run.metrics["accuracy"].last)
    assert accuracy == pytest.approx(result.evaluation.metrics["accuracy"])
    assert accuracy > 0.7
    # A model that must be approved before it is loaded or served says so in the result.
    pending = needs_approval(version.untrusted_types)
    approval = [warning for warning in result.warnings if "needs approval" in warning]
    assert len(approval) == (1 if pending else 0)
    assert all(name in approval[0] for name in pending)

    # Both notebooks run top to bottom, as jobs; the candidates notebook searches again.
    folder = data.parent / "customers.automl"
    assert result.notebooks == {
        "exploration": str(folder / "exploration.ipynb"),
        "candidates": str(folder / "candidates.ipynb"),
    }
    parameters = {p.name: p.value for p in inspect_parameters(folder / "candidates.ipynb")}
    assert parameters["data_path"] == str(data.resolve())
    assert parameters["time_budget"] == BUDGET
    exploring = run_notebook(folder / "exploration.ipynb", wait=False)
    searching = run_notebook(
        folder / "candidates.ipynb",
        parameters={
            "time_budget": 5,
            "algorithms": ["logistic_regression", "extra_trees"],
            "n_workers": 1,
        },
        wait=False,
    )
    explored, searched = wait_for(exploring.id), wait_for(searching.id)
    assert explored.status is JobStatus.SUCCEEDED, explored.error
    assert searched.status is JobStatus.SUCCEEDED, searched.error
    report = json.loads(Path(explored.output_path).read_text())
    outputs = json.dumps([cell.get("outputs", []) for cell in report["cells"]])
    assert "duplicate rows" in outputs
    assert "missing target values" in outputs
    again = client.get_run(searched.run_id)
    assert again.tags["studio.automl"] == "1"
    assert again.tags["studio.automl.phase"] == "done"
    assert again.metrics["search_seconds"].last <= 1.1 * 5
    # Its one worker was ready long before the 60 s the search would wait for it.
    assert again.metrics["exploration_seconds"].last < 50
    searched_algorithms = {
        child.tags["studio.automl.algorithm"]
        for child in client.search_runs(filter=f"attributes.parent_run_id = '{again.id}'")
    }
    assert searched_algorithms <= {"logistic_regression", "extra_trees", "stacked_ensemble"}


def test_the_exploration_warns_of_leakage_identifiers_and_high_cardinality() -> None:
    rows = 200
    frame = classification_frame(rows)
    frame["leak"] = frame["label"].map({"yes": "Y", "no": "N"})
    frame["customer_id"] = np.arange(rows)
    frame["city"] = [f"city {index % 120}" for index in range(rows)]
    frame["empty"] = pd.Series([None] * rows, dtype="object")

    found = "\n".join(data_warnings(frame, "label", "binary"))

    assert "Possible leakage: 'leak'" in found
    assert "'customer_id' looks like an identifier" in found
    assert "'city' has high cardinality (120 distinct values)" in found
    assert "'empty' is mostly missing" in found
    assert "'x1'" not in found
    assert "'color'" not in found


def test_a_search_space_that_does_not_fit_is_refused_before_anything_runs(store: Path) -> None:
    frame = classification_frame(60)
    space = {"ridge": {"preprocessing": "impute+onehot+scale", "params": {}}}

    with pytest.raises(InvalidInput, match="'ridge' does not fit a binary task"):
        studio.automl(frame, "label", time_budget=5, search_space=space)
    with pytest.raises(InvalidInput, match="Unknown algorithm 'boosted_magic'"):
        studio.automl(frame, "label", time_budget=5, search_space={"boosted_magic": {}})
    with pytest.raises(InvalidInput, match="'r2' is not a binary metric"):
        studio.automl(frame, "label", time_budget=5, metric="r2")
    assert Client().search_runs() == []


def test_a_kept_svm_is_calibrated_so_that_it_gives_probabilities() -> None:
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC, SVR

    from studio.evaluation.automl import _with_probabilities

    X, y = load_iris(return_X_y=True)
    svm = make_pipeline(StandardScaler(), SVC())
    _with_probabilities(svm)
    proba = svm.fit(X, y).predict_proba(X)
    assert proba.shape == (150, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (svm.predict(X) == y).mean() > 0.9
    for untouched in (make_pipeline(LogisticRegression()), make_pipeline(SVR())):
        final = untouched.steps[-1][1]
        _with_probabilities(untouched)
        assert untouched.steps[-1][1] is final


def test_a_winner_that_needs_approval_says_so_in_the_result(store: Path) -> None:
    from lightgbm import LGBMClassifier

    from studio.evaluation.automl import _approval_warnings
    from studio.registry.api import register_model

    frame = classification_frame(60)
    X, y = frame[["x1", "x2", "x3"]].fillna(0.0), frame["label"]
    with studio.start_run(experiment="approval") as run:
        run.log_model(LGBMClassifier(n_estimators=2, verbose=-1).fit(X, y))
    version = register_model(run.id, "needs-approval")

    pending = needs_approval(version.untrusted_types)
    assert any(name.startswith("lightgbm.") for name in pending)
    [warning] = _approval_warnings(version)
    assert "needs approval" in warning
    assert all(name in warning for name in pending)
