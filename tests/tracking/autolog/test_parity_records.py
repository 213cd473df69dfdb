"""The parts of autolog's parity records: which metric calls log (names imported before
`autolog()`, views, copies, scikit-learn's own calls), failures, datasets and environments."""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse
import sklearn.metrics
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    _classification,
    f1_score,  # imported before autolog(): rebound by it
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

import studio
from studio.debugger import watch
from studio.tracking.autolog import AutologWarning, autolog
from studio.tracking.datasets import DATASETS_TAG, describe_dataset, log_dataset
from studio.tracking.validation import MAX_TAG_VALUE_LENGTH
from tests.tracking.autolog.parity import artifact_text, datasets
from tests.tracking.autolog.support import last, only_run

# In a dict: autolog() rebinds every name of this module bound to f1_score.
_ORIGINALS = {"f1_score": f1_score}


def _halves(iris: tuple[Any, Any]) -> tuple[Any, Any, Any, Any]:
    X, y = iris
    binary = (y == 1).astype(int)
    return X[::2], X[1::2], binary[::2], binary[1::2]


def test_metric_names_imported_before_autolog_log_in_the_module_that_called_it(
    uri: str, iris: tuple[Any, Any]
) -> None:
    X_train, X_test, y_train, y_test = _halves(iris)
    autolog(tracking_uri=uri)  # this module's `f1_score` is rebound to a logging one
    try:
        assert f1_score is not _ORIGINALS["f1_score"]
        model = LogisticRegression().fit(X_train, y_train)
        predicted = model.predict(X_test)
        f1 = f1_score(y_test, predicted)
        # The name in another module, bound before autolog(), keeps the unwrapped function.
        _classification.precision_score(y_test, predicted)
    finally:
        autolog(disable=True)
    assert f1_score is _ORIGINALS["f1_score"]  # and put back
    run = only_run(studio.Client(uri))
    assert last(run, "f1_score_X_test") == pytest.approx(f1)
    assert not any(key.startswith("precision_score") for key in run.metrics)


def test_only_the_users_calls_on_the_models_own_predictions_log(
    client: studio.Client, uri: str, iris: tuple[Any, Any]
) -> None:
    X_train, X_test, y_train, y_test = _halves(iris)
    autolog(disable=True)
    before_autolog = LogisticRegression(C=0.5).fit(X_train, y_train)
    autolog(tracking_uri=uri, experiment="autolog")
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, y_train)
    predicted = model.predict(X_test)

    sklearn.metrics.accuracy_score(y_test, predicted.copy())  # a copy is not the prediction
    sklearn.metrics.accuracy_score(y_test, before_autolog.predict(X_test))
    permutation_importance(model, X_test, y_test, n_repeats=2, random_state=0)
    sklearn.metrics.accuracy_score(y_test, predicted)
    X_test = X_test[:20]  # the same name, other data: X_test-2
    sklearn.metrics.accuracy_score(y_test[:20], model.predict(X_test))

    run = only_run(client)
    post_training = sorted(key for key in run.metrics if not key.startswith("training_"))
    assert post_training == ["accuracy_score_X_test", "accuracy_score_X_test-2"]
    assert set(datasets(run)) == {"train/X_train", "eval/X_test", "eval/X_test-2"}


def test_fits_that_studio_makes_for_the_user_are_not_autologged(
    client: studio.Client, iris: tuple[Any, Any]
) -> None:
    X, y = iris
    # The debugger logs its own run (here none: run=False); autolog must not add one.
    result = watch(
        GradientBoostingClassifier(n_estimators=3), X, y, run=False, rules=None, display=False
    )
    assert result.estimator.n_estimators_ == 3
    assert client.search_runs() == []


def test_a_metric_that_cannot_be_logged_warns_at_the_users_line_and_returns_its_value(
    client: studio.Client, iris: tuple[Any, Any]
) -> None:
    X_train, X_test, y_train, y_test = _halves(iris)
    model = LogisticRegression().fit(X_train, y_train)
    client.delete_run(only_run(client).id)
    with pytest.warns(AutologWarning, match="LogisticRegression_score on X_test") as record:
        score = model.score(X_test, y_test)
    assert record[0].filename == __file__
    assert score == pytest.approx(np.mean(model.predict(X_test) == y_test))


def test_a_datasets_digest_follows_its_data_and_costs_a_bounded_sample() -> None:
    frame = pd.DataFrame({"a": np.arange(50_000, dtype=float), "b": ["x", "y"] * 25_000})
    info = describe_dataset(frame, frame["a"] > 10, name="frame")
    assert info["digest"] == describe_dataset(frame.copy(), frame["a"] > 10)["digest"]
    changed = frame.copy()
    changed.loc[0, "a"] = -1.0  # the first row is always in the sample
    assert describe_dataset(changed, frame["a"] > 10)["digest"] != info["digest"]
    assert describe_dataset(frame, frame["a"] >= 10)["digest"] != info["digest"]  # row 10
    assert len(info["digest"]) == 16
    assert (info["rows"], info["columns"], info["source"]) == (50_000, 2, "code")
    assert info["schema"] == [{"name": "a", "type": "double"}, {"name": "b", "type": "string"}]
    sparse = describe_dataset(scipy.sparse.random(100, 5, density=0.2, random_state=0))
    assert (sparse["rows"], sparse["columns"]) == (100, 5)


def test_log_dataset_lists_each_dataset_once_within_a_tags_length(uri: str, tmp_path: Path) -> None:
    client = studio.Client(uri)
    with studio.start_run(tracking_uri=uri) as run:
        for start in range(30):  # ~300 characters each: past the tag's length
            data = np.arange(start, start + 4).reshape(2, 2)
            log_dataset(run, describe_dataset(data, name=f"{start}-{'long name ' * 25}"))
        first = describe_dataset(np.ones((3, 2)), name="train")
        log_dataset(run, first)
        log_dataset(run, first)
    stored = client.get_run(run.id)
    assert len(stored.tags[DATASETS_TAG]) <= MAX_TAG_VALUE_LENGTH
    listed = json.loads(stored.tags[DATASETS_TAG])
    assert [entry["digest"] for entry in listed].count(first["digest"]) == 1
    assert listed[-1]["digest"] == first["digest"]
    assert not listed[0]["name"].startswith("0-")  # the oldest gave way
    assert json.loads(stored.tags["studio.dataset"])["name"] == "train"
    full = artifact_text(client, run.id, f"datasets/train-{first['digest']}.json", tmp_path)
    assert json.loads(full)["schema"] == [
        {"name": "x0", "type": "double"},
        {"name": "x1", "type": "double"},
    ]


def _double(values: Any) -> Any:
    return values * 2


def test_log_model_writes_the_models_requirements_beside_it(uri: str, tmp_path: Path) -> None:
    lightgbm = pytest.importorskip("lightgbm")
    model = make_pipeline(FunctionTransformer(_double), lightgbm.LGBMClassifier())
    with studio.start_run(tracking_uri=uri) as run:
        run.log_model(model, "model")
    client = studio.Client(uri)
    requirements = artifact_text(client, run.id, "model/requirements.txt", tmp_path)
    lines = requirements.splitlines()
    assert f"lightgbm=={version('lightgbm')}" in lines
    assert f"scikit-learn=={version('scikit-learn')}" in lines
    assert f"# {__name__.split('.')[0]}: not an installed distribution, not pinned" in lines
    python_env = artifact_text(client, run.id, "model/python_env.yaml", tmp_path)
    assert python_env.startswith("python: 3.")
