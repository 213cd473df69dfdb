"""The Dask executor on a real two-worker `distributed.LocalCluster`, tracking to PostgreSQL.

Each test's job runs in worker processes, from the notebook's folder as it travelled in the
task, with the same papermill runner as the local executor. A worker may be on another
machine, so these tests run only where the store is PostgreSQL (`make test`'s second pass):
a SQLite store is refused, as the last test checks.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import nbformat
import psutil
import pytest

from studio.config import (
    ARTIFACT_ROOT_ENV,
    DB_URL_ENV,
    HOME_ENV,
    JOB_RUN_ID_ENV,
    RUN_ID_ENV,
    StudioConfig,
)
from studio.db.engine import Database
from studio.errors import InvalidInput, TooLarge
from studio.jobs.dask_executor import DaskExecutor
from studio.jobs.entities import JobStatus
from studio.jobs.execution import HTML_NAME, LOG_NAME, NOTEBOOK_NAME, Launch
from studio.tracking.service import TrackingService
from tests.databases import on_postgresql

pytestmark = pytest.mark.skipif(
    not on_postgresql(), reason="a Dask worker tracks to PostgreSQL: STUDIO_TEST_DB_URL"
)

# Cluster-wide names (events, task keys) carry the job run's id: one id per launch.
_job_run_ids = itertools.count(int.from_bytes(os.urandom(3), "big"))


@pytest.fixture(scope="module")
def scheduler_address() -> Iterator[str]:
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


@pytest.fixture
def tracking(database: Database, tmp_path: Path) -> TrackingService:
    return TrackingService.from_database(
        database, StudioConfig(home=tmp_path, db_url=database.url, artifact_root=str(tmp_path))
    )


def write_notebook(folder: Path, *sources: str, parameters: str = "") -> Path:
    """A notebook in `folder`: a cell tagged `parameters`, then one cell per source."""
    folder.mkdir(parents=True, exist_ok=True)
    cells = [nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]})]
    cells += [nbformat.v4.new_code_cell(source) for source in sources]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    path = folder / "train.ipynb"
    nbformat.write(notebook, path)
    return path


def launch_of(
    path: Path, output: Path, environment: dict[str, str], run_id: str = "", **options: object
) -> Launch:
    return Launch(
        job_run_id=next(_job_run_ids),
        run_id=run_id,
        notebook=path.read_text(encoding="utf-8"),
        notebook_path=str(path),
        output_dir=str(output),
        environment=environment,
        **options,  # type: ignore[arg-type]
    )


def job_processes(launch: Launch) -> list[psutil.Process]:
    """This machine's processes of the job run: its runner, kernel and their children."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.environ().get(JOB_RUN_ID_ENV) == str(launch.job_run_id):
                found.append(process)
        except psutil.Error:
            continue
    return found


async def test_a_notebook_runs_on_a_worker_from_its_folder_and_tracks_its_run(
    scheduler_address: str, tracking: TrackingService, database: Database, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    path = write_notebook(
        project,
        "import helpers\nrows = helpers.read_rows('data/rows.csv')",
        "import studio\nwith studio.start_run() as run:\n"
        "    run.log_metric('rows', len(rows) * scale, step=1)\nprint('rows:', len(rows))",
        parameters="scale = 1",
    )
    (project / "helpers.py").write_text(
        "def read_rows(path):\n    return open(path).read().split()\n", encoding="utf-8"
    )
    (project / "data").mkdir()
    (project / "data" / "rows.csv").write_text("a\nb\nc\n", encoding="utf-8")
    run = tracking.create_run(tracking.get_or_create_experiment("dask").id)
    environment = {
        DB_URL_ENV: database.url,
        RUN_ID_ENV: run.id,
        HOME_ENV: str(tmp_path / "home"),
        ARTIFACT_ROOT_ENV: str(tmp_path / "artifacts"),
    }
    output = tmp_path / "output"
    launch = launch_of(path, output, environment, run.id, parameters={"scale": 10}, html=True)

    executor = DaskExecutor(scheduler_address)
    try:
        execution = await executor.start(launch)
        outcome = await execution.wait()
    finally:
        await executor.close()

    assert outcome.status is JobStatus.SUCCEEDED, (outcome, (output / LOG_NAME).read_text())
    assert (outcome.progress.cells_done, outcome.progress.cells_total) == (4, 4)
    executed = nbformat.read(output / NOTEBOOK_NAME, as_version=4)
    assert "rows: 3" in json.dumps(executed.cells[-1].outputs)
    assert "rows: 3" in (output / HTML_NAME).read_text(encoding="utf-8")
    assert (execution.host, execution.pid is not None) == (socket.gethostname(), True)
    assert tracking.get_metric_history(run.id, "rows").values == [30.0]


async def test_cancel_and_timeout_kill_the_runs_kernels(
    scheduler_address: str, database: Database, tmp_path: Path
) -> None:
    path = write_notebook(tmp_path / "project", "import time\ntime.sleep(600)")
    environment = {DB_URL_ENV: database.url}
    cancelled = launch_of(path, tmp_path / "cancelled", environment)
    late = launch_of(path, tmp_path / "late", environment, timeout=6.0)

    executor = DaskExecutor(scheduler_address)
    try:
        # Two workers: both run at once.
        to_cancel, to_time_out = [await executor.start(launch) for launch in (cancelled, late)]
        while (progress := to_cancel.progress()) is None or progress.current_cell is None:
            await asyncio.sleep(0.1)
        assert job_processes(cancelled), "the running job's processes carry its id"
        await to_cancel.cancel()
        outcomes = [await to_cancel.wait(), await to_time_out.wait()]
    finally:
        await executor.close()

    assert [outcome.status for outcome in outcomes] == [JobStatus.CANCELLED, JobStatus.TIMED_OUT]
    assert outcomes[1].error == "Timed out after 6 s in cell 2."
    assert (job_processes(cancelled), job_processes(late)) == ([], [])
    # The partial notebook came back: the sleeping cell never finished.
    assert (tmp_path / "late" / NOTEBOOK_NAME).exists()


async def test_refuses_a_folder_over_the_limit_and_a_sqlite_store(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "project", "print(1)")
    (tmp_path / "project" / "weights.bin").write_bytes(bytes(3 * 2**20))
    executor = DaskExecutor("tcp://127.0.0.1:1", max_bundle_bytes=2 * 2**20)

    with pytest.raises(TooLarge) as too_large:
        await executor.start(launch_of(path, tmp_path / "out", {}))
    assert "is 3 MB, over the 2 MB limit" in too_large.value.message
    assert "shared file system" in too_large.value.message

    sqlite = {DB_URL_ENV: f"sqlite:///{tmp_path / 'studio.db'}"}
    with pytest.raises(InvalidInput, match="PostgreSQL .* or set STUDIO_TRACKING_URI"):
        await executor.start(launch_of(path, tmp_path / "out", sqlite))
