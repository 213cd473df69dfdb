"""AutoML on a regression frame with categorical columns and missing values, its folds run as
tasks on a small Dask cluster, in the server's store; then its REST routes: the list, the
leaderboard (404 for an unknown run and for a run that is no AutoML search) and POST, which
writes the template notebook beside the data and queues it as a job. No store-specific SQL:
SQLite only."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from sklearn.metrics import r2_score

import studio
from studio.jobs.notebooks import inspect_parameters
from studio.registry import clients as registry_clients
from studio.tracking.client import Client
from tests.databases import sqlite_only
from tests.evaluation.automl_frames import regression_frame
from tests.tracking.logging_store import close_connection

if TYPE_CHECKING:
    from collections.abc import Iterator

    from distributed import Client as DaskClient
    from jupyter_server.serverapp import ServerApp
    from traitlets.config import Config

    from tests.conftest import StudioFetch

pytestmark = sqlite_only

BUDGET = 5.0


@pytest.fixture(scope="module")
def dask_client() -> Iterator[DaskClient]:
    from distributed import Client as DaskClient
    from distributed import LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        DaskClient(cluster) as client,
    ):
        yield client


@pytest.fixture
def jp_server_config(jp_server_config: Config) -> Config:
    jp_server_config.StudioApp.scheduler_enabled = False  # queued runs stay queued
    return jp_server_config


@pytest.fixture
def server_store(jp_serverapp: ServerApp) -> Iterator[None]:
    """Runs logged here go to the server's store (the server exported its locations)."""
    yield
    for client in list(registry_clients._clients.values()):
        if isinstance(client, registry_clients.LocalRegistry):
            client.service.store.db.dispose()
    registry_clients._clients.clear()
    close_connection("")


async def test_a_regression_search_on_dask_is_listed_and_ranked_through_rest(
    server_store: None,
    dask_client: DaskClient,
    jp_root_dir: Path,
    studio_fetch: StudioFetch,
    studio_home: Path,
) -> None:
    frame = regression_frame(360)
    train, test = frame.iloc[:300], frame.iloc[300:].reset_index(drop=True)
    data = jp_root_dir / "data" / "houses.parquet"
    data.parent.mkdir()
    train.to_parquet(data)

    result = await asyncio.to_thread(
        studio.automl, data, "price", time_budget=BUDGET, executor=dask_client, test_data=test
    )

    assert BUDGET <= result.search_seconds <= 1.1 * BUDGET
    assert (result.task, result.metric) == ("regression", "r2")
    model = Client().load_model(result.model_version.uri, trusted=True)
    r2 = r2_score(test["price"], model.predict(test.drop(columns="price")))
    assert r2 == pytest.approx(result.evaluation.metrics["r2"])
    assert r2 > 0.5

    listed = await studio_fetch("GET", "automl")
    assert listed.code == 200, listed.json
    (summary,) = listed.json["automls"]
    assert summary["run_id"] == result.run_id
    assert summary["phase"] == "done"
    assert summary["status"] == "FINISHED"
    assert summary["target"] == "price"
    assert summary["task"] == "regression"
    assert summary["metric"] == "r2"
    assert summary["greater_is_better"] is True
    assert summary["time_budget"] == 5
    assert summary["search_seconds"] == pytest.approx(result.search_seconds)
    assert summary["model_name"] == "houses-automl"
    assert summary["model_version"] == 1
    assert summary["notebooks"] == {
        "exploration": "data/houses.automl/exploration.ipynb",
        "candidates": "data/houses.automl/candidates.ipynb",
    }
    assert summary["data"] == "data/houses.parquet"
    assert summary["candidates"] == len(result.leaderboard)
    assert summary["best_run_id"] == result.best_run_id

    detail = await studio_fetch("GET", f"automl/{result.run_id}")
    assert detail.code == 200, detail.json
    board: list[dict[str, Any]] = detail.json["leaderboard"]
    ranked = [row for row in board if row["rank"] is not None]
    assert [row["rank"] for row in ranked] == list(range(1, len(ranked) + 1))
    assert board[: len(ranked)] == ranked
    scores = [row["score"] for row in ranked]
    assert scores[1:] == sorted(scores[1:], reverse=True)  # after the chosen one
    assert ranked[0]["ensemble"] or scores[0] >= scores[1]
    assert ranked[0]["run_id"] == result.best_run_id
    assert ranked[0]["score"] == pytest.approx(result.leaderboard["score"].iloc[0])
    singles = [row for row in ranked if not row["ensemble"]]
    assert all(row["fit_time"] > 0 for row in singles)
    assert all(row["folds"] == 5 for row in singles)
    assert {row["state"] for row in board} <= {"complete", "pruned", "failed", "stopped"}
    assert np.isclose(detail.json["best_score"], scores[0])

    (await studio_fetch("GET", "automl/0123456789abcdef")).error(404)
    unknown = await studio_fetch("GET", "automl", params={"experiment_id": 987654})
    unknown.error(404, "experiment")
    (await studio_fetch("GET", f"automl/{result.best_run_id}")).error(404, "not an AutoML")


async def test_post_writes_the_template_beside_the_data_and_queues_it(
    jp_serverapp: ServerApp, jp_root_dir: Path, studio_fetch: StudioFetch, studio_home: Path
) -> None:
    data = jp_root_dir / "data" / "houses.csv"
    data.parent.mkdir()
    regression_frame(50).to_csv(data, index=False)
    body = {"path": "data/houses.csv", "target": "price", "time_budget": 30}

    answer = await studio_fetch("POST", "automl", body=body)

    assert answer.code == 201, answer.json
    assert answer.json["status"] == "QUEUED"
    beside = jp_root_dir.resolve() / "data" / "houses.automl.ipynb"
    parameters = {p.name: p.value for p in inspect_parameters(beside)}
    assert parameters == {
        "data_path": str(beside.parent / "houses.csv"),
        "target": "price",
        "task": None,
        "metric": None,
        "time_budget": 30,
        "experiment": "automl-houses",
        "seed": 0,
        "register_as": None,
    }
    assert answer.json["parameters"] == parameters
    copy = Path(answer.json["notebook_path"])
    assert copy.parent.parent == studio_home / "automl"
    assert copy.read_text() == beside.read_text()

    wrong = {**body, "target": "cost"}
    (await studio_fetch("POST", "automl", body=wrong)).error(400, "no column 'cost'")
    outside = {**body, "path": "../houses.csv"}
    (await studio_fetch("POST", "automl", body=outside)).error(400, "leads out")
    # Its template goes beside the data: beside the root is out of it.
    root_itself = {**body, "path": "."}
    (await studio_fetch("POST", "automl", body=root_itself)).error(400, "not the root")
    (await studio_fetch("POST", "automl", body={**body, "path": "data/none.csv"})).error(404)
    (await studio_fetch("POST", "automl", body={**body, "time_budget": 1})).error(422)
