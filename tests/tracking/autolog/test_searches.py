"""Autolog of hyper-parameter searches: a parent run, one child run per candidate."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import joblib
import numpy as np
import pytest
from sklearn.exceptions import FitFailedWarning
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    HalvingGridSearchCV,
    RandomizedSearchCV,
)
from sklearn.tree import DecisionTreeClassifier

from studio.tracking.entities import RunStatus
from tests.tracking.autolog.support import (
    CLASSIFIER_METRICS,
    children_of,
    last,
)

if TYPE_CHECKING:
    import studio

# Searches -----------------------------------------------------------------------------------


def test_grid_search_is_a_parent_run_with_one_child_per_candidate(
    client: studio.Client, iris: tuple[Any, Any]
) -> None:
    X, y = iris
    grid = {"max_depth": [1, 2, 3], "criterion": ["gini", "entropy"]}
    search = GridSearchCV(
        DecisionTreeClassifier(random_state=0), grid, cv=3, return_train_score=True
    ).fit(X, y)

    (parent,) = client.search_runs(filter="attributes.name = 'GridSearchCV'")
    assert parent.parent_run_id is None
    assert parent.status is RunStatus.FINISHED
    assert parent.params["estimator"] == "DecisionTreeClassifier"
    assert parent.params["estimator__random_state"] == "0"
    assert parent.params["cv"] == "3"
    assert parent.params["best_max_depth"] == str(search.best_params_["max_depth"])
    assert parent.params["best_criterion"] == search.best_params_["criterion"]
    assert last(parent, "best_score") == pytest.approx(search.best_score_)
    assert set(parent.metrics) >= CLASSIFIER_METRICS
    assert {a.path for a in client.list_artifacts(parent.id)} == {
        "model",
        "cv_results.csv",
        "estimator.html",
        "datasets",
        "evaluation",
    }
    best = client.load_model(parent.id)
    np.testing.assert_array_equal(best.predict(X), search.best_estimator_.predict(X))

    children = children_of(client, parent)
    results = search.cv_results_
    assert sorted(children) == list(range(6))
    assert len(client.search_runs()) == 7  # no run for any of the 18 candidate fits
    for index, child in children.items():
        assert child.status is RunStatus.FINISHED
        assert child.params == {
            "criterion": results["params"][index]["criterion"],
            "max_depth": str(results["params"][index]["max_depth"]),
        }
        for key in ("mean_test_score", "std_test_score", "mean_train_score", "std_train_score"):
            assert last(child, key) == pytest.approx(results[key][index]), key
        assert last(child, "rank_test_score") == results["rank_test_score"][index]
        assert last(child, "mean_fit_time") == pytest.approx(results["mean_fit_time"][index])
        assert "mean_score_time" in child.metrics


def test_randomized_search_with_several_scorers(
    client: studio.Client, iris: tuple[Any, Any]
) -> None:
    X, y = iris
    search = RandomizedSearchCV(
        LogisticRegression(),
        {"C": np.logspace(-2, 2, 20)},
        n_iter=4,
        scoring=["accuracy", "f1_macro"],
        refit="f1_macro",
        cv=3,
        random_state=0,
    ).fit(X, y)

    (parent,) = client.search_runs(filter="attributes.name = 'RandomizedSearchCV'")
    assert parent.params["scoring"] == "['accuracy', 'f1_macro']"
    assert last(parent, "best_score") == pytest.approx(search.best_score_)
    children = children_of(client, parent)
    assert len(children) == 4
    for index, child in children.items():
        assert child.params["C"] == repr(float(search.cv_results_["params"][index]["C"]))
        for scorer in ("accuracy", "f1_macro"):
            for kind in ("mean", "std", "rank"):
                key = f"{kind}_test_{scorer}"
                assert last(child, key) == pytest.approx(search.cv_results_[key][index]), key


def test_halving_search_children_keep_each_iteration_as_a_step(
    client: studio.Client, iris: tuple[Any, Any]
) -> None:
    X, y = iris
    search = HalvingGridSearchCV(
        DecisionTreeClassifier(random_state=0),
        {"max_depth": [1, 2, 3, 4], "min_samples_leaf": [1, 5]},
        factor=2,
        cv=3,
        random_state=0,
    ).fit(X, y)
    assert search.n_iterations_ >= 2

    (parent,) = client.search_runs(filter="attributes.name = 'HalvingGridSearchCV'")
    children = children_of(client, parent)
    assert len(children) == search.n_candidates_[0] == 8
    results = search.cv_results_
    for child in children.values():
        rows = [
            row
            for row, params in enumerate(results["params"])
            if str(params["max_depth"]) == child.params["max_depth"]
            and str(params["min_samples_leaf"]) == child.params["min_samples_leaf"]
        ]
        history = client.get_metric_history(child.id, "mean_test_score")
        assert history.steps == [int(results["iter"][row]) for row in rows]
        assert history.values == pytest.approx([results["mean_test_score"][row] for row in rows])
        resources = client.get_metric_history(child.id, "n_resources").values
        assert resources == [float(results["n_resources"][row]) for row in rows]
    survivors = [c for c in children.values() if c.metrics["mean_test_score"].count > 1]
    assert survivors, "some candidates reached a later iteration"


def test_failed_candidates_get_child_runs_with_nan_scores(
    client: studio.Client, iris: tuple[Any, Any]
) -> None:
    X, y = iris
    search = GridSearchCV(DecisionTreeClassifier(), {"max_depth": [2, -1]}, cv=3)
    with (
        pytest.warns(FitFailedWarning),
        pytest.warns(UserWarning, match="non-finite"),
    ):
        search.fit(X, y)

    (parent,) = client.search_runs(filter="attributes.name = 'GridSearchCV'")
    children = {child.params["max_depth"]: child for child in children_of(client, parent).values()}
    assert set(children) == {"2", "-1"}
    assert math.isnan(last(children["-1"], "mean_test_score"))
    assert last(children["2"], "mean_test_score") == pytest.approx(search.best_score_)
    assert last(children["-1"], "rank_test_score") == 2


def test_search_with_thread_workers_makes_no_extra_runs(
    client: studio.Client, iris: tuple[Any, Any]
) -> None:
    X, y = iris
    with joblib.parallel_backend("threading", n_jobs=2):
        GridSearchCV(DecisionTreeClassifier(), {"max_depth": [1, 2, 3]}, cv=3, n_jobs=2).fit(X, y)
    runs = client.search_runs()
    assert sorted(run.name for run in runs if run.parent_run_id is None) == ["GridSearchCV"]
    assert len(runs) == 4
