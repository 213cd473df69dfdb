"""The scheduler on the store, on SQLite and PostgreSQL: recovery of interrupted runs (and
never of a live run of another scheduler), a launch that fails, the scheduler's own row.
The processes here are plain sleeping Pythons, not notebooks."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from studio.config import JOB_RUN_ID_ENV, RUN_ID_ENV
from studio.jobs.entities import JobRun, JobStatus, Progress, Trigger
from studio.jobs.execution import Launch, Outcome
from studio.jobs.lifecycle import JobLifecycle, this_host
from studio.jobs.local_executor import LocalExecutor
from studio.jobs.proctree import process_started_at
from studio.jobs.scheduler import Scheduler
from tests.jobs.notebooks import write_notebook
from tests.jobs.scheduling import job_service, wait_for_run, wait_until

if TYPE_CHECKING:
    from studio.db.engine import Database
    from studio.jobs.service import JobService


@pytest.fixture
def service(database: Database, tmp_path: Path) -> JobService:
    return job_service(database, tmp_path / "home")


@pytest.fixture
def notebook(tmp_path: Path) -> Path:
    return write_notebook(tmp_path / "nb" / "train.ipynb", ["x = 1"])


@pytest.fixture
def sleepers() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait()


def _running_elsewhere(
    service: JobService,
    notebook: Path,
    scheduler_id: str,
    heartbeat_at: int,
    sleepers: list[subprocess.Popen[bytes]],
) -> tuple[JobRun, subprocess.Popen[bytes]]:
    """A run that another scheduler claimed and launched on this host, as a sleeping
    process carrying the run's variables, last beaten at `heartbeat_at`."""
    queued = service.submit(notebook, retries=1, retry_backoff=0)
    (claimed,) = service.store.claim_queued(scheduler_id, this_host(), 1, service.clock())
    assert claimed.id == queued.id
    launch = JobLifecycle(service).launch(claimed)
    process = _sleeper({JOB_RUN_ID_ENV: str(claimed.id), RUN_ID_ENV: launch.run_id}, sleepers)
    service.store.set_started(
        claimed.id, pid=process.pid, pid_started_at=process_started_at(process.pid)
    )
    service.store.beat(scheduler_id, {claimed.id: None}, heartbeat_at)
    return service.get_run(claimed.id), process


def _sleeper(
    environment: dict[str, str], sleepers: list[subprocess.Popen[bytes]]
) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"],
        env={**environment, "PATH": "/usr/bin:/bin"},
        start_new_session=True,
    )
    sleepers.append(process)
    return process


async def test_on_start_up_a_dead_scheduler_s_run_is_recovered_and_a_live_one_left_alone(
    service: JobService, notebook: Path, sleepers: list[subprocess.Popen[bytes]]
) -> None:
    now = service.clock()
    dead, orphan = _running_elsewhere(service, notebook, "dead", now - 60_000, sleepers)
    alive, working = _running_elsewhere(service, notebook, "alive", now, sleepers)
    # The same job run number in another Studio database on this machine: not ours to kill.
    stranger = _sleeper({JOB_RUN_ID_ENV: str(dead.id), RUN_ID_ENV: "another-store"}, sleepers)

    scheduler = Scheduler(service, LocalExecutor(grace=1), max_concurrent_jobs=0, tick=0.1)
    scheduler.start()
    try:
        recovered = await wait_for_run(service, dead.id, 10)
        await wait_until(lambda: orphan.poll() is not None, 5, "killed")
    finally:
        await scheduler.stop()

    assert recovered.status is JobStatus.FAILED
    assert recovered.error is not None
    assert recovered.error.startswith("Interrupted")
    (retry,) = service.list_runs(triggers=(Trigger.RETRY,))[0]
    assert (retry.retry_of, retry.status) == (dead.id, JobStatus.QUEUED)
    assert service.get_run(alive.id).status is JobStatus.RUNNING
    assert working.poll() is None
    assert stranger.poll() is None


async def test_a_run_whose_scheduler_stops_beating_is_recovered_by_another(
    service: JobService, notebook: Path, sleepers: list[subprocess.Popen[bytes]]
) -> None:
    now = service.clock()
    alive, working = _running_elsewhere(service, notebook, "other", now, sleepers)
    scheduler = Scheduler(
        service, LocalExecutor(grace=1), max_concurrent_jobs=0, heartbeat_interval=0.2
    )
    # Beaten within three intervals: left alone.
    assert await scheduler.recover() == []
    cancelled, _ = _running_elsewhere(service, notebook, "other", now, sleepers)
    service.cancel(cancelled.id)
    # Silent for more: interrupted, its process killed, retried; the one whose cancel its
    # scheduler never saw is cancelled, not retried.
    silent = {alive.id: None, cancelled.id: None}
    service.store.beat("other", silent, service.clock() - 700)
    recovered = {run.id: run for run in await scheduler.recover()}
    assert recovered[alive.id].status is JobStatus.FAILED
    assert recovered[cancelled.id].status is JobStatus.CANCELLED
    await wait_until(lambda: working.poll() is not None, 5, "killed")
    (retry,) = service.list_runs(triggers=(Trigger.RETRY,))[0]
    assert retry.retry_of == alive.id
    # Found once: a second look (another scheduler's) finds nothing to do.
    assert await scheduler.recover() == []
    # The scheduler that stopped beating comes back (it was suspended): its next beat tells
    # it to stop both runs.
    assert service.store.beat("other", silent, service.clock()) == set(silent)
    await scheduler.stop()


