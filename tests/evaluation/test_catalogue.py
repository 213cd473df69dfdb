"""The built-in algorithms: what is offered for each task (LightGBM and XGBoost only where
installed), every one building and fitting behind its preprocessing with its defaults, values
checked before anything runs, and the types a LightGBM or XGBoost model needs approved."""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from studio.errors import InvalidInput
from studio.evaluation.catalogue import (
    UnknownAlgorithm,
    algorithms,
    get_algorithm,
    make_pipeline,
)
from studio.tracking.models import read_model_meta, save_model
from tests.databases import sqlite_only

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

HAS_XGBOOST = importlib.util.find_spec("xgboost") is not None
needs_xgboost = pytest.mark.skipif(not HAS_XGBOOST, reason="xgboost is not installed")
SKLEARN = [
    "hist_gradient_boosting",
    "random_forest",
    "extra_trees",
    "logistic_regression",
    "ridge",
    "linear_svm",
    "knn",
    "mlp",
]

# No store here, or only a local SQLite one: the PostgreSQL run has nothing to add.
pytestmark = sqlite_only


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """OpenMP's spinning threads on a busy 2-core machine cost seconds per boosting fit."""
    with threadpool_limits(1):
        yield


def frame(rows: int = 160) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    x = rng.normal(size=rows)
    data = pd.DataFrame(
        {
            "x": x,
            "noise": rng.normal(size=rows),
            "colour": rng.choice(["red", "green", "blue"], rows),
            "member": rng.choice([True, False], rows),
        }
    )
    data.loc[::17, "x"] = np.nan
    data["label"] = np.where(np.nan_to_num(x) + (data["colour"] == "red") > 0.3, "yes", "no")
    data["amount"] = 3 * np.nan_to_num(x) + rng.normal(scale=0.1, size=rows)
    return data


def test_the_catalogue_offers_what_is_installed_for_each_task() -> None:
    names = [algorithm.name for algorithm in algorithms()]
    assert names == [*SKLEARN, "lightgbm", *(["xgboost"] if HAS_XGBOOST else [])]
    regression = [algorithm.name for algorithm in algorithms("regression")]
    assert "ridge" in regression
    assert "logistic_regression" not in regression
    binary = [algorithm.name for algorithm in algorithms("binary")]
    assert "logistic_regression" in binary
    assert "ridge" not in binary
    assert [a.name for a in algorithms("classification")] == binary
    forest = get_algorithm("random_forest")
    assert forest.estimator_class("multiclass") == "RandomForestClassifier"
    assert forest.estimator_class("regression") == "RandomForestRegressor"
    # Class weights are for classification only; epsilon for regression only.
    assert "class_weight" not in [h.name for h in forest.hyperparameters_for("regression")]
    svm = get_algorithm("linear_svm")
    assert "epsilon" in [h.name for h in svm.hyperparameters_for("regression")]
    assert "epsilon" not in [h.name for h in svm.hyperparameters_for("binary")]
    for algorithm in algorithms():
        for hyperparameter in algorithm.hyperparameters:
            assert hyperparameter.help, (algorithm.name, hyperparameter.name)
            # Every default is a value the algorithm accepts.
            assert hyperparameter.parse(hyperparameter.default) == hyperparameter.default


def test_an_algorithm_missing_here_or_unknown_is_refused_naming_the_known_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(UnknownAlgorithm, match="No algorithm 'svm'; the algorithms are hist_"):
        get_algorithm("svm")
    with pytest.raises(KeyError):  # what the contract promises callers
        get_algorithm("svm")
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *args: None if name == "lightgbm" else real_find_spec(name, *args),
    )
    assert "lightgbm" not in [algorithm.name for algorithm in algorithms()]
    with pytest.raises(InvalidInput, match="'lightgbm' is not installed here"):
        get_algorithm("lightgbm")


@pytest.mark.parametrize("name", [*SKLEARN, "lightgbm"])
def test_each_algorithm_fits_behind_its_preprocessing_with_its_defaults(name: str) -> None:
    data = frame()
    X = data.drop(columns=["label", "amount"])
    algorithm = get_algorithm(name)
    for task, y in (("binary", data["label"]), ("regression", data["amount"])):
        if task not in algorithm.tasks:
            continue
        pipeline = make_pipeline(algorithm, X, task, seed=7)
        if algorithm.library != "scikit-learn":
            # LightGBM's OpenMP threads spin on a busy machine (make test runs two suites at
            # once): 1 s alone took 64 s there. One thread is what AutoML gives it too.
            pipeline.set_params(model__n_jobs=1)
        pipeline.fit(X, y)
        model = pipeline.named_steps["model"]
        assert type(model).__name__ == algorithm.estimator_class(task)
        if "random_state" in model.get_params():
            assert model.get_params()["random_state"] == 7
        score = pipeline.score(X, y)
        assert score > (0.8 if task == "binary" else 0.5), (name, task, score)


