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

from studio.config import JOB_RUN_ID_ENV
from studio.jobs.entities import JobStatus, Progress
from studio.jobs.execution import LOG_NAME, Launch, Outcome, cell_number, read_progress
from studio.jobs.proctree import DEFAULT_GRACE, kill_tree, process_started_at

__all__ = ["LocalExecution", "LocalExecutor"]

LOG_TAIL_LINES = 10
"""How many of the log's last lines explain a runner that died without a result."""

_LOG_TAIL_BYTES = 8192


class LocalExecution:
    """A runner process started by `LocalExecutor`, watched from the moment it starts: its
    timeout runs from the launch, whenever `wait()` is first awaited."""

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
            await asyncio.wait_for(self._process.wait(), timeout=self.launch.timeout)
        except TimeoutError:
            if self._stopped_as is None:
                await self._stop(JobStatus.TIMED_OUT)
            await self._process.wait()
        finally:
            if self._on_end is not None:
                self._on_end(self)
        return self._outcome()

    async def _stop(self, status: JobStatus) -> None:
        self._stopped_as = status
        await asyncio.to_thread(kill_tree, self._process.pid, self._started_at, self._grace)

    def _outcome(self) -> Outcome:
        progress = self.progress() or Progress()
        # A runner that ended by itself while being stopped keeps its own outcome.
        killed = self._process.returncode is not None and self._process.returncode < 0
        if self._stopped_as is not None and killed:
            return self._stopped_outcome(self._stopped_as, progress)
        outcome = Outcome.read(self.folder)
        if outcome is not None:
            return outcome
        tail = "\n".join(log_tail(self.folder / LOG_NAME, LOG_TAIL_LINES))
        error = f"The job's runner ended without a result (exit status {self._process.returncode})"
        return Outcome(
            JobStatus.FAILED, error=f"{error}: {tail}" if tail else error, progress=progress
        )

    def _stopped_outcome(self, status: JobStatus, progress: Progress) -> Outcome:
        number = cell_number(progress)
        where = f", in cell {number}" if number is not None else ", before any cell ran"
        if status is JobStatus.TIMED_OUT:
            error = f"Timed out after {self.launch.timeout:g} s{where}"
        else:
            error = f"Cancelled{where}"
        return Outcome(status, error=error, error_cell=progress.current_cell, progress=progress)


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
            JOB_RUN_ID_ENV: str(launch.job_run_id),
        }
        with open(folder / LOG_NAME, "ab") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "studio.jobs.runner",
                str(folder),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=environment,
                start_new_session=True,
            )
        execution = LocalExecution(launch, process, self.grace, on_end=self._executions.discard)
        self._executions.add(execution)
        return execution

    async def close(self) -> None:
        await asyncio.gather(*(execution.cancel() for execution in list(self._executions)))


def log_tail(path: Path, lines: int) -> list[str]:
    """The last `lines` non-empty lines of the log at `path` (none if it cannot be read)."""
    try:
        with open(path, "rb") as log:
            log.seek(max(0, log.seek(0, os.SEEK_END) - _LOG_TAIL_BYTES))
            text = log.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    return [line for line in text.splitlines() if line.strip()][-lines:]
