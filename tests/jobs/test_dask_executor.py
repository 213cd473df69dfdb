"""The Dask executor on a real two-worker `distributed.LocalCluster`, tracking to PostgreSQL.

Each test's job runs in worker processes, from the notebook's folder as it travelled in the
task, with the same papermill runner as the local executor. A worker may be on another
machine, so these tests run only where the store is PostgreSQL (`make test`'s second pass):
a SQLite store is refused, as the last test checks (on either database: it needs no
cluster, the refusals come before any connection).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from studio.config import (
    ARTIFACT_ROOT_ENV,
    DB_URL_ENV,
    HOME_ENV,
    RUN_ID_ENV,
    StudioConfig,
)
from studio.errors import InvalidInput, TooLarge
from studio.jobs.dask_executor import DaskExecutor
from studio.jobs.dask_worker import task_key
from studio.jobs.entities import JobStatus
from studio.jobs.execution import HTML_NAME, LOG_NAME, NOTEBOOK_NAME
from studio.jobs.proctree import find_job_processes, kill_processes
from studio.jobs.scheduler import Scheduler
from studio.tracking.service import TrackingService
from tests.databases import on_postgresql
from tests.jobs.launches import launch_of
from tests.jobs.notebooks import read_notebook, write_notebook
from tests.jobs.scheduling import job_service, wait_until

if TYPE_CHECKING:
    from studio.db.engine import Database

postgresql_only = pytest.mark.skipif(
    not on_postgresql(), reason="a Dask worker tracks to PostgreSQL: STUDIO_TEST_DB_URL"
)


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


@pytest.fixture
def sleeper(tmp_path: Path) -> Path:
    """A notebook whose one cell sleeps for ten minutes."""
    return write_notebook(tmp_path / "project" / "sleep.ipynb", ["import time\ntime.sleep(600)"])


@pytest.fixture
def store(database: Database) -> dict[str, str]:
    """A job's environment that points its tracking at the test's PostgreSQL database."""
    return {DB_URL_ENV: database.url}


@postgresql_only
async def test_a_notebook_runs_on_a_worker_from_its_folder_and_tracks_its_run(
    scheduler_address: str, tracking: TrackingService, database: Database, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    path = write_notebook(
        project / "train.ipynb",
        [
            "import helpers\nrows = helpers.read_rows('data/rows.csv')",
            "import studio\nwith studio.start_run() as run:\n"
            "    run.log_metric('rows', len(rows) * scale, step=1)\nprint('rows:', len(rows))",
        ],
        parameters={"scale": 1},
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
    launch = launch_of(
        path, output, environment=environment, run_id=run.id, parameters={"scale": 10}, html=True
    )

    executor = DaskExecutor(scheduler_address)
    try:
        execution = await executor.start(launch)
        outcome = await execution.wait()
    finally:
        await executor.close()

    assert outcome.status is JobStatus.SUCCEEDED, (outcome, (output / LOG_NAME).read_text())
    assert (outcome.progress.cells_done, outcome.progress.cells_total) == (4, 4)
    executed = read_notebook(output / NOTEBOOK_NAME)
    assert "rows: 3" in json.dumps(executed.cells[-1].outputs)
    assert "rows: 3" in (output / HTML_NAME).read_text(encoding="utf-8")
    assert (execution.host, execution.pid is not None) == (socket.gethostname(), True)
    assert tracking.get_metric_history(run.id, "rows").values == [30.0]


@postgresql_only
async def test_cancel_and_timeout_kill_the_runs_kernels(
    scheduler_address: str, sleeper: Path, store: dict[str, str], tmp_path: Path
) -> None:
    cancelled = launch_of(sleeper, tmp_path / "cancelled", environment=store)
    late = launch_of(sleeper, tmp_path / "late", environment=store, timeout=5.0)

    executor = DaskExecutor(scheduler_address)
    try:
        # Two workers: both run at once.
        to_cancel, to_time_out = [await executor.start(launch) for launch in (cancelled, late)]
        while (progress := to_cancel.progress()) is None or progress.current_cell is None:
            await asyncio.sleep(0.1)
        assert find_job_processes(cancelled.job_run_id), "the job's processes carry its id"
        await to_cancel.cancel()
        outcomes = [await to_cancel.wait(), await to_time_out.wait()]
    finally:
        await executor.close()

    assert [outcome.status for outcome in outcomes] == [JobStatus.CANCELLED, JobStatus.TIMED_OUT]
    assert outcomes[0].error == "Cancelled, in cell 1"
    # ", in cell 1" unless the machine is too loaded to start the kernel in 5 s.
    assert (outcomes[1].error or "").startswith("Timed out after 5 s, ")
    assert find_job_processes(cancelled.job_run_id) == find_job_processes(late.job_run_id) == []
    # The partial notebook came back, the sleeping cell running (the late run's may not
    # have got so far: its timeout counts papermill's start, slow on a loaded machine).
    [*_, sleeping] = read_notebook(tmp_path / "cancelled" / NOTEBOOK_NAME).cells
    assert sleeping.metadata.papermill.status == "running"


@postgresql_only
async def test_close_cancels_running_and_queued_runs(
    scheduler_address: str, sleeper: Path, store: dict[str, str], tmp_path: Path
) -> None:
    launches = [launch_of(sleeper, tmp_path / f"run{n}", environment=store) for n in range(3)]
    executor = DaskExecutor(scheduler_address)
    executions = [await executor.start(launch) for launch in launches]
    async with asyncio.timeout(30):
        # Two workers: two runs start, the third waits in the cluster's queue.
        while sum(execution.pid is not None for execution in executions) < 2:
            await asyncio.sleep(0.05)
        await executor.close()
        outcomes = [await execution.wait() for execution in executions]
        while any(find_job_processes(launch.job_run_id) for launch in launches):
            await asyncio.sleep(0.1)

    assert [outcome.status for outcome in outcomes] == [JobStatus.CANCELLED] * 3
    [queued] = [
        outcome for outcome, run in zip(outcomes, executions, strict=True) if run.pid is None
    ]
    assert queued.error == "Cancelled, before any cell ran"


@postgresql_only
async def test_a_lost_worker_fails_the_run_which_is_not_run_again(
    scheduler_address: str, sleeper: Path, store: dict[str, str], tmp_path: Path
) -> None:
    from distributed import Client

    launch = launch_of(sleeper, tmp_path / "output", environment=store)
    executor = DaskExecutor(scheduler_address)
    observer = await Client(scheduler_address, asynchronous=True)
    try:
        execution = await executor.start(launch)
        while execution.pid is None:
            await asyncio.sleep(0.05)
        [worker] = [
            address
            for address, keys in (await observer.processing()).items()
            if task_key(launch.run_id) in keys
        ]
        worker_pid = (await observer.run(os.getpid, workers=[worker]))[worker]
        os.kill(worker_pid, signal.SIGKILL)  # its nanny starts another; Dask re-runs the task
        # Were the task run again, it would sleep on the other worker.
        outcome = await asyncio.wait_for(execution.wait(), timeout=30)
    finally:
        await observer.close()
        await executor.close()
        # The dead worker's runner lives on (a session of its own): a machine that died
        # takes it along; here it is ours to end.
        kill_processes(find_job_processes(launch.job_run_id), grace=0.5)

    assert (outcome.status, outcome.error) == (
        JobStatus.FAILED,
        "Failed: the Dask worker running it was lost.",
    )


@postgresql_only
async def test_a_run_its_dead_scheduler_left_on_the_cluster_is_stopped_by_a_recovery(
    scheduler_address: str, sleeper: Path, database: Database, tmp_path: Path
) -> None:
    service = job_service(database, tmp_path / "home")
    job_run = service.submit(sleeper)
    dead = Scheduler(
        service,
        DaskExecutor(scheduler_address),
        max_concurrent_jobs=1,
        tick=0.1,
        heartbeat_interval=0.2,
    )
    survivor = Scheduler(service, DaskExecutor(scheduler_address), max_concurrent_jobs=0)
    survivor.host = "another-studio-host"  # the worker's host is not its own
    dead.start()
    try:
        # The worker's host and the runner's pid reach the store once the task reports them.
        await wait_until(
            lambda: service.get_run(job_run.id).pid is not None, 20, "recorded as started"
        )
        started = service.get_run(job_run.id)
        assert started.host == socket.gethostname()
        assert started.run_id is not None
        orphans = find_job_processes(job_run.id, started.run_id)
        assert started.pid in {process.pid for process in orphans}
        # The scheduler "dies": it beats no more, and its task goes on on the cluster.
        for loop in dead._loops:
            loop.cancel()
        service.store.beat(dead.id, {job_run.id: None}, service.clock() - 60_000)

        [recovered] = await survivor.recover()
        assert (recovered.id, recovered.status) == (job_run.id, JobStatus.FAILED)
        await wait_until(
            lambda: not find_job_processes(job_run.id, started.run_id), 15, "stopped", every=0.2
        )
    finally:
        await survivor.stop()
        await dead.stop()
        # By its tracking run too: job run numbers repeat across the databases of tests.
        if (run_id := service.get_run(job_run.id).run_id) is not None:
            kill_processes(find_job_processes(job_run.id, run_id), grace=0.5)


async def test_refuses_a_folder_over_the_limit_and_a_sqlite_store(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "project" / "small.ipynb", ["print(1)"])
    (tmp_path / "project" / "weights.bin").write_bytes(bytes(3 * 2**20))
    executor = DaskExecutor("tcp://127.0.0.1:1", max_bundle_bytes=2 * 2**20)

    with pytest.raises(TooLarge) as too_large:
        await executor.start(launch_of(path, tmp_path / "out"))
    assert "is 3 MB, over the 2 MB limit" in too_large.value.message
    assert "shared file system" in too_large.value.message

    sqlite = {DB_URL_ENV: f"sqlite:///{tmp_path / 'studio.db'}"}
    with pytest.raises(InvalidInput, match=r"PostgreSQL .* or set STUDIO_TRACKING_URI"):
        await executor.start(launch_of(path, tmp_path / "out", environment=sqlite))
