"""Batch transform: a registered version scores a CSV file as a notebook job (a real papermill
run on the local store) and a folder of Parquet files with the functions its notebook calls,
a missing column fails the job naming it, and the REST route queues the job for a file under
the server's root and nothing outside it. No store-specific SQL: SQLite only."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

import studio
from studio.config import TOKEN_ENV, TRACKING_URI_ENV
from studio.jobs import clients as jobs_clients
from studio.jobs.entities import JobStatus
from studio.jobs.notebooks import inspect_parameters
from studio.registry import clients as registry_clients
from studio.registry.batch import batch_transform, load_version, score_files
from studio.registry.batch_handlers import ROUTES
from studio.tracking.client import Client
from tests.databases import sqlite_only
from tests.jobs.local_jobs import local_home  # noqa: F401  (a fixture)
from tests.tracking.logging_store import close_connection

if TYPE_CHECKING:
    from collections.abc import Iterator

    from jupyter_server.serverapp import ServerApp
    from traitlets.config import Config

    from tests.conftest import StudioFetch

pytestmark = sqlite_only


@pytest.fixture(scope="module")
def fitted() -> tuple[pd.DataFrame, Pipeline]:
    """The breast cancer data and a classifier fitted on it, once for the module."""
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return X, make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)


def register_approved(name: str, X: pd.DataFrame, model: Any) -> str:
    """Log, register and approve `model` in the environment's store; its version's URI."""
    with studio.start_run(experiment="batch-test") as run:
        run.log_model(model, "model", input_example=X.head(5))
    version = studio.register_model(run.id, name)
    Client().approve_model_version(name, version.version)
    return version.uri


@pytest.fixture
def scored(
    local_home: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    fitted: tuple[pd.DataFrame, Pipeline],
) -> Iterator[tuple[pd.DataFrame, Pipeline, str]]:
    """A registered, approved logistic regression in a store of the test's own (named as the
    tracking URI, so that no connection of another test's store is reused)."""
    monkeypatch.setenv(TRACKING_URI_ENV, str(local_home))
    X, model = fitted
    yield X, model, register_approved("cancer", X, model)
    for client in list(registry_clients._clients.values()):
        if isinstance(client, registry_clients.LocalRegistry):
            client.service.store.db.dispose()
    registry_clients._clients.clear()
    close_connection(str(local_home))


def test_a_csv_file_is_scored_beside_its_rows(
    scored: tuple[pd.DataFrame, Pipeline, str], tmp_path: Path
) -> None:
    X, model, uri = scored
    source = tmp_path / "data" / "patients.csv"
    source.parent.mkdir()
    X.to_csv(source, index=False)

    job_run = batch_transform(uri, source, chunk_rows=100, experiment="batch", wait=True)

    assert job_run.status is JobStatus.SUCCEEDED, job_run.error
    written = pd.read_csv(tmp_path / "data" / "patients.predictions.csv")
    assert list(written.columns) == [*X.columns, "prediction", "probability_0", "probability_1"]
    pd.testing.assert_frame_equal(written[list(X.columns)], X)
    assert (written["prediction"].to_numpy() == model.predict(X)).all()
    assert np.allclose(written["probability_1"], model.predict_proba(X)[:, 1])
    # The notebook that ran is beside the input, with its parameters, to open and run again.
    notebook = tmp_path / "data" / "patients.batch_transform.ipynb"
    parameters = {p.name: p.value for p in inspect_parameters(notebook)}
    assert parameters == {
        "model_uri": uri,
        "input_path": str(source),
        "output_path": None,
        "chunk_rows": 100,
    }
    # It ran a copy in a folder of its own: a Dask worker gets that folder, not the data's.
    assert Path(job_run.notebook_path).parent.parent == tmp_path / "home" / "batch_transform"
    run = Client().get_run(job_run.run_id)
    assert run.metrics["rows"].last == len(X)
    assert run.metrics["rows_scored"].count == 6  # one point a chunk of 100 rows
    assert run.metrics["rows_per_second"].last > 0
    assert run.params["model_version"] == uri


def test_a_folder_of_parquet_files_is_scored_into_a_folder(
    scored: tuple[pd.DataFrame, Pipeline, str], tmp_path: Path
) -> None:
    """What the job's notebook runs, in this process (the job itself is the CSV test's)."""
    X, model, _ = scored
    Client().set_model_alias("cancer", "champion", 1)
    folder = tmp_path / "batches"
    folder.mkdir()
    X.iloc[:200].to_parquet(folder / "a.parquet")
    X.iloc[200:].to_parquet(folder / "b.parquet")
    (folder / "notes.txt").write_text("not scored")
    chunks: list[int] = []

    loaded, version = load_version("models:/cancer@champion")
    summary = score_files(loaded, version.signature, folder, chunk_rows=64, on_chunk=chunks.append)

    out = tmp_path / "batches.predictions"
    assert sorted(p.name for p in out.iterdir()) == ["a.parquet", "b.parquet"]
    assert summary.files == (
        (str(folder / "a.parquet"), str(out / "a.parquet")),
        (str(folder / "b.parquet"), str(out / "b.parquet")),
    )
    written = pd.concat([pd.read_parquet(out / name) for name in ("a.parquet", "b.parquet")])
    assert len(written) == summary.rows == len(X)
    assert (written["prediction"].to_numpy() == model.predict(X)).all()
    assert chunks[-1] == len(X)
    assert len(chunks) == 4 + 6  # 200 rows in chunks of 64, then 369


