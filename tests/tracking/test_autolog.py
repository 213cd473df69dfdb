"""`studio.autolog()` on a real store: what a data scientist finds after fitting."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import joblib
import numpy as np
import pytest
import sklearn.model_selection
from sklearn import metrics
from sklearn.base import TransformerMixin
from sklearn.datasets import load_diabetes, load_iris
from sklearn.ensemble import IsolationForest
from sklearn.exceptions import FitFailedWarning
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, log_loss, mean_absolute_error
from sklearn.model_selection import (
    GridSearchCV,
    HalvingGridSearchCV,
    RandomizedSearchCV,
    _validation,
    cross_val_predict,
    cross_val_score,
)
from sklearn.model_selection._search import BaseSearchCV
from sklearn.neighbors import LocalOutlierFactor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import LabelEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.class_weight import compute_class_weight, compute_sample_weight

import studio
from studio.config import (
    ARTIFACT_ROOT_ENV,
    DB_URL_ENV,
    HOME_ENV,
    RUN_ID_ENV,
    TRACKING_URI_ENV,
)
from studio.tracking.autolog import FIT_METHODS, AutologWarning, autolog
from studio.tracking.entities import RunRecord, RunStatus
from studio.tracking.fluent import EXPERIMENT_ENV

CLASSIFIER_METRICS = {
    "training_score",
    "training_accuracy",
    "training_precision",
    "training_recall",
    "training_f1",
    "training_log_loss",
    "training_roc_auc",
}
REGRESSOR_METRICS = {
    "training_score",
    "training_mse",
    "training_rmse",
    "training_mae",
    "training_r2",
}


@pytest.fixture
def uri(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh store (SQLite, or PostgreSQL under STUDIO_TEST_DB_URL); artifacts in tmp_path."""
    for name in (TRACKING_URI_ENV, DB_URL_ENV, ARTIFACT_ROOT_ENV, RUN_ID_ENV, EXPERIMENT_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "home"))
    yield database_url
    while studio.active_run() is not None:
        studio.end_run("KILLED")


@pytest.fixture
def client(uri: str) -> Iterator[studio.Client]:
    """Autolog on, into the fresh store; off again afterwards, whatever the test did."""
    autolog(tracking_uri=uri, experiment="autolog")
    try:
        yield studio.Client(uri)
    finally:
        autolog(disable=True)


@pytest.fixture(scope="module")
def iris() -> tuple[Any, Any]:
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def only_run(client: studio.Client) -> RunRecord:
    runs = client.search_runs()
    assert [run.name for run in runs] == [runs[0].name], "expected exactly one run"
    return runs[0]


def children_of(client: studio.Client, parent: RunRecord) -> dict[int, RunRecord]:
    runs = client.search_runs(filter=f"attributes.parent_run_id = '{parent.id}'")
    return {int(run.tags["studio.autolog.candidate"]): run for run in runs}


def last(run: RunRecord, key: str) -> float:
    return run.metrics[key].last


# Plain estimators ---------------------------------------------------------------------------


