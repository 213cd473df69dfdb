"""The scheduler: queues scheduled occurrences, starts queued runs on an executor, beats
their heartbeat, and recovers the runs of schedulers that died.

It is an asyncio task, inside the Jupyter server or in `studio scheduler`, and never blocks
its event loop: every store call runs in a thread (`asyncio.to_thread`). Any number of
schedulers may share one database: an occurrence is queued once (the store's lease), a
queued run is claimed by one scheduler, and a run whose heartbeat stopped for three
intervals is taken over by whichever scheduler sees it first; a live run of another
scheduler always has a fresh heartbeat, so it is never touched. The schedulers of one
database should share one heartbeat interval.

Stopping a scheduler stops its runs: a job cannot outlive its scheduler, which alone can
record how it ends. Each ends FAILED ("interrupted: the scheduler stopped"), like a run
whose scheduler was killed, and is retried, by the next scheduler to run, while its
definition allows retries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from studio.errors import StudioError
from studio.jobs.entities import JobRun, JobStatus, Progress
from studio.jobs.execution import Outcome
from studio.jobs.lifecycle import JobLifecycle, this_host
from studio.jobs.proctree import kill_job_run

if TYPE_CHECKING:
    from studio.jobs.execution import Execution, Executor
    from studio.jobs.service import JobService

__all__ = ["STALE_BEATS", "STOPPED_MESSAGE", "Scheduler", "kill_leftovers"]

log = logging.getLogger(__name__)

STALE_BEATS = 3
"""A run is interrupted when its heartbeat is older than this many intervals."""
PROGRESS_INTERVAL = 1.0
"""Seconds between writes of running jobs' progress (and looks for cancellations), when
heartbeats are further apart: the panel shows each cell as it starts."""
STOPPED_MESSAGE = "Interrupted: the scheduler running it stopped."


class Scheduler:
    """Runs notebook jobs from one database on one executor.

    - `max_concurrent_jobs`: how many runs it has going at once; 0 queues scheduled
      occurrences and recovers interrupted runs, but starts none (other schedulers do).
    - `tick`: the most seconds between looks for due occurrences and queued runs (it looks
      sooner when an occurrence or a retry's backoff ends sooner); `wake()` makes the next
      look immediate.
    - `heartbeat_interval`: seconds between heartbeats (and looks for interrupted runs).
    - `clock`: milliseconds since the epoch; the service's clock by default (the lifecycle
      always uses the service's).

    The scheduler owns `executor`: `stop()` closes it.
    """

    def __init__(
        self,
        service: JobService,
        executor: Executor,
        *,
        max_concurrent_jobs: int = 2,
        tick: float = 1.0,
        heartbeat_interval: float = 5.0,
        clock: Callable[[], int] | None = None,
    ) -> None:
        if max_concurrent_jobs < 0 or tick <= 0 or heartbeat_interval <= 0:
            raise ValueError("max_concurrent_jobs must be 0 or more, tick and interval positive")
        self.service = service
        self.store = service.store
        self.lifecycle = JobLifecycle(service)
        self.executor = executor
        self.max_concurrent_jobs = max_concurrent_jobs
        self.tick = tick
        self.heartbeat_interval = heartbeat_interval
        self.clock = clock or service.clock
        self.id = uuid.uuid4().hex
        self.host = this_host()
        self._runs: dict[int, asyncio.Task[None]] = {}
        self._executions: dict[int, Execution] = {}
        # The pid, its start time and the host recorded in the store for each started run:
        # a Dask run learns them only once its task starts on a worker.
        self._recorded: dict[int, tuple[int | None, float | None, str]] = {}
        self._cancel_requested: set[int] = set()
        self._stopped_runs: set[int] = set()
        self._wake = asyncio.Event()
        self._stopping = False
        self._loops: list[asyncio.Task[None]] = []
        self._background: set[asyncio.Task[None]] = set()

    @property
    def running(self) -> list[int]:
        """The job runs this scheduler has going (claimed, starting or started)."""
        return sorted(self._runs)

    @property
    def started(self) -> bool:
        return bool(self._loops) and not self._stopping

    def start(self) -> None:
        """Start the scheduler's loops on the running event loop."""
        if self._loops:
            raise RuntimeError("This scheduler has already started.")
        self._wake = asyncio.Event()
        log.info(
            "Job scheduler %s started on %s: %d jobs at once on the %s executor",
            self.id[:8],
            self.host,
            self.max_concurrent_jobs,
            self.executor.name,
        )
        self._loops = [
            asyncio.create_task(self._tick_loop(), name=f"studio-scheduler-{self.id[:8]}"),
            asyncio.create_task(self._beat_loop(), name=f"studio-heartbeat-{self.id[:8]}"),
        ]

    def wake(self) -> None:
        """Look for due and queued runs now rather than at the next tick (from the
        scheduler's event loop, as a request handler does after queuing a run)."""
        self._wake.set()

    async def stop(self) -> None:
        """Claim nothing more, stop every run going (each ends FAILED "interrupted", and is
        retried as its retries allow), close the executor and leave the store."""
        if self._stopping:
            return
        self._stopping = True
        if not self._loops:
            await asyncio.gather(*self._background, return_exceptions=True)
            await self.executor.close()
            return
        self._wake.set()
        tick_loop, beat_loop = self._loops
        await asyncio.gather(tick_loop, return_exceptions=True)
        stopping = [self._stop_run(job_run_id) for job_run_id in list(self._runs)]
        await asyncio.gather(*stopping, return_exceptions=True)
        await asyncio.gather(*self._runs.values(), return_exceptions=True)
        beat_loop.cancel()
        await asyncio.gather(beat_loop, *self._background, return_exceptions=True)
        try:
            await self.executor.close()
        finally:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self.store.remove_scheduler, self.id)
        log.info("Job scheduler %s stopped", self.id[:8])

    async def run_once(self) -> list[JobRun]:
        """One tick: queue the due occurrences, then claim and start queued runs up to the
        free slots. Returns the runs it started."""
        await asyncio.to_thread(self.lifecycle.schedule_due)
        free = self.max_concurrent_jobs - len(self._runs)
        if free <= 0 or self._stopping:
            return []
        claimed = await asyncio.to_thread(
            self.store.claim_queued, self.id, self.host, free, self.clock()
        )
        for job_run in claimed:
            self._runs[job_run.id] = asyncio.create_task(
                self._execute(job_run), name=f"studio-job-run-{job_run.id}"
            )
        return claimed

    async def recover(self) -> list[JobRun]:
        """Mark the runs whose scheduler stopped beating FAILED ("interrupted"), queue their
        retries, and kill what is left of those that ran on this host (or, on a Dask
        executor, ask the cluster to stop those that ran elsewhere). Returns them."""
        max_age = int(STALE_BEATS * self.heartbeat_interval * 1000)
        stale = await asyncio.to_thread(self.lifecycle.interrupted, max_age)
        recovered = []
        # A Dask executor's: it asks the cluster to stop a task a dead scheduler left there.
        stop_orphan: Callable[[str], Awaitable[None]] | None = getattr(
            self.executor, "stop_orphan", None
        )
        for job_run in stale:
            if job_run.id in self._runs:
                continue  # ours, alive: its next beat refreshes it
            found = await asyncio.to_thread(self.lifecycle.recover, job_run)
            if found is None:
                continue
            recovered.append(found.run)
            log.warning(
                "Job run %d (%s) ended %s: its scheduler %s stopped beating%s",
                job_run.id,
                job_run.name,
                found.run.status.value,
                (job_run.scheduler_id or "?")[:8],
                f"; retry queued as job run {found.retry.id}" if found.retry else "",
            )
            if job_run.host == self.host:
                # In the background: killing waits for the processes to go, and the beats
                # of this scheduler's own runs must not wait for that.
                self._keep(asyncio.create_task(self._kill_leftovers(job_run)))
            elif stop_orphan is not None and job_run.run_id is not None:
                # Its task may live on, on a worker of another machine: the cluster stops it.
                self._keep(
                    asyncio.create_task(self._stop_orphan(stop_orphan, job_run.id, job_run.run_id))
                )
        return recovered

    async def _stop_orphan(
        self, stop_orphan: Callable[[str], Awaitable[None]], job_run_id: int, run_id: str
    ) -> None:
        try:
            await stop_orphan(run_id)
        except Exception:
            log.exception("Could not stop what is left of job run %d on its cluster", job_run_id)
        else:
            log.info("Asked the cluster to stop what is left of job run %d", job_run_id)

    async def _kill_leftovers(self, job_run: JobRun) -> None:
        killed = await asyncio.to_thread(kill_leftovers, job_run)
        if killed:
            log.info("Killed the processes left of job run %d: %s", job_run.id, killed)

    def _keep(self, task: asyncio.Task[None]) -> None:
        """Hold a background task until it ends (the loop keeps only weak references)."""
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # The loops ------------------------------------------------------------------------

    async def _tick_loop(self) -> None:
        await self._guarded(self._beat_scheduler)
        await self._guarded(self.recover)
        while not self._stopping:
            self._wake.clear()
            await self._guarded(self.run_once)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=await self._until_next())

    async def _until_next(self) -> float:
        """Seconds to the next look: a tick, or less where an occurrence (or a retry's
        backoff) comes sooner, so that a run starts on its minute, not up to a tick late."""
        try:
            due = await asyncio.to_thread(self.store.next_due, self.clock())
        except Exception:
            return self.tick
        if due is None:
            return self.tick
        return min(self.tick, max(0.0, (due - self.clock()) / 1000))

    async def _beat_loop(self) -> None:
        step = min(PROGRESS_INTERVAL, self.heartbeat_interval)
        since_heartbeat = 0.0
        while True:
            await asyncio.sleep(step)
            since_heartbeat += step
            if since_heartbeat < self.heartbeat_interval:
                if self._runs:
                    await self._guarded(self._beat)
                continue
            since_heartbeat = 0.0
            await self._guarded(self._beat)
            await self._guarded(self._beat_scheduler)
            if not self._stopping:
                await self._guarded(self.recover)

    async def _guarded(self, step: Callable[[], object]) -> None:
        """Run one step of a loop; a failure (the database away for a moment) is logged and
        the loop goes on."""
        try:
            result = step()
            if asyncio.iscoroutine(result):
                await result
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("Job scheduler %s: %s failed", self.id[:8], _name(step))

    async def _beat_scheduler(self) -> None:
        await asyncio.to_thread(
            self.store.beat_scheduler,
            self.id,
            self.host,
            os.getpid(),
            self.executor.name,
            self.clock(),
        )

    async def _beat(self) -> None:
        await self._record_started()
        progress: dict[int, Progress | None] = {}
        for job_run_id in list(self._runs):
            execution = self._executions.get(job_run_id)
            progress[job_run_id] = execution.progress() if execution is not None else None
        cancelled = await asyncio.to_thread(self.store.beat, self.id, progress, self.clock())
        for job_run_id in cancelled - self._cancel_requested:
            self._cancel_requested.add(job_run_id)
            execution = self._executions.get(job_run_id)
            if execution is not None:
                log.info("Stopping job run %d: cancelled, or ended by a recovery", job_run_id)
                self._keep(asyncio.create_task(execution.cancel()))

    async def _record_started(self) -> None:
        """Record again the pid and host of the runs whose execution now says otherwise than
        the store: a Dask run's worker host and runner pid arrive after it was recorded as
        started, and a recovery needs them to stop what a dead scheduler left."""
        changed = {}
        for job_run_id, recorded in list(self._recorded.items()):
            execution = self._executions.get(job_run_id)
            if execution is None:
                continue
            now = (execution.pid, execution.pid_started_at, execution.host)
            if now != recorded:
                changed[job_run_id] = now
        for job_run_id, (pid, pid_started_at, host) in changed.items():
            await asyncio.to_thread(
                self.store.set_started,
                job_run_id,
                pid=pid,
                pid_started_at=pid_started_at,
                host=host,
            )
            self._recorded[job_run_id] = (pid, pid_started_at, host)

    # One run ---------------------------------------------------------------------------

    async def _execute(self, job_run: JobRun) -> None:
        try:
            outcome = await self._launch_and_wait(job_run)
            if (
                outcome.status is JobStatus.CANCELLED
                and job_run.id in self._stopped_runs
                and job_run.id not in self._cancel_requested
            ):
                outcome = Outcome(
                    JobStatus.FAILED,
                    error=STOPPED_MESSAGE,
                    error_cell=outcome.error_cell,
                    progress=outcome.progress,
                )
            ended = await asyncio.to_thread(self.lifecycle.complete, job_run.id, outcome)
            if ended is not None:
                log.info(
                    "Job run %d (%s) ended %s%s",
                    job_run.id,
                    job_run.name,
                    ended.status.value,
                    f": {ended.error}" if ended.error else "",
                )
        except Exception:
            # The run stays RUNNING without a heartbeat: a recovery ends it.
            log.exception("Job scheduler %s lost track of job run %d", self.id[:8], job_run.id)
        finally:
            self._runs.pop(job_run.id, None)
            self._executions.pop(job_run.id, None)
            self._recorded.pop(job_run.id, None)
            self._cancel_requested.discard(job_run.id)
            self._stopped_runs.discard(job_run.id)
            if not self._stopping:
                self.wake()  # a slot is free

    async def _launch_and_wait(self, job_run: JobRun) -> Outcome:
        try:
            launch = await asyncio.to_thread(self.lifecycle.launch, job_run)
        except StudioError as exc:
            return Outcome(JobStatus.FAILED, error=exc.message)
        except Exception as exc:
            log.exception("Job run %d could not be prepared", job_run.id)
            return Outcome(JobStatus.FAILED, error=f"The job could not be prepared: {exc}")
        try:
            execution = await self.executor.start(launch)
        except Exception as exc:
            log.warning("Job run %d could not start: %s", job_run.id, exc)
            return Outcome(JobStatus.FAILED, error=f"The job could not start: {exc}")
        self._executions[job_run.id] = execution
        log.info(
            "Job run %d (%s, %s) started on %s%s",
            job_run.id,
            job_run.name,
            job_run.trigger.value,
            execution.host,
            f", pid {execution.pid}" if execution.pid is not None else "",
        )
        await asyncio.to_thread(
            self.store.set_started,
            job_run.id,
            pid=execution.pid,
            pid_started_at=execution.pid_started_at,
            host=execution.host,
        )
        self._recorded[job_run.id] = (execution.pid, execution.pid_started_at, execution.host)
        if self._stopping or job_run.id in self._cancel_requested:
            await self._stop_run(job_run.id)
        outcome = await execution.wait()
        # Ended: nothing left to stop while the store records it (a beat meanwhile sees it
        # ended, and would ask for it to stop).
        self._executions.pop(job_run.id, None)
        return outcome

    async def _stop_run(self, job_run_id: int) -> None:
        """Stop a run because the scheduler stops (not asked for by anyone)."""
        self._stopped_runs.add(job_run_id)
        execution = self._executions.get(job_run_id)
        if execution is not None:
            await execution.cancel()


def kill_leftovers(job_run: JobRun) -> list[int]:
    """Kill what is left on this host of an interrupted run: its runner's tree, where the
    recorded pid still names the process that started for it, and every process whose
    environment names the run and its tracking run (the kernel and its children, once the
    runner is gone). Blocks."""
    known_process = job_run.pid_started_at is not None
    return kill_job_run(
        job_run.id,
        job_run.pid if known_process else None,
        job_run.pid_started_at,
        run_id=job_run.run_id,
    )


def _name(step: Callable[[], object]) -> str:
    return getattr(step, "__name__", repr(step)).strip("_").replace("_", " ")
