"""The built-in algorithms' REST routes on a real server: the catalogue per task, a file's
description for the train dialog, refusals before any job is queued, and the train route
producing a job that the server's scheduler runs to the end (a real papermill run): a tracking
run with the evaluation's metrics, a model, and a registered version. SQLite only: no
store-specific SQL here."""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pytest

from studio.jobs.entities import JobStatus
from studio.jobs.handlers import SCHEDULER_SETTING
from studio.registry.feature import FEATURE as REGISTRY
from tests.databases import sqlite_only

if TYPE_CHECKING:
    from pathlib import Path

    from jupyter_server.serverapp import ServerApp
    from traitlets.config import Config

    from studio.jobs.service import JobService
    from studio.registry.service import RegistryService
    from studio.tracking.service import TrackingService
    from tests.conftest import StudioFetch

pytestmark = sqlite_only


@pytest.fixture
def jp_server_config(jp_server_config: Config) -> Config:
    jp_server_config.StudioApp.job_heartbeat_interval = 0.5
    return jp_server_config


@pytest.fixture
def data(jp_root_dir: Path) -> Path:
    """data/churn.csv under the server's root: 120 customers, a learnable target."""
    rng = np.random.default_rng(0)
    rows = 120
    tenure = rng.integers(1, 60, rows)
    frame = pd.DataFrame(
        {
            "customer_id": np.arange(rows),
            "tenure": tenure.astype(float),
            "plan": rng.choice(["free", "pro", "team"], rows),
            "churned": np.where(tenure < 20, "yes", "no"),
        }
    )
    frame.loc[[4, 9], "tenure"] = np.nan
    (jp_root_dir / "data").mkdir()
    frame.to_csv(jp_root_dir / "data" / "churn.csv", index=False)
    return jp_root_dir / "data" / "churn.csv"


async def test_the_catalogue_is_listed_per_task(studio_fetch: StudioFetch) -> None:
    listed = (await studio_fetch("GET", "algorithms")).json["algorithms"]
    names = [algorithm["name"] for algorithm in listed]
    assert names[:3] == ["hist_gradient_boosting", "random_forest", "extra_trees"]
    assert {"ridge", "logistic_regression", "lightgbm"} <= set(names)
    forest = listed[names.index("random_forest")]
    assert forest["estimator"] == "RandomForestClassifier / RandomForestRegressor"
    assert forest["tasks"] == ["binary", "multiclass", "regression"]
    n_estimators = forest["hyperparameters"][0]
    assert n_estimators == {
        "name": "n_estimators",
        "kind": "int",
        "default": 100,
        "low": 10,
        "high": 5000,
        "log": True,
        "choices": None,
        "nullable": False,
        "help": "Number of trees.",
    }

    regression = (await studio_fetch("GET", "algorithms", params={"task": "regression"})).json
    by_name = {algorithm["name"]: algorithm for algorithm in regression["algorithms"]}
    assert "logistic_regression" not in by_name
    assert by_name["random_forest"]["estimator"] == "RandomForestRegressor"
    assert "class_weight" not in [h["name"] for h in by_name["random_forest"]["hyperparameters"]]
    bad = await studio_fetch("GET", "algorithms", params={"task": "ranking"})
    bad.error(422, "task")


async def test_a_file_is_described_for_the_dialog(studio_fetch: StudioFetch, data: Path) -> None:
    answer = await studio_fetch(
        "POST", "datasets/inspect", body={"path": "data/churn.csv", "target": "churned"}
    )

    assert answer.code == 200, answer.json
    described = answer.json
    assert described["path"] == "data/churn.csv"
    assert described["rows"] == 120
    assert described["task"] == "binary"
    assert described["classes"] == ["no", "yes"]
    kinds = {column["name"]: column["kind"] for column in described["columns"]}
    assert kinds == {
        "customer_id": "id",
        "tenure": "numeric",
        "plan": "categorical",
        "churned": "categorical",
    }
    assert described["warnings"] == [
        "'customer_id' looks like an identifier: training leaves it out."
    ]
    assert len(described["preview"]) == 20
    missing = await studio_fetch("POST", "datasets/inspect", body={"path": "data/none.csv"})
    missing.error(404, "none.csv")
    outside = await studio_fetch("POST", "datasets/inspect", body={"path": "../churn.csv"})
    outside.error(400, "leads out of the server's root folder")
    no_column = {"path": "data/churn.csv", "target": "label"}
    (await studio_fetch("POST", "datasets/inspect", body=no_column)).error(400, "No column")


