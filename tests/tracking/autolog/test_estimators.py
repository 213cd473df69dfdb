"""Autolog of plain estimators, pipelines and cross-validation: what a data scientist finds
after fitting."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import sklearn.model_selection
from sklearn.datasets import load_diabetes
from sklearn.ensemble import IsolationForest
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, log_loss, mean_absolute_error
from sklearn.model_selection import (
    cross_val_score,
)
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

import studio
from studio.tracking.autolog import autolog
from studio.tracking.entities import RunStatus
from tests.tracking.autolog.support import (
    CLASSIFIER_METRICS,
    REGRESSOR_METRICS,
    last,
    only_run,
)

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
    artifacts = {artifact.path for artifact in client.list_artifacts(run.id)}
    assert artifacts == {"model", "estimator.html", "datasets"}  # no figures: not a classifier


def test_worker_threads_of_a_fit_do_not_make_runs(
    client: studio.Client, iris: tuple[Any, Any]
) -> None:
    X, _ = iris
    # IsolationForest fits its trees on joblib worker threads.
    IsolationForest(n_estimators=8, n_jobs=2, random_state=0).fit(X)
    assert only_run(client).name == "IsolationForest"


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