def test_fit_logs_one_finished_run_with_params_metrics_and_model(
    client: studio.Client, iris: tuple[Any, Any]
) -> None:
    X, y = iris
    assert studio.autolog is autolog  # the public name, resolved lazily
    model = LogisticRegression(C=0.5)
    assert model.fit(X, y) is model

    run = only_run(client)
    assert run.status is RunStatus.FINISHED
    assert run.name == "LogisticRegression"
    assert client.get_experiment(run.experiment_id).name == "autolog"
    assert run.params["C"] == "0.5"
    assert run.params["max_iter"] == "100"
    assert run.params["class_weight"] == "None"
    assert run.tags["studio.autolog"] == "sklearn"
    assert run.tags["estimator_name"] == "LogisticRegression"
    assert run.tags["estimator_class"] == "sklearn.linear_model._logistic.LogisticRegression"
    assert set(run.metrics) == CLASSIFIER_METRICS
    assert last(run, "training_score") == pytest.approx(model.score(X, y))
    assert last(run, "training_accuracy") == pytest.approx(accuracy_score(y, model.predict(X)))
    assert last(run, "training_log_loss") == pytest.approx(log_loss(y, model.predict_proba(X)))
    assert 0.9 < last(run, "training_roc_auc") <= 1.0

    loaded = client.load_model(run.id)
    assert type(loaded) is LogisticRegression
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_regressor_logs_error_metrics(client: studio.Client) -> None:
    X, y = load_diabetes(return_X_y=True)
    model = Ridge(alpha=0.3).fit(X, y)

    run = only_run(client)
    assert set(run.metrics) == REGRESSOR_METRICS
    assert last(run, "training_score") == pytest.approx(model.score(X, y))
    assert last(run, "training_r2") == pytest.approx(model.score(X, y))
    assert last(run, "training_mae") == pytest.approx(mean_absolute_error(y, model.predict(X)))
    assert last(run, "training_rmse") == pytest.approx(math.sqrt(last(run, "training_mse")))


def test_sample_weight_reaches_the_training_metrics(
    client: studio.Client, iris: tuple[Any, Any]
) -> None:
    X, y = iris
    weight = np.where(y == 2, 5.0, 1.0)
    model = DecisionTreeClassifier(max_depth=1, random_state=0).fit(X, y, sample_weight=weight)

    run = only_run(client)
    expected = accuracy_score(y, model.predict(X), sample_weight=weight)
    assert expected != pytest.approx(accuracy_score(y, model.predict(X)))
    assert last(run, "training_accuracy") == pytest.approx(expected)


def test_pipeline_logs_once_with_flattened_step_params(
    client: studio.Client, iris: tuple[Any, Any]
) -> None:
    X, y = iris
    pipeline = make_pipeline(StandardScaler(), LogisticRegression(C=2.0)).fit(X, y)

    run = only_run(client)  # the steps' fits made no runs of their own
    assert run.name == "Pipeline"
    assert run.params["logisticregression__C"] == "2.0"
    assert run.params["standardscaler__with_mean"] == "True"
    assert run.params["logisticregression"] == "LogisticRegression"
    assert run.params["steps"] == (
        "[('standardscaler', StandardScaler), ('logisticregression', LogisticRegression)]"
    )
    assert set(run.metrics) == CLASSIFIER_METRICS
    loaded = client.load_model(run.id)
    assert isinstance(loaded, Pipeline)
    np.testing.assert_array_equal(loaded.predict(X), pipeline.predict(X))


def test_fit_transform_logs_once(client: studio.Client, iris: tuple[Any, Any]) -> None:
    X, _ = iris
    StandardScaler().fit_transform(X)  # TransformerMixin.fit_transform calls the wrapped fit
    run = only_run(client)
    assert run.name == "StandardScaler"
    assert run.params["with_std"] == "True"
    assert run.metrics == {}  # a scaler has nothing to score
    assert [artifact.path for artifact in client.list_artifacts(run.id)] == ["model"]


def test_worker_threads_of_a_fit_do_not_make_runs(
    client: studio.Client, iris: tuple[Any, Any]
) -> None:
    X, _ = iris
    # IsolationForest fits its trees on joblib worker threads.
    IsolationForest(n_estimators=8, n_jobs=2, random_state=0).fit(X)
    assert only_run(client).name == "IsolationForest"


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
    assert {a.path for a in client.list_artifacts(parent.id)} == {"model", "cv_results.csv"}
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


# cross_validate -----------------------------------------------------------------------------


