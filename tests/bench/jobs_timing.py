"""The timed parts of `bench_jobs.py` that run beside Studio's scheduler: a plain papermill run
in a fresh process, the job runner alone, and a cron schedule's lateness."""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
from harness import BenchError
from jobs_studio import EXPECTED_OUTPUT, PARAMETERS, _printed

from studio.jobs.entities import JobRun, JobStatus
from studio.jobs.execution import NOTEBOOK_NAME, Launch, Outcome

if TYPE_CHECKING:
    from studio.jobs.scheduler import Scheduler
    from studio.jobs.service import JobService

_PLAIN = (
    "import papermill; papermill.execute_notebook({source!r}, {output!r}, "
    "parameters={parameters!r}, cwd={cwd!r}, kernel_name='python3', progress_bar=False)"
)


@dataclass(frozen=True)
class Spread:
    """Samples in seconds: their median and range, for the table's notes."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def text(self) -> str:
        low, high = (round(value * 1000) for value in (min(self.samples), max(self.samples)))
        median = round(self.median * 1000)
        return f"median {median:,} ms (min {low:,}, max {high:,}, n={len(self.samples)})"


async def _timed_process(
    arguments: Sequence[str], env: Mapping[str, str], cwd: Path, what: str
) -> float:
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        *arguments,
        env=dict(env),
        cwd=cwd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, errors = await process.communicate()
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise BenchError(f"{what} failed ({process.returncode}):\n{errors.decode()[-2000:]}")
    return elapsed


async def plain_papermill(notebook: Path, output: Path, env: Mapping[str, str]) -> float:
    """Seconds of `python -c "import papermill; papermill.execute_notebook(...)"`: the same
    notebook, parameters, kernel and working folder as the job's."""
    code = _PLAIN.format(
        source=str(notebook),
        output=str(output),
        parameters=dict(PARAMETERS),
        cwd=str(notebook.parent),
    )
    elapsed = await _timed_process([sys.executable, "-c", code], env, notebook.parent, "papermill")
    if _printed(output) != EXPECTED_OUTPUT:
        raise BenchError(f"The plain papermill run printed {_printed(output)!r}")
    return elapsed


async def runner_alone(notebook: Path, folder: Path, env: Mapping[str, str]) -> float:
    """Seconds of `python -m studio.jobs.runner FOLDER` on a launch of the same notebook: the
    job's process without the scheduler's bookkeeping around it."""
    launch = Launch(
        job_run_id=0,
        run_id="bench",
        notebook=notebook.read_text(encoding="utf-8"),
        notebook_path=str(notebook),
        output_dir=str(folder),
        parameters=dict(PARAMETERS),
    )
    launch.write(folder)
    arguments = [sys.executable, "-m", "studio.jobs.runner", str(folder)]
    elapsed = await _timed_process(arguments, env, notebook.parent, "the job runner")
    outcome = Outcome.read(folder)
    if outcome is None or outcome.status is not JobStatus.SUCCEEDED:
        raise BenchError(f"The job runner alone ended {outcome}")
    if _printed(folder / NOTEBOOK_NAME) != EXPECTED_OUTPUT:
        raise BenchError("The job runner's notebook printed something else")
    return elapsed


@dataclass(frozen=True)
class CronRun:
    """One occurrence of a `* * * * *` schedule, in ms after its minute."""

    scheduled_for: int
    queued_ms: int
    claimed_ms: int
    first_cell_ms: int
    ended_ms: int | None
    status: JobStatus


async def cron_lateness(
    service: JobService, scheduler: Scheduler, notebook: Path, occurrences: int
) -> list[CronRun]:
    """A `* * * * *` definition of the notebook, observed until `occurrences` of its runs
    have ended; for each, how long after its minute it was queued, claimed (its
    `started_at`) and its first cell started. The definition is deleted at the end."""
    definition = await asyncio.to_thread(
        service.create_definition,
        "every-minute",
        notebook,
        schedule="* * * * *",
        parameters=PARAMETERS,
        experiment="cron",
    )
    deadline = time.monotonic() + 60 * (occurrences + 1) + 120
    try:
        while True:
            runs, _ = await asyncio.to_thread(
                service.list_runs, definition_id=definition.id, limit=occurrences + 10
            )
            ended = [run for run in runs if run.status.is_final]
            if len(ended) >= occurrences:
                break
            if time.monotonic() > deadline:
                raise BenchError(f"{len(ended)} of {occurrences} minutely runs ended in time")
            await asyncio.sleep(1)
    finally:
        await asyncio.to_thread(service.pause, definition.id)
    if len({run.scheduled_for for run in runs}) != len(runs):
        raise BenchError("Two runs of one occurrence")
    found = sorted((_cron_run(run) for run in ended), key=lambda run: run.scheduled_for)
    await asyncio.to_thread(service.delete_definition, definition.id)
    return found[:occurrences]


def _first_cell_started(run: JobRun) -> int:
    """When the run's first cell started, as papermill recorded it in the executed notebook
    (the kernel was up by then). The runner's pid start time from psutil is no use here:
    Linux gives process start times from a boot time rounded to the second."""
    notebook = nbformat.read(Path(run.output_dir or "") / NOTEBOOK_NAME, as_version=4)
    first = next(cell for cell in notebook.cells if cell.cell_type == "code")
    started = datetime.fromisoformat(first.metadata.papermill.start_time.replace("Z", "+00:00"))
    return round(started.timestamp() * 1000)


def _cron_run(run: JobRun) -> CronRun:
    if run.scheduled_for is None or run.started_at is None:
        raise BenchError(f"Scheduled run {run.id} has no occurrence or start")
    due = run.scheduled_for
    return CronRun(
        scheduled_for=due,
        queued_ms=run.created_at - due,
        claimed_ms=run.started_at - due,
        first_cell_ms=_first_cell_started(run) - due,
        ended_ms=None if run.ended_at is None else run.ended_at - due,
        status=run.status,
    )
