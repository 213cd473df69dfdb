"""The contract between the scheduler and the executors that run notebooks.

The scheduler hands an executor a `Launch` (everything one run needs, secrets resolved) and
gets back an `Execution`: a started run it can watch (`progress`), wait for (`wait`, which
ends in an `Outcome`) and stop (`cancel`). The executor owns the run's processes, its
timeout and its outputs in `Launch.output_dir`; the scheduler owns the store.

The papermill runner (`python -m studio.jobs.runner OUTPUT_DIR`) is the same on every
executor: it reads `launch.json` and `input.ipynb` from OUTPUT_DIR and writes there
`output.ipynb` (after every cell), `output.html` where asked, `progress.json` (replaced
atomically at every cell) and `result.json` at the end. The executor redirects its stdout
and stderr into `job.log`, and gives the runner `Launch.environment` as its own: the
environment is never written to disk, since secrets are resolved in it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from studio.jobs.entities import JobStatus, Progress

__all__ = [
    "HTML_NAME",
    "INPUT_NAME",
    "LAUNCH_NAME",
    "LOG_NAME",
    "NOTEBOOK_NAME",
    "PROGRESS_NAME",
    "RESULT_NAME",
    "Execution",
    "Executor",
    "Launch",
    "Outcome",
    "cell_number",
    "final_outcome",
    "log_tail",
    "read_progress",
    "write_progress",
]

LAUNCH_NAME = "launch.json"
INPUT_NAME = "input.ipynb"
NOTEBOOK_NAME = "output.ipynb"
HTML_NAME = "output.html"
LOG_NAME = "job.log"
PROGRESS_NAME = "progress.json"
RESULT_NAME = "result.json"


@dataclass(frozen=True)
class Launch:
    """One job run, ready to start.

    - `notebook`: the snapshot's JSON text (what runs, not the file as it is now).
    - `notebook_path`: the original file's absolute path; its folder is the working
      directory, so relative data files and local modules work.
    - `environment`: variables to set on top of the executor's own environment, secrets
      resolved, `STUDIO_RUN_ID` and the store's variables included.
    - `output_dir`: where the outputs go on the scheduler's machine (`STUDIO_HOME/jobs/<id>`).
    """

    job_run_id: int
    run_id: str
    notebook: str
    notebook_path: str
    output_dir: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    kernel_name: str | None = None
    timeout: float | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    html: bool = False

    def write(self, folder: str | Path) -> None:
        """Write `launch.json` and `input.ipynb` into `folder`, for the runner; not the
        environment, whose secrets reach the runner only through its process environment."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / INPUT_NAME).write_text(self.notebook, encoding="utf-8")
        described = {
            key: value
            for key, value in asdict(self).items()
            if key not in ("notebook", "environment")
        }
        (folder / LAUNCH_NAME).write_text(json.dumps(described), encoding="utf-8")

    @classmethod
    def read(cls, folder: str | Path) -> Launch:
        """The launch `write` left in `folder`, with an empty environment."""
        folder = Path(folder)
        described = json.loads((folder / LAUNCH_NAME).read_text(encoding="utf-8"))
        return cls(notebook=(folder / INPUT_NAME).read_text(encoding="utf-8"), **described)


@dataclass(frozen=True)
class Outcome:
    """How a run ended: a final status, and for anything but success a sentence saying why.

    `error_name` is the exception's class name where a cell raised (`ZeroDivisionError`,
    `SyntaxError`, `StopTraining`, ...), `error_cell` the failing cell's index in the
    executed notebook, `traceback` plain text (no terminal colours).
    """

    status: JobStatus
    error: str | None = None
    error_name: str | None = None
    error_cell: int | None = None
    traceback: str | None = None
    progress: Progress = field(default_factory=Progress)

    def write(self, folder: str | Path) -> None:
        """Write `result.json` into `folder` (replacing it whole)."""
        described = asdict(self) | {"status": self.status.value}
        _replace_json(Path(folder) / RESULT_NAME, described)

    @classmethod
    def read(cls, folder: str | Path) -> Outcome | None:
        """The outcome in `folder`'s `result.json`, or None where the runner left none."""
        described = _read_json(Path(folder) / RESULT_NAME)
        if described is None:
            return None
        try:
            progress = Progress(**described.pop("progress", {}))
            return cls(status=JobStatus(described.pop("status")), progress=progress, **described)
        except (KeyError, TypeError, ValueError):
            return None