def test_cross_validate_logs_each_fold_and_the_mean(
    client: studio.Client, iris: tuple[Any, Any]
) -> None:
    X, y = iris
    results = sklearn.model_selection.cross_validate(
        LogisticRegression(C=0.5),
        X,
        y,
        cv=4,
        scoring=["accuracy", "f1_macro"],
        return_train_score=True,
    )

    run = only_run(client)  # no run for the four fits inside
    assert run.name == "LogisticRegression cross_validate"
    assert run.status is RunStatus.FINISHED
    assert run.params["C"] == "0.5"
    assert run.params["cross_validate.cv"] == "4"
    assert run.tags["studio.autolog.function"] == "cross_validate"
    for key in ("test_accuracy", "test_f1_macro", "train_accuracy", "fit_time", "score_time"):
        history = client.get_metric_history(run.id, f"cv_{key}")
        assert history.steps == [0, 1, 2, 3]
        assert history.values == pytest.approx(list(results[key]))
        assert last(run, f"mean_{key}") == pytest.approx(np.mean(results[key]))
        assert last(run, f"std_{key}") == pytest.approx(np.std(results[key]))


def test_cross_val_score_logs_through_cross_validate(
    client: studio.Client, iris: tuple[Any, Any]
) -> None:
    X, y = iris
    # Imported at the top of this module, before autolog(): it still reaches the wrapper.
    scores = cross_val_score(DecisionTreeClassifier(random_state=0), X, y, cv=3)
    run = only_run(client)
    assert client.get_metric_history(run.id, "cv_test_score").values == pytest.approx(list(scores))
    assert last(run, "mean_test_score") == pytest.approx(scores.mean())


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
    autolog(tracking_uri=uri, log_models=False, log_training_metrics=False)
    try:
        LogisticRegression().fit(X, y)
    finally:
        autolog(disable=True)
    client = studio.Client(uri)
    run = only_run(client)
    assert run.params["C"] == "1.0"
    assert run.metrics == {}
    assert client.list_artifacts(run.id) == []


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


# Fits scikit-learn makes for itself -----------------------------------------------------------

# Every function of scikit-learn 1.9 found, by instrumenting each public metric with binary,
# multiclass, string and multilabel inputs, to fit an estimator inside (a LabelEncoder or a
# LabelBinarizer), and the class-weight helpers. roc_auc_score, average_precision_score,
# top_k_accuracy_score, the label_ranking_* scores and the curves fit nothing there.
INTERNAL_FITS: dict[str, Callable[[Any, Any, Any], object]] = {
    "precision_recall_fscore_support": lambda X, y, m: metrics.precision_recall_fscore_support(
        y, m.predict(X), average="macro"
    ),
    "precision_score": lambda X, y, m: metrics.precision_score(y, m.predict(X), average="macro"),
    "recall_score": lambda X, y, m: metrics.recall_score(y, m.predict(X), average="weighted"),
    "f1_score": lambda X, y, m: metrics.f1_score(y, m.predict(X), average="macro"),
    "fbeta_score": lambda X, y, m: metrics.fbeta_score(y, m.predict(X), beta=2, average="micro"),
    "jaccard_score": lambda X, y, m: metrics.jaccard_score(y, m.predict(X), average="macro"),
    "classification_report": lambda X, y, m: metrics.classification_report(y, m.predict(X)),
    "matthews_corrcoef": lambda X, y, m: metrics.matthews_corrcoef(y, m.predict(X)),
    "multilabel_confusion_matrix": lambda X, y, m: metrics.multilabel_confusion_matrix(
        y, m.predict(X)
    ),
    "log_loss": lambda X, y, m: metrics.log_loss(y, m.predict_proba(X)),
    "d2_log_loss_score": lambda X, y, m: metrics.d2_log_loss_score(y, m.predict_proba(X)),
    "brier_score_loss": lambda X, y, m: metrics.brier_score_loss(y, m.predict_proba(X)),
    "d2_brier_score": lambda X, y, m: metrics.d2_brier_score(y, m.predict_proba(X)),
    "hinge_loss": lambda X, y, m: metrics.hinge_loss(y, m.decision_function(X)),
    "silhouette_score": lambda X, y, m: metrics.silhouette_score(X, m.predict(X)),
    "silhouette_samples": lambda X, y, m: metrics.silhouette_samples(X, m.predict(X)),
    "calinski_harabasz_score": lambda X, y, m: metrics.calinski_harabasz_score(X, m.predict(X)),
    "davies_bouldin_score": lambda X, y, m: metrics.davies_bouldin_score(X, m.predict(X)),
    "compute_class_weight": lambda X, y, m: compute_class_weight(
        "balanced", classes=np.unique(y), y=y
    ),
    "compute_sample_weight": lambda X, y, m: compute_sample_weight("balanced", y),
}