async def test_bad_requests_are_refused_before_any_job(
    studio_fetch: StudioFetch, data: Path, jp_serverapp: ServerApp
) -> None:
    base = {"path": "data/churn.csv", "target": "churned", "algorithm": "random_forest"}
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"path": "data/none.csv"}, 404, "none.csv"),
        ({"path": "../churn.csv"}, 400, "leads out"),
        ({"target": "label"}, 400, "No column 'label'"),
        ({"algorithm": "svm"}, 400, "No algorithm 'svm'; the algorithms are"),
        ({"algorithm": "ridge"}, 400, "ridge does not do binary"),
        ({"hyperparameters": {"n_estimators": -1}}, 400, "n_estimators: -1 is below 10"),
        ({"hyperparameters": {"n_estimators": [1]}}, 422, "hyperparameters"),
        ({"validation": {"kind": "cv", "folds": 1}}, 422, "folds"),
        ({"task": "ranking"}, 422, "task"),
    ]
    for change, status, fragment in cases:
        answer = await studio_fetch("POST", "training", body={**base, **change})
        answer.error(status, fragment)
    jobs: JobService = jp_serverapp.web_app.settings["studio_jobs"]
    assert jobs.list_runs()[0] == []


async def test_the_train_route_produces_a_job_a_run_and_a_registered_model(
    studio_fetch: StudioFetch,
    data: Path,
    jp_serverapp: ServerApp,
    studio_tracking: TrackingService,
    studio_home: Path,
) -> None:
    app = jp_serverapp.extension_manager.extension_points["studio"].app
    app.settings[SCHEDULER_SETTING].tick = 60  # the handler's wake() starts it at once
    await app._start_jupyter_server_extension(jp_serverapp)  # pytest-jupyter's never calls it
    jobs: JobService = jp_serverapp.web_app.settings["studio_jobs"]
    body = {
        "path": "data/churn.csv",
        "target": "churned",
        "algorithm": "random_forest",
        "hyperparameters": {"n_estimators": 20, "max_depth": 4},
        "validation": {"kind": "holdout", "holdout": 0.25},
        "experiment": "churn-training",
        "register_as": "churn",
    }

    answer = await studio_fetch("POST", "training", body=body)

    assert answer.code == 201, answer.json
    queued = answer.json
    assert queued["name"] == "train random_forest on churn.csv"
    assert queued["parameters"]["task"] == "binary"
    beside = data.parent / "churn.train-random_forest.ipynb"
    assert beside.is_file()  # the user's to open
    assert queued["notebook_path"].startswith(str(studio_home / "training"))
    deadline = time.monotonic() + 120
    while not (job_run := jobs.get_run(queued["id"])).status.is_final:
        assert time.monotonic() < deadline, "the training job did not end"
        await asyncio.sleep(0.25)
    assert job_run.status is JobStatus.SUCCEEDED, job_run.error

    run = studio_tracking.get_run(job_run.run_id or "")
    assert run.params["algorithm"] == "random_forest"
    assert run.params["n_estimators"] == "20"
    assert json.loads(run.params["hyperparameters"])["max_depth"] == 4
    assert run.metrics["accuracy"].last > 0.8
    assert "baseline_accuracy" in run.metrics
    assert studio_tracking.get_experiment(run.experiment_id).name == "churn-training"
    assert "model" in [artifact.path for artifact in studio_tracking.list_artifacts(run.id)]
    registry: RegistryService = jp_serverapp.web_app.settings[REGISTRY.settings_key]
    [version] = registry.list_versions("churn")
    assert version.run_id == run.id
    assert version.model_class == "sklearn.pipeline.Pipeline"
    model = registry.load(version)
    frame = pd.read_csv(data)
    predicted = model.predict(frame.drop(columns=["churned"]))
    assert (predicted == frame["churned"]).mean() > 0.9
