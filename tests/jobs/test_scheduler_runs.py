"""The scheduler running real notebooks with the local executor: the tracking link, retries,
timeout, cancellation, the concurrency limit, "run now", stopping, and recovery after its
process was killed. SQLite only: the SQL these touch is tested on both databases in
test_scheduler.py and test_lease.py."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING

import psutil

from studio.jobs.entities import JobRun, JobStatus, Trigger
from studio.jobs.lifecycle import TAG_RETRY_OF, TAG_STATUS
from studio.jobs.local_executor import LocalExecutor
from studio.jobs.proctree import find_job_processes
from studio.jobs.scheduler import STOPPED_MESSAGE, Scheduler, kill_leftovers
from tests.databases import sqlite_only
from tests.jobs.notebooks import write_notebook
from tests.jobs.scheduling import job_service, wait_for_run, wait_until

if TYPE_CHECKING:
    from studio.db.engine import Database
    from studio.jobs.service import JobService

pytestmark = sqlite_only

TRACKED = """
import studio
run = studio.start_run()
for epoch in range(epochs):
    run.log_metric("loss", 1.0 / (epoch + 1), step=epoch)
run.flush()
"""
# The first attempt sleeps (and leaves a mark in the notebook's folder); a retry does not.
SLEEPS_ONCE = """
import pathlib, time
mark = pathlib.Path("first-attempt")
if not mark.exists():
    mark.write_text("slept")
    time.sleep(120)
