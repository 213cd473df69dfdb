"""Autolog and runs: the active run, failures, options, the environment's store, and putting
every original back."""

from __future__ import annotations

from typing import Any

import pytest
import sklearn.model_selection
from sklearn.base import TransformerMixin
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    _validation,
)
from sklearn.model_selection._search import BaseSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

import studio
from studio.config import (
    TRACKING_URI_ENV,
)
from studio.tracking.autolog import AutologWarning, autolog
from studio.tracking.entities import RunStatus
from studio.tracking.fluent import EXPERIMENT_ENV
from tests.tracking.autolog.support import (
    CLASSIFIER_METRICS,
    children_of,
    only_run,
)

# Runs, failures, settings -------------------------------------------------------------------


def test_fits_inside_an_active_run_log_into_it(
    client: studio.Client, uri: str, iris: tuple[Any, Any]
) -> None:
    X, y = iris
    with studio.start_run(experiment="manual", name="mine", tracking_uri=uri) as run:
        make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
        search = GridSearchCV(DecisionTreeClassifier(), {"max_depth": [1, 2]}, cv=2)
        # Both have a `verbose` param; a run's param cannot change, so the first value stays.
        with pytest.warns(AutologWarning, match=r"verbose='False' \(not '0'\)"):
            search.fit(X, y)

    top_level = [r for r in client.search_runs() if r.parent_run_id is None]
    assert [r.id for r in top_level] == [run.id]
    stored = client.get_run(run.id)
    assert stored.status is RunStatus.FINISHED
    assert stored.params["logisticregression__C"] == "1.0"
    assert stored.params["best_max_depth"] in {"1", "2"}
    assert stored.params["verbose"] == "False"
    assert stored.params["cv"] == "2"  # the search's other params were logged
    assert "training_accuracy" in stored.metrics
    assert "best_score" in stored.metrics
    assert len(children_of(client, stored)) == 2


def test_a_second_fit_in_one_run_replaces_its_model(
    client: studio.Client, uri: str, iris: tuple[Any, Any]
) -> None:
    X, y = iris
    with studio.start_run(tracking_uri=uri) as run:
        DecisionTreeClassifier(max_depth=1).fit(X, y)
        # A param cannot change within a run: the first fit's values stay, with a warning.
        with pytest.warns(AutologWarning, match="already has other values"):
            second = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    assert client.load_model(run.id).get_depth() == second.get_depth()
    assert client.get_run(run.id).params["max_depth"] == "1"


def test_failing_fit_marks_its_run_failed_and_reraises(
    client: studio.Client, iris: tuple[Any, Any]
) -> None:
    X, y = iris
    with pytest.raises(ValueError, match="C"):
        LogisticRegression(C=-1.0).fit(X, y)
    run = only_run(client)
    assert run.status is RunStatus.FAILED
    assert run.params["C"] == "-1.0"  # params are logged before the fit
    assert run.metrics == {}
    assert studio.active_run() is None


class _UnscorableClassifier(LogisticRegression):
    """A classifier whose score() breaks: autolog cannot measure it, the fit must not care."""

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        raise RuntimeError("no scoring today")


def test_a_logging_error_warns_and_leaves_the_fit_alone(
    client: studio.Client, iris: tuple[Any, Any]
) -> None:
    X, y = iris
    model = _UnscorableClassifier()
    with pytest.warns(
        AutologWarning, match="training_score: RuntimeError: no scoring today"
    ) as record:
        assert model.fit(X, y) is model
    assert record[0].filename == __file__  # the warning points at the user's fit
    assert model.predict(X).shape == y.shape
    run = only_run(client)
    assert run.status is RunStatus.FINISHED
    assert CLASSIFIER_METRICS - set(run.metrics) == {"training_score"}


def test_options_turn_off_models_and_metrics(uri: str, iris: tuple[Any, Any]) -> None:
    X, y = iris
    autolog(
        tracking_uri=uri,
        log_models=False,
        log_training_metrics=False,
        log_datasets=False,
        log_post_training_metrics=False,
    )
    try:
        model = LogisticRegression().fit(X, y)
        model.score(X, y)
    finally:
        autolog(disable=True)
    client = studio.Client(uri)
    run = only_run(client)
    assert run.params["C"] == "1.0"
    assert run.metrics == {}
    assert [artifact.path for artifact in client.list_artifacts(run.id)] == ["estimator.html"]
    assert "studio.datasets" not in run.tags


def test_without_a_tracking_uri_runs_go_to_the_environments_store(
    uri: str, monkeypatch: pytest.MonkeyPatch, iris: tuple[Any, Any]
) -> None:
    X, y = iris
    env_store = uri  # the test's database: PostgreSQL too under STUDIO_TEST_DB_URL
    monkeypatch.setenv(TRACKING_URI_ENV, env_store)
    monkeypatch.setenv(EXPERIMENT_ENV, "from-env")
    autolog()
    try:
        DecisionTreeClassifier(max_depth=2).fit(X, y)
    finally:
        autolog(disable=True)
    client = studio.Client(env_store)
    run = only_run(client)
    assert client.get_experiment(run.experiment_id).name == "from-env"
    assert run.params["max_depth"] == "2"


def test_disable_restores_every_original_and_autolog_twice_wraps_once(
    uri: str, iris: tuple[Any, Any]
) -> None:
    X, y = iris
    originals = {
        "LogisticRegression.fit": LogisticRegression.__dict__["fit"],
        "BaseSearchCV.fit": BaseSearchCV.__dict__["fit"],
        "TransformerMixin.fit_transform": TransformerMixin.__dict__["fit_transform"],
        "Pipeline.fit": Pipeline.__dict__["fit"],
        "Pipeline.fit_transform": Pipeline.__dict__["fit_transform"],  # an available_if
        "_validation.cross_validate": _validation.cross_validate,
        "model_selection.cross_validate": sklearn.model_selection.cross_validate,
    }

    def current() -> dict[str, Any]:
        return {
            "LogisticRegression.fit": LogisticRegression.__dict__["fit"],
            "BaseSearchCV.fit": BaseSearchCV.__dict__["fit"],
            "TransformerMixin.fit_transform": TransformerMixin.__dict__["fit_transform"],
            "Pipeline.fit": Pipeline.__dict__["fit"],
            "Pipeline.fit_transform": Pipeline.__dict__["fit_transform"],
            "_validation.cross_validate": _validation.cross_validate,
            "model_selection.cross_validate": sklearn.model_selection.cross_validate,
        }

    autolog(tracking_uri=uri)
    try:
        first = current()
        autolog(tracking_uri=uri)
        assert current() == first  # the second call changed settings only
        for name, wrapped in first.items():
            assert wrapped is not originals[name], name
        assert LogisticRegression.fit.__wrapped__ is originals["LogisticRegression.fit"]
        assert (
            first["Pipeline.fit_transform"].fn.__wrapped__ is originals["Pipeline.fit_transform"].fn
        )
        assert not hasattr(make_pipeline(LogisticRegression()), "fit_transform")
    finally:
        autolog(disable=True)

    for name, restored in current().items():
        assert restored is originals[name], name
    assert LogisticRegression.fit is originals["LogisticRegression.fit"]
    LogisticRegression().fit(X, y)
    assert studio.Client(uri).search_runs() == []