async def test_a_run_that_cannot_be_launched_ends_failed_with_the_reason(
    service: JobService, notebook: Path
) -> None:
    job_run = service.submit(notebook, secret_environment={"TOKEN": "STUDIO_TEST_NO_SUCH_VAR"})
    scheduler = Scheduler(service, LocalExecutor(), tick=0.1)
    scheduler.start()
    try:
        ended = await wait_for_run(service, job_run.id, 10)
        live = service.live_schedulers()
    finally:
        await scheduler.stop()
    assert ended.status is JobStatus.FAILED
    assert ended.error is not None
    assert "STUDIO_TEST_NO_SUCH_VAR" in ended.error
    assert [row["id"] for row in live] == [scheduler.id]
    assert service.live_schedulers() == []


async def test_a_retry_starts_when_its_backoff_ends_not_at_the_next_tick(
    service: JobService, notebook: Path
) -> None:
    # Each attempt fails at launch (a missing secret): no process, only the timing.
    service.submit(
        notebook,
        secret_environment={"TOKEN": "STUDIO_TEST_NO_SUCH_VAR"},
        retries=1,
        retry_backoff=0.3,
    )
    scheduler = Scheduler(service, LocalExecutor(), tick=30)
    scheduler.start()
    try:
        await wait_until(lambda: _retries(service) != [], 10, "retried")
        (retry,) = _retries(service)
        ended = await wait_for_run(service, retry.id, 10)
    finally:
        await scheduler.stop()
    assert ended.status is JobStatus.FAILED
    assert ended.started_at is not None
    assert ended.not_before is not None
    assert 0 <= ended.started_at - ended.not_before < 5000, "not a 30 s tick later"


def _retries(service: JobService) -> list[JobRun]:
    return service.list_runs(triggers=(Trigger.RETRY,))[0]


def test_the_scheduler_refuses_nonsense_settings(service: JobService) -> None:
    with pytest.raises(ValueError, match="max_concurrent_jobs"):
        Scheduler(service, LocalExecutor(), max_concurrent_jobs=-1)
    with pytest.raises(ValueError, match="interval"):
        Scheduler(service, LocalExecutor(), heartbeat_interval=0)


class _ClusterExecution:
    """A run on a pretend cluster: first known by the cluster's address, then by the host
    and pid its task reports."""

    def __init__(self) -> None:
        self.host = "tcp://cluster:8786"
        self.pid: int | None = None
        self.pid_started_at: float | None = None
        self.ended: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()

    def progress(self) -> Progress | None:
        return None

    async def wait(self) -> Outcome:
        return await asyncio.shield(self.ended)

    async def cancel(self) -> None:
        if not self.ended.done():
            self.ended.set_result(Outcome(JobStatus.CANCELLED, "Cancelled"))
        await self.wait()


class _ClusterExecutor:
    """An executor with a cluster's `stop_orphan`, as the Dask executor has."""

    name = "cluster"

    def __init__(self) -> None:
        self.executions: list[_ClusterExecution] = []
        self.stopped_orphans: list[str] = []

    async def start(self, launch: Launch) -> _ClusterExecution:
        self.executions.append(_ClusterExecution())
        return self.executions[-1]

    async def stop_orphan(self, run_id: str) -> None:
        self.stopped_orphans.append(run_id)

    async def close(self) -> None:
        await asyncio.gather(*(execution.cancel() for execution in self.executions))


async def test_a_run_s_host_and_pid_are_recorded_again_when_its_task_reports_them(
    service: JobService, notebook: Path
) -> None:
    executor = _ClusterExecutor()
    job_run = service.submit(notebook)
    scheduler = Scheduler(service, executor, tick=0.1, heartbeat_interval=0.2)
    scheduler.start()
    try:
        # First recorded where the run was submitted: the cluster.
        await wait_until(
            lambda: service.get_run(job_run.id).host == "tcp://cluster:8786", 10, "started"
        )
        [execution] = executor.executions
        execution.host, execution.pid, execution.pid_started_at = "worker-1", 4321, 12.5
        await wait_until(lambda: service.get_run(job_run.id).pid == 4321, 5, "recorded")
        recorded = service.get_run(job_run.id)
        assert (recorded.host, recorded.pid_started_at) == ("worker-1", 12.5)
    finally:
        await scheduler.stop()


async def test_a_dead_scheduler_s_run_on_another_host_is_stopped_through_the_executor(
    service: JobService, notebook: Path, sleepers: list[subprocess.Popen[bytes]]
) -> None:
    now = service.clock()
    dead, elsewhere = _running_elsewhere(service, notebook, "dead", now - 60_000, sleepers)
    service.store.set_started(dead.id, host="worker-on-another-machine")
    executor = _ClusterExecutor()
    scheduler = Scheduler(service, executor, max_concurrent_jobs=0)
    try:
        [recovered] = await scheduler.recover()
        await wait_until(lambda: executor.stopped_orphans != [], 5, "asked to stop")
    finally:
        await scheduler.stop()
    assert recovered.status is JobStatus.FAILED
    assert executor.stopped_orphans == [dead.run_id]
    # Not on this host: its processes are not this scheduler's to kill.
    assert elsewhere.poll() is None