"""


async def test_runs_end_as_they_should_never_more_than_the_limit_at_once(
    database: Database, tmp_path: Path
) -> None:
    service = job_service(database, tmp_path / "home")
    folder = tmp_path / "notebooks"
    tracked = write_notebook(folder / "tracked.ipynb", [TRACKED], {"epochs": 1})
    failing = write_notebook(folder / "failing.ipynb", ["raise ValueError('boom')"])
    sleeping = write_notebook(folder / "sleeping.ipynb", ["import time", "time.sleep(120)"])

    # Three start at once; the fourth when the cancel frees a slot, the retry after that.
    ok = service.submit(tracked, parameters={"epochs": 3}, html=True)
    cancelled = service.submit(sleeping)
    failed = service.submit(failing, retries=1, retry_backoff=0.5)
    timed_out = service.submit(sleeping, timeout=1.5)
    scheduler = Scheduler(
        service, LocalExecutor(grace=1), max_concurrent_jobs=3, tick=0.1, heartbeat_interval=0.2
    )
    most_running = 0

    def count_running() -> bool:
        nonlocal most_running
        _, running = service.list_runs(statuses=(JobStatus.RUNNING,))
        most_running = max(most_running, running, len(scheduler.running))
        return False

    watch = asyncio.create_task(wait_until(count_running, 60, "", every=0.02))
    scheduler.start()
    try:
        # Cancelled from a client while its second cell runs: the next beat reaches it.
        await wait_until(
            lambda: service.get_run(cancelled.id).progress.current_cell == 1, 30, "sleeping"
        )
        asked = time.monotonic()
        service.cancel(cancelled.id)
        ended = await wait_for_run(service, cancelled.id, 10)
        cancel_seconds = time.monotonic() - asked
        for job_run in (ok, failed, timed_out):
            await wait_for_run(service, job_run.id, 30)
        await wait_until(lambda: _retries(service) != [], 5, "retried")
        (retry,) = _retries(service)
        retry = await wait_for_run(service, retry.id, 30)
    finally:
        watch.cancel()
        await scheduler.stop()

    assert most_running == 3
    assert ended.status is JobStatus.CANCELLED
    assert cancel_seconds < 0.2 + 1 + 1.5, "one beat, the SIGTERM grace, and some slack"
    assert _tracking_status(service, ended.run_id) == ("KILLED", "CANCELLED")

    # The tracking link: metrics logged in the notebook are on the job run's tracking run,
    # with its parameters, and its outputs as artifacts.
    done = service.get_run(ok.id)
    assert done.status is JobStatus.SUCCEEDED, done.error
    assert done.run_id is not None
    record = service.tracking.get_run(done.run_id)
    assert (record.status, record.tags[TAG_STATUS]) == ("FINISHED", "SUCCEEDED")
    assert record.params == {"epochs": "3"}
    history = service.tracking.get_metric_history(done.run_id, "loss")
    assert (history.steps, history.values) == ([0, 1, 2], [1.0, 0.5, 1.0 / 3])
    artifacts = {info.path for info in service.tracking.list_artifacts(done.run_id, "job")}
    assert {"job/output.ipynb", "job/output.html", "job/job.log"} <= artifacts

    # A failing notebook with one retry: two runs, the retry after its backoff, tagged with
    # the run it retries, and no third.
    first = service.get_run(failed.id)
    assert (first.status, first.error_name) == (JobStatus.FAILED, "ValueError")
    assert (retry.status, retry.attempt, retry.retry_of) == (JobStatus.FAILED, 2, first.id)
    assert retry.not_before is not None
    assert first.ended_at is not None
    assert retry.not_before - first.ended_at >= 500
    assert retry.started_at is not None
    assert retry.started_at >= retry.not_before
    assert retry.run_id is not None
    assert service.tracking.get_run(retry.run_id).tags[TAG_RETRY_OF] == first.run_id
    assert _tracking_status(service, first.run_id) == ("FAILED", "FAILED")
    assert service.list_runs()[1] == 5

    slow = service.get_run(timed_out.id)
    assert slow.status is JobStatus.TIMED_OUT, slow.error
    assert _tracking_status(service, slow.run_id) == ("FAILED", "TIMED_OUT")


async def test_run_now_starts_at_once_and_stopping_interrupts_the_run(
    database: Database, tmp_path: Path
) -> None:
    service = job_service(database, tmp_path / "home")
    sleeping = write_notebook(tmp_path / "nb" / "sleeping.ipynb", ["import time; time.sleep(120)"])
    scheduler = Scheduler(service, LocalExecutor(grace=1), tick=60, heartbeat_interval=5)
    scheduler.start()
    await asyncio.sleep(0.3)  # its first tick has passed: the next is a minute away
    job_run = service.submit(sleeping, retries=1, retry_backoff=0)
    queued = time.monotonic()
    scheduler.wake()
    await wait_until(lambda: service.get_run(job_run.id).pid is not None, 5, "started")
    assert time.monotonic() - queued < 1.0
    pid = service.get_run(job_run.id).pid
    assert pid is not None
    assert psutil.pid_exists(pid)

    await scheduler.stop()
    stopped = service.get_run(job_run.id)
    assert (stopped.status, stopped.error) == (JobStatus.FAILED, STOPPED_MESSAGE)
    assert not _running(pid)
    # Retried by the next scheduler to start, as a run interrupted any other way.
    (retry,) = service.list_runs(statuses=(JobStatus.QUEUED,))[0]
    assert (retry.retry_of, retry.trigger) == (job_run.id, Trigger.RETRY)


async def test_a_killed_scheduler_s_run_is_interrupted_cleaned_up_and_retried(
    database: Database, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    service = job_service(database, home)
    notebook = write_notebook(tmp_path / "nb" / "sleeps_once.ipynb", [SLEEPS_ONCE])
    job_run = service.submit(notebook, retries=1, retry_backoff=0)
    interval = 0.3
    log = (tmp_path / "scheduler.log").open("wb")
    process = _studio_scheduler(
        database, home, log, f"--heartbeat-interval={interval}", "--tick=0.1"
    )
    try:
        await wait_until(lambda: (notebook.parent / "first-attempt").exists(), 30, "sleeping")
        running = service.get_run(job_run.id)
        leftovers = [psutil.Process(pid) for pid in _job_processes(service, job_run.id) if pid != 0]
        assert len(leftovers) >= 2, "the runner and its kernel"
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
        log.close()
    assert running.status is JobStatus.RUNNING
    assert running.pid in [p.pid for p in leftovers]
    assert all(_running(p.pid) for p in leftovers), "the scheduler's death left them running"

    scheduler = Scheduler(service, LocalExecutor(grace=1), tick=0.1, heartbeat_interval=interval)
    scheduler.start()
    try:
        interrupted = await wait_for_run(service, job_run.id, 10)
        await wait_until(lambda: _retries(service) != [], 5, "retried")
        (retry,) = _retries(service)
        retry = await wait_for_run(service, retry.id, 30)
    finally:
        await scheduler.stop()
    assert interrupted.status is JobStatus.FAILED
    assert interrupted.error is not None
    assert interrupted.error.startswith("Interrupted")
    assert _tracking_status(service, interrupted.run_id) == ("FAILED", "FAILED")
    assert not any(_running(p.pid) for p in leftovers)
    assert (retry.status, retry.retry_of, retry.attempt) == (JobStatus.SUCCEEDED, job_run.id, 2)
    assert kill_leftovers(interrupted) == []


async def test_studio_scheduler_stops_gracefully_on_sigterm(
    database: Database, tmp_path: Path
) -> None:
    service = job_service(database, tmp_path / "home")
    log_path = tmp_path / "scheduler.log"
    with log_path.open("wb") as log:
        process = _studio_scheduler(database, tmp_path / "home", log, "--max-concurrent-jobs=0")
        try:
            await wait_until(lambda: service.live_schedulers() != [], 30, "registered")
            process.send_signal(signal.SIGTERM)
            assert process.wait(10) == 0
        finally:
            if process.poll() is None:
                process.kill()
    assert service.live_schedulers() == []
    lines = log_path.read_text().splitlines()
    assert any(line.endswith("0 jobs at once on the local executor") for line in lines)
    assert lines[-1].endswith("stopped")


def _studio_scheduler(
    database: Database, home: Path, log: IO[bytes], *options: str
) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-c",
        "import sys; from studio.cli import main; sys.exit(main())",
        "scheduler",
        f"--db-url={database.url}",
        f"--home={home}",
        *options,
    ]
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    return subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)


def _retries(service: JobService) -> list[JobRun]:
    return service.list_runs(triggers=(Trigger.RETRY,))[0]


def _tracking_status(service: JobService, run_id: str | None) -> tuple[str, str]:
    assert run_id is not None
    record = service.tracking.get_run(run_id)
    return record.status, record.tags[TAG_STATUS]


def _job_processes(service: JobService, job_run_id: int) -> list[int]:
    run_id = service.get_run(job_run_id).run_id
    return [process.pid for process in find_job_processes(job_run_id, run_id)]


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