def cell_number(progress: Progress | None) -> int | None:
    """The number of the cell running now, as people count cells in messages: the count the
    executed notebook shows beside it (`In [3]`), one more than the code cells done."""
    if progress is None or progress.current_cell is None:
        return None
    return progress.cells_done + 1


def write_progress(folder: str | Path, progress: Progress) -> None:
    """Replace `folder`'s `progress.json`, atomically: a reader never sees half of it."""
    _replace_json(Path(folder) / PROGRESS_NAME, asdict(progress))


def read_progress(folder: str | Path) -> Progress | None:
    """The progress in `folder`, or None before the first write (or if it is unreadable)."""
    described = _read_json(Path(folder) / PROGRESS_NAME)
    try:
        return None if described is None else Progress(**described)
    except TypeError:
        return None


LOG_TAIL_LINES = 10
"""How many of the log's last lines explain a runner that died without a result."""

_LOG_TAIL_BYTES = 8192


def final_outcome(
    folder: str | Path,
    timeout: float | None,
    stopped: JobStatus | None = None,
    exit_code: int | None = None,
) -> Outcome:
    """How a run whose outputs are in `folder` ended: `stopped` (CANCELLED or TIMED_OUT)
    where its executor killed it, else what the runner wrote in `result.json`, else FAILED
    with the last lines of its log (the runner died: out of memory, killed by hand...)."""
    progress = read_progress(folder) or Progress()
    if stopped is not None:
        number = cell_number(progress)
        where = f", in cell {number}" if number is not None else ", before any cell ran"
        if stopped is JobStatus.TIMED_OUT:
            error = f"Timed out after {timeout or 0:g} s{where}"
        else:
            error = f"Cancelled{where}"
        return Outcome(stopped, error=error, error_cell=progress.current_cell, progress=progress)
    outcome = Outcome.read(folder)
    if outcome is not None:
        return outcome
    tail = "\n".join(log_tail(Path(folder) / LOG_NAME, LOG_TAIL_LINES))
    error = f"The job's runner ended without a result (exit status {exit_code})"
    return Outcome(
        JobStatus.FAILED, error=f"{error}:\n{tail}" if tail else error, progress=progress
    )


def log_tail(path: Path, lines: int) -> list[str]:
    """The last `lines` non-empty lines of the log at `path` (none if it cannot be read)."""
    try:
        with open(path, "rb") as log:
            log.seek(max(0, log.seek(0, os.SEEK_END) - _LOG_TAIL_BYTES))
            text = log.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    return [line for line in text.splitlines() if line.strip()][-lines:]


def _replace_json(path: Path, value: Mapping[str, Any]) -> None:
    partial = path.with_name(f".{path.name}.tmp")
    partial.write_text(json.dumps(value), encoding="utf-8")
    os.replace(partial, path)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


class Execution(Protocol):
    """A started run."""

    @property
    def pid(self) -> int | None:
        """The runner's process id on `host` (on Dask, None until the worker reports it)."""

    @property
    def pid_started_at(self) -> float | None:
        """The runner's start time (psutil's `create_time`), so that a reused pid is never
        taken for it."""

    @property
    def host(self) -> str:
        """Where the run's processes are."""

    def progress(self) -> Progress | None:
        """The latest progress seen, or None before the first cell."""

    async def wait(self) -> Outcome:
        """Wait for the end, whatever it is; applies the launch's timeout (TIMED_OUT, the
        whole process tree killed). Never raises for a failing notebook."""

    async def cancel(self) -> None:
        """Stop the run: its process tree is killed, and `wait()` ends CANCELLED."""


class Executor(Protocol):
    """Starts runs: local processes, or tasks on a Dask cluster."""

    name: str

    async def start(self, launch: Launch) -> Execution:
        """Start a run; its outputs go to `launch.output_dir`."""

    async def close(self) -> None:
        """Stop every run still going (each ends CANCELLED) and release what was held."""