def fits_inside(call: Callable[[], object]) -> list[str]:
    """The scikit-learn fit methods that ran during `call` (seen by a profile hook, so that no
    wrapper of the test's own stands between scikit-learn and autolog)."""
    seen: list[str] = []

    def profile(frame: FrameType, event: str, arg: object) -> None:
        code = frame.f_code
        if event == "call" and code.co_name in FIT_METHODS and "sklearn" in code.co_filename:
            seen.append(code.co_qualname)

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        call()
    finally:
        sys.setprofile(previous)
    return seen


@pytest.mark.parametrize("name", sorted(INTERNAL_FITS))
def test_a_function_that_fits_inside_scikit_learn_logs_nothing(
    client: studio.Client, uri: str, iris: tuple[Any, Any], name: str
) -> None:
    X, y = iris
    call = INTERNAL_FITS[name]
    with studio.start_run(experiment="mine", tracking_uri=uri) as run:
        model = LogisticRegression(C=0.5).fit(X, y)
        fitted = fits_inside(lambda: call(X, y, model))
        assert fitted, f"{name} no longer fits anything: take it off INTERNAL_FITS"
    call(X, y, model)  # and without a run of the user's: no run of its own either

    assert [r.id for r in client.search_runs()] == [run.id]
    stored = client.get_run(run.id)
    assert stored.tags["estimator_name"] == "LogisticRegression"
    assert "classes" not in stored.params  # LabelEncoder/LabelBinarizer params stay out
    loaded = client.load_model(run.id)
    assert type(loaded) is LogisticRegression
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_the_users_own_fits_through_scikit_learn_methods_still_log(
    client: studio.Client, iris: tuple[Any, Any]
) -> None:
    X, y = iris
    # fit_predict is a property returning a private method that calls self.fit.
    LocalOutlierFactor(n_neighbors=5, novelty=False).fit_predict(X)
    LabelEncoder().fit(y)  # the user's own encoder is the user's fit
    _TunedTree(max_depth=2).fit(X, y)  # a subclass's fit calls scikit-learn's through super()
    runs = {run.name: run for run in client.search_runs()}
    assert sorted(runs) == ["LabelEncoder", "LocalOutlierFactor", "_TunedTree"]
    assert type(client.load_model(runs["_TunedTree"].id)) is _TunedTree
    # Folds that cross_val_predict fits are scikit-learn's: no run each.
    cross_val_predict(DecisionTreeClassifier(max_depth=1), X, y, cv=3)
    assert len(client.search_runs()) == 3


class _TunedTree(DecisionTreeClassifier):
    def fit(self, X: Any, y: Any, sample_weight: Any = None, check_input: bool = True) -> Any:
        return super().fit(X, y, sample_weight=sample_weight, check_input=check_input)


def test_candidates_carry_the_parents_user_and_source(
    client: studio.Client, uri: str, iris: tuple[Any, Any]
) -> None:
    X, y = iris
    GridSearchCV(DecisionTreeClassifier(), {"max_depth": [1, 2]}, cv=2).fit(X, y)
    with studio.start_run(experiment="mine", tracking_uri=uri, tags={"team": "a"}) as run:
        GridSearchCV(DecisionTreeClassifier(), {"max_depth": [1, 2]}, cv=2).fit(X, y)
    (owned,) = client.search_runs(filter="attributes.name = 'GridSearchCV'")
    for parent in (owned, client.get_run(run.id)):
        children = children_of(client, parent)
        assert len(children) == 2
        for child in children.values():
            assert child.tags["studio.user"] == parent.tags["studio.user"]
            assert child.source == parent.source
            assert child.source is not None
            assert "team" not in child.tags  # the user's own tags are the parent's alone
