"""Studio's side of `bench_jobs.py`: a job service on a fresh store, its scheduler running in
this process's event loop (as in the Jupyter server), and the checks that every queued run
ran exactly once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import nbformat
from harness import BenchError
from nbformat.v4 import new_code_cell, new_notebook

from studio.config import StudioConfig
from studio.db.engine import Database
from studio.jobs.entities import JobRun, JobStatus
from studio.jobs.execution import LAUNCH_NAME, NOTEBOOK_NAME, RESULT_NAME, Executor
from studio.jobs.scheduler import Scheduler
from studio.jobs.service import JobService
from studio.jobs.store import JobStore
from studio.tracking.entities import RunStatus
from studio.tracking.service import TrackingService

PARAMETERS = {"x": 2}
"""What every run of the trivial notebook is given, on every side."""
EXPECTED_OUTPUT = "3"
"""What the trivial notebook prints with those parameters."""
_WATCH_S = 0.005


def write_trivial_notebook(path: Path) -> Path:
    """A parameters cell and one cell that prints: the least a job can run."""
    notebook = new_notebook(
        cells=[
            new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
            new_code_cell("print(x + 1)"),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


@contextmanager
def job_service(home: Path, db_url: str | None = None) -> Iterator[JobService]:
    """A job service on a store at `db_url` (a SQLite file in `home` by default); the runs'
    processes get the same store through the configuration's variables."""
    config = StudioConfig.resolve(
        home=home,
        db_url=db_url or f"sqlite:///{home / 'studio.db'}",
        artifact_root=str(home / "artifacts"),
    )
    database = Database.from_config(config)
    try:
        tracking = TrackingService.from_database(database, config)
        yield JobService(JobStore(database), tracking, config)
    finally:
        database.dispose()


@asynccontextmanager
async def running_scheduler(
    service: JobService, executor: Executor, concurrency: int, tick: float = 1.0
) -> AsyncIterator[Scheduler]:
    """A started scheduler with the app's defaults (1 s tick, 5 s heartbeat); stopped on exit."""
    scheduler = Scheduler(service, executor, max_concurrent_jobs=concurrency, tick=tick)
    scheduler.start()
    try:
        yield scheduler
    finally:
        await scheduler.stop()


async def submit(service: JobService, notebook: Path, experiment: str) -> JobRun:
    return await asyncio.to_thread(
        service.submit, notebook, parameters=PARAMETERS, experiment=experiment
    )


@dataclass(frozen=True)
class JobTiming:
    """One job timed from its submission to its scheduler having completed it: `seconds`,
    and the run as stored, whose times split it into phases (`phases`)."""

    seconds: float
    run: JobRun
    submitted_ms: int
    queued_ms: int
    done_ms: int

    def phases(self) -> dict[str, int]:
        """Milliseconds of each phase, from the store's times (the service's clock) and the
        times the runner's files were written (the executor writes `launch.json` just before
        starting the runner, which writes `result.json` just before it exits)."""
        run = self.run
        if run.started_at is None or run.ended_at is None:
            raise BenchError(f"Job run {run.id} has no start or end")
        folder = Path(run.output_dir or "")
        launched = round((folder / LAUNCH_NAME).stat().st_mtime * 1000)
        result = round((folder / RESULT_NAME).stat().st_mtime * 1000)
        return {
            "submit (snapshot, QUEUED row)": self.queued_ms - self.submitted_ms,
            "queued to claimed": run.started_at - self.queued_ms,
            "claimed to launch written (tracking run, folder)": launched - run.started_at,
            "launch to result written (the runner's process)": result - launched,
            "result to ended (exit, outcome, row)": run.ended_at - result,
            "ended to completed (tracking run closed, artifacts)": self.done_ms - run.ended_at,
        }


async def run_job(
    service: JobService, scheduler: Scheduler, notebook: Path, experiment: str
) -> JobTiming:
    """A run queued as the API does (submit, then wake the scheduler), timed until its
    scheduler has completed it (status, tracking run, artifacts)."""
    submitted_ms = int(time.time() * 1000)
    started = time.perf_counter()
    queued = await submit(service, notebook, experiment)
    queued_ms = int(time.time() * 1000)
    scheduler.wake()
    await _until_done(scheduler, {queued.id}, timeout=300)
    elapsed = time.perf_counter() - started
    done_ms = int(time.time() * 1000)
    stored = await asyncio.to_thread(service.get_run, queued.id)
    if stored.status is not JobStatus.SUCCEEDED:
        raise BenchError(f"Job run {stored.id} ended {stored.status.value}: {stored.error}")
    return JobTiming(elapsed, stored, submitted_ms, queued_ms, done_ms)


