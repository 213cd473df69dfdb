"""One real `* * * * *` schedule, on the real clock: it fires within 2 s of the minute.

The slowest of the jobs' tests (it waits for the next minute, 30 s on average), in a file of
its own so that it is easy to find and to leave out."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from studio.jobs.entities import JobStatus, Trigger
from studio.jobs.local_executor import LocalExecutor
from studio.jobs.scheduler import Scheduler
from tests.databases import sqlite_only
from tests.jobs.notebooks import write_notebook
from tests.jobs.scheduling import job_service, wait_for_run, wait_until

if TYPE_CHECKING:
    from studio.db.engine import Database

pytestmark = sqlite_only


async def test_an_every_minute_schedule_fires_on_the_minute(
    database: Database, tmp_path: Path
) -> None:
    service = job_service(database, tmp_path / "home")
    notebook = write_notebook(tmp_path / "nb" / "tick.ipynb", ["x = 1"])
    definition = service.create_definition("every-minute", notebook, schedule="* * * * *")
    assert definition.next_run_at is not None
    assert definition.next_run_at % 60_000 == 0
    # The scheduler's defaults, as a server runs it.
    scheduler = Scheduler(service, LocalExecutor())
    scheduler.start()
    try:
        await wait_until(
            lambda: service.list_runs(definition_id=definition.id)[1] > 0, 65, "fired", every=0.1
        )
        (job_run,) = service.list_runs(definition_id=definition.id)[0]
        ended = await wait_for_run(service, job_run.id, 30)
    finally:
        await scheduler.stop()
    assert (ended.trigger, ended.scheduled_for) == (Trigger.SCHEDULE, definition.next_run_at)
    assert ended.status is JobStatus.SUCCEEDED, ended.error
    assert ended.started_at is not None
    # The scheduler wakes for the occurrence rather than at its next tick.
    assert 0 <= ended.started_at - definition.next_run_at < 2000
