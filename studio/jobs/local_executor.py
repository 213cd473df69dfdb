"""The local executor: each job run is a fresh runner process on this machine.

The runner (`python -m studio.jobs.runner`) starts in a session of its own, so that Ctrl-C
in the server's terminal does not reach jobs, and a scheduler that dies leaves its runs to
be found (`STUDIO_JOB_RUN_ID` in their environment) rather than half-killed. Its output
goes to `job.log`; how it ended comes from `result.json`, unless the executor ended it
(timeout, cancel), in which case the executor says so itself.

Nothing here blocks the event loop: the files read are a few hundred bytes, and killing a
process tree, which waits for the processes to go, runs in a thread.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from studio.config import JOB_RUN_ID_ENV, RUN_ID_ENV
from studio.jobs.entities import JobStatus, Progress
from studio.jobs.execution import (
    LOG_NAME,
    NOTEBOOK_NAME,
    Launch,
    Outcome,
    final_outcome,
    read_progress,
)
from studio.jobs.proctree import DEFAULT_GRACE, kill_tree, process_started_at

__all__ = [
    "LocalExecution",
    "LocalExecutor",
    "export_html_in_subprocess",
    "start_runner",
]


class LocalExecution:
    """A runner process started by `LocalExecutor`, watched from the moment it starts: its
    timeout counts from the start, not from the first `wait()`."""

    def __init__(
        self,
        launch: Launch,
        process: asyncio.subprocess.Process,
        grace: float = DEFAULT_GRACE,
        on_end: Callable[[LocalExecution], object] | None = None,
    ) -> None:
        self.launch = launch
        self.folder = Path(launch.output_dir)
        self._process = process
        self._started_at = process_started_at(process.pid)
        self._host = socket.gethostname()
        self._grace = grace
        self._stopped_as: JobStatus | None = None
        self._on_end = on_end
        self._ended = asyncio.ensure_future(self._watch())

    @property
    def pid(self) -> int | None:
        return self._process.pid

    @property
    def pid_started_at(self) -> float | None:
        return self._started_at

    @property
    def host(self) -> str:
        return self._host

    @property
    def returncode(self) -> int | None:
        """The runner's exit status once it has ended (`runner.ExitCode`), or minus the
        signal that killed it."""
        return self._process.returncode

    def progress(self) -> Progress | None:
        return read_progress(self.folder)

    async def wait(self) -> Outcome:
        # Shielded: a caller that stops waiting must not stop the watch.
        return await asyncio.shield(self._ended)

    async def cancel(self) -> None:
        if self._process.returncode is None and self._stopped_as is None:
            await self._stop(JobStatus.CANCELLED)
        await asyncio.shield(self._ended)

    async def _watch(self) -> Outcome:
        try:
            try:
                await asyncio.wait_for(self._process.wait(), timeout=self.launch.timeout)
            except TimeoutError:
                if self._stopped_as is None:
                    await self._stop(JobStatus.TIMED_OUT)
                await self._process.wait()
            return await self._outcome()
        finally:
            if self._on_end is not None:
                self._on_end(self)

    async def _stop(self, status: JobStatus) -> None:
        self._stopped_as = status
        await asyncio.to_thread(kill_tree, self._process.pid, self._started_at, self._grace)

    async def _outcome(self) -> Outcome:
        """The runner's own outcome, unless it was killed or died without one: then the
        executor's, which it records where the runner would have (result, log, HTML)."""
        # A runner that ended by itself while being stopped keeps its own outcome.
        killed = self.returncode is not None and self.returncode < 0
        stopped = self._stopped_as if killed else None
        own = Outcome.read(self.folder) if stopped is None else None
        if own is not None:
            return own
        outcome = final_outcome(self.folder, self.launch.timeout, stopped, self.returncode)
        outcome.write(self.folder)
        with open(self.folder / LOG_NAME, "a", encoding="utf-8") as log:
            log.write(f"Job run ended {outcome.status.value}: {outcome.error}\n")
        if self.launch.html and (self.folder / NOTEBOOK_NAME).exists():
            await export_html_in_subprocess(self.folder)
        return outcome


class LocalExecutor:
    """Runs each launch in a fresh runner process on this machine. Any number at once: the
    scheduler decides how many."""

    name = "local"

    def __init__(self, grace: float = DEFAULT_GRACE) -> None:
        self.grace = grace
        self._executions: set[LocalExecution] = set()

    async def start(self, launch: Launch) -> LocalExecution:
        folder = Path(launch.output_dir)
        await asyncio.to_thread(launch.write, folder)
        environment = {
            **os.environ,
            **launch.environment,
            # Both ids mark every process of the run, so that a scheduler finding it
            # orphaned tells it apart from a same-numbered run of another store.
            JOB_RUN_ID_ENV: str(launch.job_run_id),
            RUN_ID_ENV: launch.run_id,
        }
        process = await start_runner(folder, environment=environment)
        execution = LocalExecution(launch, process, self.grace, on_end=self._executions.discard)
        self._executions.add(execution)
        return execution

    async def close(self) -> None:
        await asyncio.gather(*(execution.cancel() for execution in list(self._executions)))


async def start_runner(
    folder: Path, *options: str, environment: dict[str, str] | None = None
) -> asyncio.subprocess.Process:
    """Start `python -m studio.jobs.runner [options] folder`, in a session of its own, its
    output appended to the folder's `job.log`."""
    with open(folder / LOG_NAME, "ab") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "studio.jobs.runner",
            *options,
            str(folder),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=environment,
            start_new_session=True,
        )


async def export_html_in_subprocess(folder: Path) -> None:
    """Export `folder`'s executed notebook as HTML, in a runner process: the server never
    imports nbconvert. A failure is in the log."""
    process = await start_runner(folder, "--html")
    await process.wait()
