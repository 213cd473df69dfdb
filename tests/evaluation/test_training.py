"""Training without code, before any job: a request is checked on the data itself (target,
task, algorithm, hyperparameters, paths under the root), and the template notebook beside the
data holds every parameter, defaults included, for the user to open and run again. An XGBoost
template (string classes, k-fold) runs top to bottom; the REST test runs a job to the end."""

from __future__ import annotations

import importlib.util
import json
import os
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pytest

from studio.config import TRACKING_URI_ENV
from studio.errors import InvalidInput, NotFound
from studio.evaluation.schemas import TrainIn
from studio.evaluation.training import prepare_training
from studio.jobs.notebooks import inspect_parameters
from studio.tracking.client import Client
from tests.databases import sqlite_only
from tests.tracking.logging_store import close_connection

if TYPE_CHECKING:
    from pathlib import Path

# No store here, or only a local SQLite one: the PostgreSQL run has nothing to add.
pytestmark = sqlite_only


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A server root with a CSV file of churned customers under data/."""
    rng = np.random.default_rng(0)
    rows = 80
    (tmp_path / "root" / "data").mkdir(parents=True)
    pd.DataFrame(
        {
            "tenure": rng.integers(1, 60, rows),
            "plan": rng.choice(["free", "pro"], rows),
            "spend": rng.normal(50, 10, rows).round(2),
            "churned": rng.choice(["yes", "no"], rows),
            "constant": "same",
        }
    ).to_csv(tmp_path / "root" / "data" / "churn.csv", index=False)
    return tmp_path / "root"


def request(**fields: Any) -> TrainIn:
    return TrainIn.model_validate(
        {"path": "data/churn.csv", "target": "churned", "algorithm": "random_forest", **fields}
    )


def test_the_template_beside_the_data_holds_every_parameter(root: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    body = request(
        hyperparameters={"n_estimators": 50},
        validation={"kind": "cv", "folds": 3},
        register_as="churn",
        seed=4,
    )

    copy, parameters = prepare_training(body, root, home)

    beside = root / "data" / "churn.train-random_forest.ipynb"
    assert copy.name == beside.name
    assert copy.parent.parent == home / "training"  # a folder of its own per job
    assert copy.read_text() == beside.read_text()
    hyperparameters = json.loads(parameters["hyperparameters"])
    assert hyperparameters["n_estimators"] == 50
    assert hyperparameters["min_samples_leaf"] == 1  # the defaults are written out too
    assert parameters == {
        "data_path": str(root / "data" / "churn.csv"),
        "target": "churned",
        "algorithm": "random_forest",
        "task": "binary",
        "hyperparameters": parameters["hyperparameters"],
        "validation": "cv",
        "holdout": 0.2,
        "folds": 3,
        "register_as": "churn",
        "experiment": "training",
        "seed": 4,
    }
    found = {p.name: p for p in inspect_parameters(beside)}
    assert {name: p.value for name, p in found.items()} == parameters
    assert found["target"].help == "the column to predict"
    source = "".join(cell["source"] for cell in json.loads(beside.read_text())["cells"])
    assert "studio.evaluate(pipeline, X, y" in source
    assert "run.log_model(pipeline, input_example=X.head(5))" in source
    assert "studio.register_model(run.id, register_as)" in source
    assert "enumerate(classes)" not in source  # label codes only for XGBoost


def test_the_task_and_the_hyperparameters_are_checked_for_the_algorithm(
    root: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    _, regression = prepare_training(
        request(target="spend", algorithm="ridge", hyperparameters={"alpha": 3}), root, home
    )
    assert regression["task"] == "regression"
    assert json.loads(regression["hyperparameters"]) == {"alpha": 3.0}
    with pytest.raises(InvalidInput, match="ridge does not do binary; it does regression"):
        prepare_training(request(algorithm="ridge"), root, home)
    bad = request(hyperparameters={"n_estimators": 5, "depth": 2})
    with pytest.raises(InvalidInput, match="'depth' is not one of random_forest's") as caught:
        prepare_training(bad, root, home)
    assert "n_estimators: 5 is below 10" in str(caught.value)
    with pytest.raises(InvalidInput, match="No algorithm 'svm'"):
        prepare_training(request(algorithm="svm"), root, home)
    with pytest.raises(InvalidInput, match=r"No column 'label' in 'churn.csv'"):
        prepare_training(request(target="label"), root, home)
    with pytest.raises(InvalidInput, match="single class"):
        prepare_training(request(target="constant"), root, home)
    with pytest.raises(InvalidInput, match="Invalid model name"):
        prepare_training(request(register_as="a/b"), root, home)
    # Nothing was written for a refused request.
    assert sorted(p.name for p in (root / "data").iterdir()) == [
        "churn.csv",
        "churn.train-ridge.ipynb",  # the regression's, above
    ]


def test_paths_stay_under_the_root_symbolic_links_included(root: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    outside = tmp_path / "outside.csv"
    (root / "data" / "churn.csv").rename(outside)
    os.symlink(outside, root / "data" / "link.csv")
    with pytest.raises(InvalidInput, match="leads out of the server's root folder"):
        prepare_training(request(path="../outside.csv"), root, home)
    with pytest.raises(InvalidInput, match="leads out of the server's root folder"):
        prepare_training(request(path="data/link.csv"), root, home)
    with pytest.raises(NotFound, match=r"none.csv"):
        prepare_training(request(path="data/none.csv"), root, home)
    # The root itself, a folder of tables: its template would land beside it, out of the root.
    pd.read_csv(outside).to_parquet(root / "churn.parquet")
    with pytest.raises(InvalidInput, match="under the server's root, not the root"):
        prepare_training(request(path="."), root, home)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outside.csv", "root"]
    assert not home.exists()


@pytest.mark.skipif(importlib.util.find_spec("xgboost") is None, reason="xgboost not installed")
def test_an_xgboost_template_runs_top_to_bottom_on_string_classes(
    root: Path, tmp_path: Path, studio_clean_environment: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """XGBoost takes classes as 0..n-1: its template encodes them. The cells run in this
    process, as a kernel would run them, on a store of the test's own."""
    home = tmp_path / "home"
    monkeypatch.setenv(TRACKING_URI_ENV, str(home))
    body = request(
        algorithm="xgboost",
        hyperparameters={"n_estimators": 20},
        validation={"kind": "cv", "folds": 3},
        seed=1,
    )
    notebook, _ = prepare_training(body, root, home)
    cells = json.loads(notebook.read_text())["cells"]
    namespace: dict[str, Any] = {}
    try:
        for cell in cells:
            if cell["cell_type"] == "code":
                exec(cell["source"], namespace)  # the parameters cell first, as papermill's
        run = Client().get_run(namespace["run"].id)
    finally:
        close_connection(str(home))
    assert namespace["classes"] == ["no", "yes"]
    assert run.tags["studio.evaluation.validation"] == "3-fold CV"
    assert "cv_accuracy" in run.metrics
    assert namespace["pipeline"].predict(namespace["X"].head(3)).tolist() in (
        [[a, b, c] for a in (0, 1) for b in (0, 1) for c in (0, 1)]
    )


def test_the_train_request_declares_its_hyperparameters_limits() -> None:
    from pydantic import ValidationError

    from studio.evaluation.schemas import MAX_HYPERPARAMETER_TEXT, TrainIn

    base = {"path": "data/churn.csv", "target": "churned", "algorithm": "random_forest"}
    TrainIn(**base, hyperparameters={"criterion": "gini"})
    for hyperparameters in (
        {"k" * 101: 1},
        {"criterion": "g" * (MAX_HYPERPARAMETER_TEXT + 1)},
        {f"h{i}": 1 for i in range(51)},
    ):
        with pytest.raises(ValidationError):
            TrainIn(**base, hyperparameters=hyperparameters)