def test_a_missing_column_fails_the_job_naming_it(
    scored: tuple[pd.DataFrame, Pipeline, str], tmp_path: Path
) -> None:
    X, _, uri = scored
    source = tmp_path / "partial.csv"
    X.drop(columns=["worst area"]).to_csv(source, index=False)

    job_run = batch_transform(uri, source)

    assert job_run.status is JobStatus.FAILED
    assert job_run.error is not None
    assert "missing column(s) ['worst area']" in job_run.error
    assert not (tmp_path / "partial.predictions.csv").exists()


def test_a_file_of_a_header_alone_scores_to_its_columns_and_prediction(
    fitted: tuple[pd.DataFrame, Pipeline], tmp_path: Path
) -> None:
    X, model = fitted
    X.head(0).to_csv(tmp_path / "empty.csv", index=False)
    X.head(0).to_parquet(tmp_path / "empty.parquet")

    for name in ("empty.csv", "empty.parquet"):
        assert score_files(model, None, tmp_path / name).rows == 0
    columns = [*X.columns, "prediction"]
    assert list(pd.read_csv(tmp_path / "empty.predictions.csv").columns) == columns
    assert list(pd.read_parquet(tmp_path / "empty.predictions.parquet").columns) == columns


# Through the REST API --------------------------------------------------------------------------


@pytest.fixture
def jp_server_config(jp_server_config: Config) -> Config:
    jp_server_config.StudioApp.scheduler_enabled = False  # queued runs stay queued
    return jp_server_config


@pytest.fixture
def server(jp_serverapp: ServerApp, jp_base_url: str, jp_root_dir: Path) -> ServerApp:
    """The server, its batch-transform route served (once the registry's ROUTES include it,
    this adds nothing that matters: the first match wins)."""
    from jupyter_server.utils import url_path_join

    handlers = [
        (url_path_join(jp_base_url, r.pattern), r.handler, {"name": "studio"}) for r in ROUTES
    ]
    jp_serverapp.web_app.add_handlers(".*$", handlers)
    return jp_serverapp


async def test_the_rest_route_queues_a_job_for_a_file_under_the_root(
    server: ServerApp,
    jp_root_dir: Path,
    studio_fetch: StudioFetch,
    studio_home: Path,
    http_server: Any,
    jp_http_port: int,
    jp_base_url: str,
    monkeypatch: pytest.MonkeyPatch,
    fitted: tuple[pd.DataFrame, Pipeline],
) -> None:
    X, model = fitted
    uri = register_approved("cancer", X, model)
    (jp_root_dir / "data").mkdir()
    X.head(10).to_csv(jp_root_dir / "data" / "rows.csv", index=False)
    path = "models/cancer/versions/1/batch-transform"

    answer = await studio_fetch("POST", path, body={"input_path": "data/rows.csv"})

    assert answer.code == 201, answer.json
    job_run: dict[str, Any] = answer.json
    assert job_run["status"] == "QUEUED"
    root = jp_root_dir.resolve()
    assert job_run["parameters"] == {
        "model_uri": uri,
        "input_path": str(root / "data" / "rows.csv"),
        "output_path": None,
        "chunk_rows": 50_000,
    }
    beside = root / "data" / "rows.batch_transform.ipynb"
    assert "score_files" in beside.read_text()
    # The job runs a copy in a folder of its own (a Dask worker gets that folder, not the data's).
    copy = Path(job_run["notebook_path"])
    assert copy.parent.parent == studio_home / "batch_transform"
    assert copy.name == beside.name
    assert copy.read_text() == beside.read_text()

    # The same from Python, through the server: paths relative to its root.
    monkeypatch.setenv(TRACKING_URI_ENV, f"http://127.0.0.1:{jp_http_port}{jp_base_url}")
    monkeypatch.setenv(TOKEN_ENV, server.identity_provider.token)
    try:
        queued = await asyncio.to_thread(
            batch_transform, "models:/cancer/latest", "data/rows.csv", "out/rows.csv", wait=False
        )
    finally:
        jobs_clients._clients.clear()
        registry_clients._clients.clear()
    assert queued.status is JobStatus.QUEUED
    assert queued.parameters["output_path"] == str(root / "out" / "rows.csv")
    assert queued.parameters["model_uri"] == uri

    outside = await studio_fetch("POST", path, body={"input_path": "../rows.csv"})
    outside.error(400, "leads out of the server's root folder")
    # The template goes beside the input: beside the root is out of it.
    (await studio_fetch("POST", path, body={"input_path": "."})).error(400, "not the root")
    escape = {"input_path": "data/rows.csv", "output_path": "../../out.csv"}
    (await studio_fetch("POST", path, body=escape)).error(400, "leads out")
    missing = await studio_fetch("POST", path, body={"input_path": "data/none.csv"})
    missing.error(404, "none.csv")
    unknown = "models/cancer/versions/7/batch-transform"
    (await studio_fetch("POST", unknown, body={"input_path": "data/rows.csv"})).error(404)
    too_big = {"input_path": "data/rows.csv", "chunk_rows": 10**9}
    (await studio_fetch("POST", path, body=too_big)).error(422, "chunk_rows")


def test_a_link_in_the_input_folder_to_a_file_elsewhere_is_refused(tmp_path: Path) -> None:
    from studio.errors import InvalidInput
    from studio.registry.batch_files import input_files

    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "a.csv").write_text("x\n1\n")
    (tmp_path / "secret.csv").write_text("x\n2\n")
    assert input_files(tmp_path / "parts") == [tmp_path / "parts" / "a.csv"]
    (tmp_path / "parts" / "b.csv").symlink_to(tmp_path / "secret.csv")
    with pytest.raises(InvalidInput, match=r"'b.csv' in 'parts' is a link to a file outside"):
        input_files(tmp_path / "parts")