def test_given_values_reach_the_estimator_translated_where_needed() -> None:
    forest = get_algorithm("random_forest").build("binary", {"n_estimators": 20, "max_depth": 3})
    assert forest.get_params()["n_estimators"] == 20
    assert forest.get_params()["max_depth"] == 3
    # JSON numbers: 50.0 is a whole number for an int; 1 is a float's 1.0.
    ridge = get_algorithm("ridge").build("regression", {"alpha": 1})
    assert ridge.alpha == 1.0
    assert get_algorithm("knn").build("binary", {"n_neighbors": 50.0}).n_neighbors == 50
    mlp = get_algorithm("mlp").build("regression", {"hidden_units": 16, "hidden_layers": 2})
    assert mlp.hidden_layer_sizes == (16, 16)
    lgbm = get_algorithm("lightgbm").build("binary", {"subsample": 0.5})
    assert lgbm.get_params()["max_depth"] == -1  # LightGBM's "no limit"
    assert lgbm.get_params()["subsample_freq"] == 1  # or it would not subsample at all


def test_bad_values_are_refused_before_anything_runs_naming_each() -> None:
    forest = get_algorithm("random_forest")
    bad: dict[str, Any] = {
        "n_estimators": 0,
        "max_depth": 2.5,
        "bootstrap": "yes",
        "class_weight": "even",
        "min_samples_leaf": True,
        "depth": 3,
    }
    with pytest.raises(InvalidInput) as caught:
        forest.check("binary", bad)
    message = str(caught.value)
    assert message.startswith("Bad hyperparameters for random_forest: 'depth' is not one of")
    for fragment in (
        "n_estimators: 0 is below 10",
        "max_depth: 2.5 is not a whole number",
        "bootstrap: 'yes' is not true or false",
        "class_weight: 'even' is not one of [None, 'balanced', 'balanced_subsample']",
        "min_samples_leaf: True is not a number",
    ):
        assert fragment in message
    with pytest.raises(InvalidInput, match="'class_weight' is not one of random_forest's"):
        forest.check("regression", {"class_weight": "balanced"})
    with pytest.raises(InvalidInput, match="n_estimators: must have a value"):
        forest.check("binary", {"n_estimators": None})
    with pytest.raises(InvalidInput, match="inf is not a finite number"):
        forest.check("binary", {"max_features": float("inf")})
    assert forest.check("binary", {"max_depth": None})["max_depth"] is None
    with pytest.raises(InvalidInput, match="ridge does not do binary; it does regression"):
        get_algorithm("ridge").build("binary")
    with pytest.raises(InvalidInput, match="Unknown task 'ranking'"):
        forest.build("ranking")


def approval_needed(algorithm_name: str, task: str, tmp_path: Path) -> tuple[list[str], list[str]]:
    data = frame()
    X = data.drop(columns=["label", "amount"])
    y = data["amount"] if task == "regression" else (data["label"] == "yes").astype(int)
    algorithm = get_algorithm(algorithm_name)
    pipeline = make_pipeline(algorithm, X, task, {"n_estimators": 10}).fit(X, y)
    meta = read_model_meta(save_model(pipeline, tmp_path / task, input_example=X.head(2)))
    return meta.needs_approval, algorithm.untrusted_types(task)


def test_a_lightgbm_model_names_the_types_to_approve(tmp_path: Path) -> None:
    for task in ("binary", "regression"):
        found, declared = approval_needed("lightgbm", task, tmp_path)
        assert found == declared
        assert "lightgbm.basic.Booster" in declared
    assert get_algorithm("random_forest").untrusted_types("binary") == []


@needs_xgboost
def test_an_xgboost_model_names_the_types_to_approve(tmp_path: Path) -> None:
    for task in ("binary", "regression"):
        found, declared = approval_needed("xgboost", task, tmp_path)
        assert found == declared
        assert "xgboost.core.Booster" in declared
