"""The part of a Dask job run that runs on a worker: the notebook's folder unpacked, the
papermill runner started on it, watched, stopped when asked or late, and its outputs sent back.

Dask cannot interrupt a running task (`Future.cancel()` leaves it and its kernel going), so
the task runs the notebook in the same runner process as the local executor
(`python -m studio.jobs.runner DIR`) and itself polls a named cluster-wide `Event` and the
deadline, killing the runner's whole process tree. Workers import this module by name: they
need Studio, papermill and the notebook's kernel installed. `distributed` is imported only
here and in `dask_executor`, never by `import studio.jobs`.
"""

# distributed's Client, Future and Event methods carry no annotations.
# mypy: disallow-untyped-calls=False

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from studio.config import JOB_RUN_ID_ENV, RUN_ID_ENV
from studio.jobs.entities import JobStatus, Progress
from studio.jobs.execution import (
    HTML_NAME,
    LOG_NAME,
    NOTEBOOK_NAME,
    PROGRESS_NAME,
    RESULT_NAME,
    Launch,
    read_progress,
)
from studio.jobs.proctree import kill_tree, process_started_at

__all__ = [
    "WorkerReport",
    "cancel_event_name",
    "run_on_worker",
    "started_event_name",
    "task_key",
    "topic",
]

# What comes back to the scheduler's side, into the launch's output folder.
RETURNED_FILES = (NOTEBOOK_NAME, HTML_NAME, LOG_NAME, PROGRESS_NAME, RESULT_NAME)
POLL_SECONDS = 0.2


# The names below are the job run's tracking run id (a UUID), not its number: job run numbers
# repeat across Studio databases, and two Studio stores may share one cluster.


def task_key(run_id: str) -> str:
    """The Dask key of the task running the job run whose tracking run is `run_id`."""
    return f"studio-job-{run_id}"


def topic(run_id: str) -> str:
    """The event topic a job run's task reports on (its start, then its progress)."""
    return f"studio-job-{run_id}"


def cancel_event_name(run_id: str) -> str:
    """The named `distributed.Event` that, once set, stops the job run."""
    return f"studio-cancel-{run_id}"


def started_event_name(run_id: str) -> str:
    """Set by the first attempt of the task. Dask re-runs a task whose worker died, but the
    first runner may still be going on a machine the new worker cannot reach: a second
    attempt reports the loss instead of running the notebook twice."""
    return f"studio-started-{run_id}"


@dataclass(frozen=True)
class WorkerReport:
    """What a task sends back: the runner's output files, and how the task ended it.

    `stopped` is CANCELLED or TIMED_OUT when the task killed the runner, None when the runner
    ended by itself (then `result.json` says how). `lost` is True for a re-run of a task whose
    first worker died.
    """

    host: str
    pid: int | None = None
    exit_code: int | None = None
    stopped: JobStatus | None = None
    lost: bool = False
    files: dict[str, bytes] = field(default_factory=dict)


def run_on_worker(launch: Launch, bundle: bytes) -> WorkerReport:
    """The Dask task: run `launch` on the notebook's folder packed in `bundle` (a zip)."""
    from distributed import Event, get_worker

    host = socket.gethostname()
    started = Event(started_event_name(launch.run_id))
    if started.is_set():
        return WorkerReport(host=host, lost=True)
    started.set()
    cancel = Event(cancel_event_name(launch.run_id))
    work = Path(tempfile.mkdtemp(prefix=f"studio-job-{launch.job_run_id}-"))
    try:
        notebook = Path(launch.notebook_path)
        folder = work / (notebook.parent.name or "notebook")
        with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
            archive.extractall(folder)
        output = work / "output"
        # The runner's working directory is the notebook's folder: here, the unpacked copy.
        local = replace(launch, notebook_path=str(folder / notebook.name), output_dir=str(output))
        local.write(output)
        if cancel.is_set():
            return WorkerReport(host=host, stopped=JobStatus.CANCELLED)
        with open(output / LOG_NAME, "wb") as log:
            runner = subprocess.Popen(
                [sys.executable, "-m", "studio.jobs.runner", str(output)],
                cwd=folder,
                env=_runner_environment(local),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started_at = process_started_at(runner.pid)
        worker = get_worker()
        worker.log_event(
            topic(launch.run_id),
            {"host": host, "pid": runner.pid, "pid_started_at": started_at},
        )
        stopped = _watch(runner, started_at, local, cancel, worker)
        return WorkerReport(
            host=host,
            pid=runner.pid,
            exit_code=runner.returncode,
            stopped=stopped,
            files=_read_outputs(output),
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _watch(
    runner: subprocess.Popen[bytes],
    started_at: float | None,
    launch: Launch,
    cancel: Any,
    worker: Any,
) -> JobStatus | None:
    """Wait for the runner, sending on each new progress; kill its tree on cancel or timeout.
    Returns how the task stopped it, or None where it ended by itself (a runner that ends by
    itself while being stopped keeps its own outcome, as with the local executor)."""
    deadline = None if launch.timeout is None else time.monotonic() + launch.timeout
    last_progress: Progress | None = None
    while runner.poll() is None:
        progress = read_progress(launch.output_dir)
        if progress is not None and progress != last_progress:
            last_progress = progress
            worker.log_event(topic(launch.run_id), {"progress": asdict(progress)})
        # Waiting on the event, not sleeping: a cancel is seen at once.
        stop = JobStatus.CANCELLED if cancel.wait(timeout=POLL_SECONDS) else None
        if stop is None and deadline is not None and time.monotonic() >= deadline:
            stop = JobStatus.TIMED_OUT
        if stop is not None:
            kill_tree(runner.pid, started_at)
            return stop if runner.wait() < 0 else None
    return None


def _runner_environment(launch: Launch) -> dict[str, str]:
    return {
        **os.environ,
        **launch.environment,
        JOB_RUN_ID_ENV: str(launch.job_run_id),
        RUN_ID_ENV: launch.run_id,
    }


def _read_outputs(output: Path) -> dict[str, bytes]:
    return {
        name: (output / name).read_bytes() for name in RETURNED_FILES if (output / name).exists()
    }
