"""The occurrence lease, on SQLite and PostgreSQL: however many schedulers (objects or
processes) see an occurrence come, it gets one job run."""

from __future__ import annotations

import asyncio
import multiprocessing
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import TYPE_CHECKING

from studio.db.engine import Database
from studio.jobs.entities import JobRun, Trigger
from studio.jobs.local_executor import LocalExecutor
from studio.jobs.scheduler import Scheduler
from studio.jobs.store import JobStore
from tests.jobs.notebooks import write_notebook
from tests.jobs.scheduling import ManualClock, at, job_service, wait_until

if TYPE_CHECKING:
    from studio.jobs.service import JobService

MINUTE = 60_000


def _race(
    url: str, definition_id: int, occurrences: list[int], start: Barrier, won: Queue[list[int]]
) -> None:
    """One racing process: claims every occurrence, reports those it won."""
    database = Database(url)
    store = JobStore(database)
    definition = store.get_definition(definition_id)
    start.wait()
    won.put(
        [when for when in occurrences if store.claim_occurrence(definition, when, when) is not None]
    )
    database.dispose()


async def test_two_schedulers_on_one_database_start_a_due_occurrence_once(
    database: Database, tmp_path: Path
) -> None:
    clock = ManualClock(at("2026-06-01T10:00:20"))
    notebook = write_notebook(tmp_path / "nb" / "train.ipynb", ["x = 1"])
    first = job_service(database, tmp_path / "home", clock)
    definition = first.create_definition("every-minute", notebook, schedule="* * * * *")
    # The other scheduler is another server: its own engine and connections.
    other_database = Database(database.url)
    second = job_service(other_database, tmp_path / "home", clock)
    clock.now = at("2026-06-01T10:01:00.200")
    schedulers = [
        Scheduler(service, LocalExecutor(), max_concurrent_jobs=0, tick=0.05)
        for service in (first, second)
    ]
    try:
        for scheduler in schedulers:
            scheduler.start()
        # Both race on the same occurrence from now on, each tick.
        await asyncio.gather(*(scheduler.run_once() for scheduler in schedulers))
        await wait_until(lambda: _runs(first) != [], 5, "queued")
        await asyncio.sleep(0.3)
    finally:
        for scheduler in schedulers:
            await scheduler.stop()
        other_database.dispose()
    (run,) = _runs(first)
    assert (run.definition_id, run.trigger) == (definition.id, Trigger.SCHEDULE)
    assert run.scheduled_for == at("2026-06-01T10:01")


def test_fifty_occurrences_raced_by_three_processes_give_fifty_runs(
    database: Database, tmp_path: Path
) -> None:
    notebook = write_notebook(tmp_path / "nb" / "train.ipynb", ["x = 1"])
    service = job_service(database, tmp_path / "home")
    definition = service.create_definition("raced", notebook, schedule="* * * * *")
    occurrences = [at("2026-06-01T10:00") + k * MINUTE for k in range(50)]
    # Forked: the racers need no imports, so they start together.
    context = multiprocessing.get_context("fork")
    start = context.Barrier(3)
    won: Queue[list[int]] = context.Queue()
    racers = [
        context.Process(target=_race, args=(database.url, definition.id, occurrences, start, won))
        for _ in range(3)
    ]
    for racer in racers:
        racer.start()
    claimed = [won.get(timeout=60) for _ in racers]
    for racer in racers:
        racer.join(10)
    assert [racer.exitcode for racer in racers] == [0, 0, 0]
    assert sorted(when for some in claimed for when in some) == occurrences
    runs = _runs(service)
    assert len(runs) == 50
    assert sorted(run.scheduled_for or 0 for run in runs) == occurrences


def _runs(service: JobService) -> list[JobRun]:
    return service.list_runs(limit=1000)[0]
