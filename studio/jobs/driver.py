"""Running one job run, and its retries, without a scheduler: what `studio.jobs.run_notebook`
does where no scheduler serves the store (no Jupyter server, no `studio scheduler`).

It is a scheduler of one run: it claims that run only (never another's, which a live
scheduler or its own caller will run), launches it on a `LocalExecutor` through the same
lifecycle as the scheduler, beats its heartbeat with its progress (so that the Jobs panel
shows it live, and no scheduler takes it for interrupted), stops it when asked to cancel,
completes it, and goes on with its retry while retries remain. It does not register as a
scheduler: others must not wait for it to run their runs.

Waiting for the run, the caller drives it in a thread of its own with its own event loop
(`RunDriver`), so that a caller inside a notebook (whose event loop is already running) can
use it, and watch the run meanwhile. Not waiting, it starts `python -m studio.jobs.driver
JOB_RUN_ID` in a session of its own (`start_detached`): the run then outlives the caller,
which may exit, as a script does, or restart, as a kernel may.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import subprocess
import sys
import threading
import uuid
from typing import TYPE_CHECKING

from studio.errors import StudioError
from studio.jobs.entities import JobStatus, Trigger
from studio.jobs.execution import Outcome
from studio.jobs.lifecycle import this_host

if TYPE_CHECKING:
    from studio.jobs.entities import JobRun
    from studio.jobs.execution import Execution, Executor
    from studio.jobs.service import JobService

__all__ = ["HEARTBEAT_INTERVAL", "RunDriver", "retry_of", "start_detached"]

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL = 0.5
"""Seconds between the heartbeats (and progress updates) of a run driven here."""


class RunDriver:
    """Drives job run `job_run_id` (then its retries) to its end, in a thread: `start()`,
    then `join()`. `cancel()` stops whichever attempt is going."""

    def __init__(
        self,
        service: JobService,
        job_run_id: int,
        executor: Executor | None = None,
        heartbeat_interval: float = HEARTBEAT_INTERVAL,
    ) -> None:
        self.service = service
        self.job_run_id = job_run_id
        self.heartbeat_interval = heartbeat_interval
        self.id = f"in-process-{uuid.uuid4().hex}"
        self.host = this_host()
        self.error: BaseException | None = None
        self._executor = executor
        self._thread = threading.Thread(target=self._main, name=f"studio-job-{job_run_id}")
        self._cancelled = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the runs to end; whether they did."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def cancel(self) -> None:
        """Stop: the running attempt is killed at the next heartbeat, and no retry starts."""
        self._cancelled.set()
        with contextlib.suppress(StudioError):
            self.service.cancel(self.job_run_id)

    def _main(self) -> None:
        try:
            asyncio.run(self._drive())
        except BaseException as exc:  # reported to the caller, which is waiting in join()
            log.exception("Job run %d could not be run in this process", self.job_run_id)
            self.error = exc

    async def _drive(self) -> None:
        if self._executor is None:
            from studio.jobs.local_executor import LocalExecutor

            self._executor = LocalExecutor()
        try:
            job_run_id: int | None = self.job_run_id
            while job_run_id is not None and not self._cancelled.is_set():
                self.job_run_id = job_run_id
                ended = await self._run_one(job_run_id)
                job_run_id = None
                if ended is not None:
                    following = await asyncio.to_thread(retry_of, self.service, ended)
                    job_run_id = following.id if following is not None else None
        finally:
            await self._executor.close()

    async def _run_one(self, job_run_id: int) -> JobRun | None:
        """Claim the run once its time has come (a retry waits out its backoff), execute it
        and complete it; None when it was not to be run here (cancelled, or claimed by a
        scheduler meanwhile)."""
        service = self.service
        while True:
            claimed = await asyncio.to_thread(
                service.store.claim_run, job_run_id, self.id, self.host, service.clock()
            )
            if claimed is not None:
                break
            current = await asyncio.to_thread(service.get_run, job_run_id)
            if current.status is not JobStatus.QUEUED or current.not_before is None:
                return None
            await asyncio.sleep(max(0.05, (current.not_before - service.clock()) / 1000))
        outcome = await self._execute(claimed)
        return await asyncio.to_thread(service.lifecycle.complete, claimed.id, outcome)

    async def _execute(self, job_run: JobRun) -> Outcome:
        assert self._executor is not None
        try:
            launch = await asyncio.to_thread(self.service.lifecycle.launch, job_run)
            execution = await self._executor.start(launch)
        except StudioError as exc:
            return Outcome(JobStatus.FAILED, error=exc.message)
        except Exception as exc:
            log.exception("Job run %d could not start", job_run.id)
            return Outcome(JobStatus.FAILED, error=f"The job could not start: {exc}")
        await asyncio.to_thread(
            self.service.store.set_started,
            job_run.id,
            pid=execution.pid,
            pid_started_at=execution.pid_started_at,
            host=execution.host,
        )
        ending = asyncio.ensure_future(execution.wait())
        cancelling = False
        while not ending.done():
            await asyncio.wait({ending}, timeout=self.heartbeat_interval)
            asked = await self._beat(job_run.id, execution)
            if (asked or self._cancelled.is_set()) and not cancelling and not ending.done():
                cancelling = True
                await execution.cancel()
        return ending.result()

    async def _beat(self, job_run_id: int, execution: Execution) -> bool:
        """The run's heartbeat with its progress; whether its cancellation was asked for."""
        try:
            cancelled = await asyncio.to_thread(
                self.service.store.beat,
                self.id,
                {job_run_id: execution.progress()},
                self.service.clock(),
            )
        except StudioError:
            log.warning("Job run %d: a heartbeat failed", job_run_id, exc_info=True)
            return False
        return job_run_id in cancelled


def retry_of(service: JobService, job_run: JobRun) -> JobRun | None:
    """The retry queued for `job_run`, if any (the newest retries are looked at)."""
    if not job_run.status.is_retryable:
        return None
    retries, _ = service.list_runs(triggers=(Trigger.RETRY,), limit=100)
    return next((found for found in retries if found.retry_of == job_run.id), None)


def start_detached(service: JobService, job_run_id: int) -> int:
    """Start a process that drives `job_run_id` on the same store, in a session of its own;
    its pid. What goes wrong before the notebook runs is written to
    `STUDIO_HOME/jobs/<id>.driver.log`."""
    folder = service.jobs_dir
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{job_run_id}.driver.log", "ab") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "studio.jobs.driver", str(job_run_id)],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env={**os.environ, **service.config.environment()},
            start_new_session=True,
        )
    # Reaped when it ends, so that it leaves no zombie while this process lives on.
    threading.Thread(target=process.wait, name=f"studio-reap-{process.pid}", daemon=True).start()
    return process.pid


def _main(argv: list[str]) -> int:
    from studio.config import StudioConfig
    from studio.db.engine import Database
    from studio.jobs.service import JobService

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    config = StudioConfig.resolve()
    database = Database.from_config(config)
    try:
        driver = RunDriver(JobService.from_database(database, config), int(argv[0]))
        driver.start()
        driver.join()
        return 1 if driver.error is not None else 0
    finally:
        database.dispose()


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
