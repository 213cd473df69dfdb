"""GET /studio/api/evaluations/{run_id}: what `studio.evaluate` logged through a Studio server,
read back as the run panel's Evaluation tab reads it (on SQLite, or PostgreSQL where
STUDIO_TEST_DB_URL names a server)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from sklearn.svm import LinearSVC

import studio
from studio.config import TOKEN_ENV, TRACKING_URI_ENV
from studio.tracking import backends
from studio.tracking.evaluation_record import read_evaluations
from tests.evaluation.evaluate_data import binary_frame, classifier, split

if TYPE_CHECKING:
    from jupyter_server.serverapp import ServerApp
    from traitlets.config import Config

    from studio.tracking.service import TrackingService
    from tests.conftest import StudioFetch


@pytest.fixture
def jp_server_config(jp_server_config: Config) -> Config:
    jp_server_config.StudioApp.scheduler_enabled = False
    return jp_server_config


@pytest.fixture
def server(
    jp_serverapp: ServerApp,
    http_server: Any,
    jp_http_port: int,
    jp_base_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[TrackingService]:
    """The server's URL and token in the environment, as a kernel it started has them."""
    url = f"http://127.0.0.1:{jp_http_port}{jp_base_url}"
    monkeypatch.setenv(TRACKING_URI_ENV, url)
    monkeypatch.setenv(TOKEN_ENV, jp_serverapp.identity_provider.token)
    yield jp_serverapp.web_app.settings["studio_tracking"]
    connection = backends._connections.pop(url, None)
    if connection is not None:
        connection.writer.close()


async def test_evaluations_logged_through_the_server_are_read_back_newest_first(
    server: TrackingService, studio_fetch: StudioFetch
) -> None:
    X, y = binary_frame()
    gates = {"accuracy": ">= 0.6", "roc_auc": "> 0.999"}
    first = await asyncio.to_thread(
        studio.evaluate, classifier(), X, y, holdout=0.25, thresholds=gates
    )
    answer = await studio_fetch("GET", f"evaluations/{first.run_id}")
    assert answer.code == 200, answer.body
    body = answer.json
    assert body["run_id"] == first.run_id
    (holdout,) = body["evaluations"]
    assert holdout["label"] == "holdout"
    assert holdout["task"] == "binary"
    assert holdout["validation"] == "holdout 25%"
    assert holdout["model"] == "StandardScaler → LogisticRegression"
    assert holdout["rows"] == 60
    assert holdout["metrics"] == pytest.approx(first.metrics)
    assert holdout["baseline"]["accuracy"] == pytest.approx(first.baseline["accuracy"])
    assert holdout["baseline_model"] == "DummyClassifier(strategy='prior')"
    assert [(t["metric"], t["condition"], t["passed"]) for t in holdout["thresholds"]] == [
        ("accuracy", ">= 0.6", True),
        ("roc_auc", "> 0.999", False),
    ]
    assert holdout["passed"] is False
    assert set(holdout["figures"]) == {
        "confusion_matrix",
        "roc",
        "pr",
        "calibration",
        "permutation_importance",
    }
    assert holdout["figures"]["roc"]["data"][0]["type"] == "scatter"
    assert server.get_run(first.run_id).tags["studio.evaluation.passed"] == "false"

    X_train, y_train, X_test, y_test = split(X, y)
    model = classifier().fit(X_train, y_train)
    await asyncio.to_thread(
        studio.evaluate, model, X_train, y_train, test=(X_test, y_test), run=first.run_id
    )
    listed = (await studio_fetch("GET", f"evaluations/{first.run_id}")).json["evaluations"]
    assert [e["label"] for e in listed] == ["test", "holdout"]
    assert listed[0]["thresholds"] == []
    assert listed[0]["passed"] is None


async def test_unknown_runs_and_unreadable_records(
    server: TrackingService, studio_fetch: StudioFetch
) -> None:
    (await studio_fetch("GET", "evaluations/" + "0" * 32)).error(404, "0" * 32)
    (await studio_fetch("GET", "evaluations/not-a-run")).error(404, "not-a-run")
    experiment = server.get_or_create_experiment("e")
    run = server.create_run(experiment.id, name="plain")
    answer = await studio_fetch("GET", f"evaluations/{run.id}")
    assert answer.json == {"run_id": run.id, "evaluations": []}
    # A folder that is not JSON, and one written by another version: both are left out, and
    # a good one beside them is still read.
    server.upload_artifact(run.id, "evaluation/broken/summary.json", b"{not json")
    server.upload_artifact(run.id, "evaluation/other/summary.json", b'{"task": "ranking"}')
    X, y = binary_frame()
    await asyncio.to_thread(studio.evaluate, classifier(), X, y, cv=2, run=run.id)
    listed = (await studio_fetch("GET", f"evaluations/{run.id}")).json["evaluations"]
    assert [e["label"] for e in listed] == ["cv"]
    assert [fold["fold"] for fold in listed[0]["folds"]] == [0, 1]
    assert set(listed[0]["std"]) == set(listed[0]["metrics"])
    # The same label again replaces it, and the curves the new model has none for are gone
    # (files uploaded one by one through the server would otherwise stay behind).
    await asyncio.to_thread(studio.evaluate, LinearSVC(), X, y, cv=2, run=run.id)
    (again,) = (await studio_fetch("GET", f"evaluations/{run.id}")).json["evaluations"]
    assert again["model"] == "LinearSVC"
    assert set(again["figures"]) == {"confusion_matrix", "permutation_importance"}
    assert "roc_auc" not in again["metrics"]


async def test_records_read_back_are_bounded_and_name_only_their_figures(
    server: TrackingService, studio_fetch: StudioFetch, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("studio.tracking.evaluation_record.MAX_RECORD_FILE_BYTES", 5000)
    experiment = server.get_or_create_experiment("e")
    run = server.create_run(experiment.id, name="hostile")
    X, y = binary_frame()
    await asyncio.to_thread(studio.evaluate, classifier(), X, y, holdout=0.3, run=run.id)
    summary = {"task": "binary", "figure_names": ["../../secret"], "created_at": 1}
    server.upload_artifact(run.id, "secret.json", b'{"data": [], "layout": {}}')
    server.upload_artifact(run.id, "evaluation/named/summary.json", json.dumps(summary).encode())
    server.upload_artifact(run.id, "evaluation/huge/summary.json", b" " * 6000 + b"{}")
    answer = await studio_fetch("GET", f"evaluations/{run.id}")
    assert [e["label"] for e in answer.json["evaluations"]] == ["holdout"]
    record = read_evaluations(server, run.id)
    assert [e["label"] for e in record] == ["holdout", "named"]
    assert record[1]["figures"] == {}  # the secret was not read as a figure