async def _until_done(scheduler: Scheduler, job_run_ids: set[int], timeout: float) -> None:
    """Until none of the runs is queued or running: the scheduler drops a run from
    `running` once `complete` returned."""
    service = scheduler.service
    deadline = time.monotonic() + timeout
    pending = set(job_run_ids)
    while pending:
        if time.monotonic() > deadline:
            raise BenchError(f"{len(pending)} job runs did not end in {timeout:.0f} s")
        await asyncio.sleep(_WATCH_S if len(pending) == 1 else 0.2)
        if any(job_run_id in scheduler.running for job_run_id in pending):
            continue
        runs = await asyncio.to_thread(_get_runs, service, sorted(pending))
        pending = {run.id for run in runs if not run.status.is_final}


def _get_runs(service: JobService, job_run_ids: list[int]) -> list[JobRun]:
    return [service.get_run(job_run_id) for job_run_id in job_run_ids]


@dataclass(frozen=True)
class Throughput:
    runs: int
    seconds: float
    checked: str

    @property
    def per_minute(self) -> float:
        return self.runs * 60 / self.seconds


async def queued_throughput(
    service: JobService, executor: Executor, notebook: Path, runs: int, concurrency: int
) -> Throughput:
    """Queue `runs` runs, then time one scheduler of `concurrency` slots from its start to
    the last run completed, and check that each ran once (see `check_each_ran_once`)."""
    experiment = "throughput"
    queued = [await submit(service, notebook, experiment) for _ in range(runs)]
    started = time.perf_counter()
    async with running_scheduler(service, executor, concurrency) as scheduler:
        await _until_done(scheduler, {run.id for run in queued}, timeout=60 * runs)
        seconds = time.perf_counter() - started
    checked = await asyncio.to_thread(check_each_ran_once, service, queued, experiment)
    return Throughput(runs, seconds, checked)


def check_each_ran_once(service: JobService, queued: list[JobRun], experiment: str) -> str:
    """Every queued run SUCCEEDED once: as many job runs in the store as were queued, each
    its own tracking run (FINISHED, and no other in the experiment), each with an executed
    notebook that printed what it should."""
    stored, total = service.list_runs(limit=len(queued) + 100)
    if total != len(queued) or {run.id for run in stored} != {run.id for run in queued}:
        raise BenchError(f"{len(queued)} runs queued, {total} job runs in the store")
    statuses = {run.status for run in stored}
    if statuses != {JobStatus.SUCCEEDED}:
        failed = [run for run in stored if run.status is not JobStatus.SUCCEEDED]
        raise BenchError(f"{len(failed)} runs did not succeed; the first: {failed[0]}")
    if any(run.attempt != 1 or run.retry_of is not None for run in stored):
        raise BenchError("A run was retried")
    run_ids = {run.run_id for run in stored}
    if None in run_ids or len(run_ids) != len(stored):
        raise BenchError(f"{len(stored)} job runs have {len(run_ids - {None})} tracking runs")
    found = service.tracking.get_experiment_by_name(experiment)
    if found is None:
        raise BenchError(f"No experiment {experiment!r}")
    records = service.tracking.search_runs([found.id], max_results=len(queued) + 100).runs
    if {record.id for record in records} != run_ids:
        raise BenchError(f"The experiment holds {len(records)} runs for {len(run_ids)} jobs")
    if {record.status for record in records} != {RunStatus.FINISHED}:
        raise BenchError("A job's tracking run is not FINISHED")
    for run in stored:
        printed = _printed(Path(run.output_dir or "") / NOTEBOOK_NAME)
        if printed != EXPECTED_OUTPUT:
            raise BenchError(f"Job run {run.id}'s notebook printed {printed!r}")
    return (
        f"{len(stored)} SUCCEEDED job runs (none retried), {len(run_ids)} distinct FINISHED "
        f"tracking runs and no other in the experiment, {len(stored)} executed notebooks "
        f"that printed {EXPECTED_OUTPUT!r}"
    )


def _printed(path: Path) -> str | None:
    if not path.exists():
        return None
    notebook = nbformat.read(path, as_version=4)
    text = [
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream"
    ]
    return "".join(text).strip() or None
