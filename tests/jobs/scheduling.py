"""What the scheduler's tests share: a job service over a test database, a clock the test
moves, and waits on the store."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from studio.config import StudioConfig
from studio.jobs.service import JobService
from studio.jobs.store import JobStore
from studio.tracking.service import TrackingService

if TYPE_CHECKING:
    from studio.db.engine import Database
    from studio.jobs.entities import JobRun, JobStatus

__all__ = ["ManualClock", "at", "job_service", "wait_for_run", "wait_until"]


class ManualClock:
    """Milliseconds since the epoch, moved by the test."""

    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: float) -> int:
        self.now += int(seconds * 1000)
        return self.now


def at(text: str, zone: str = "UTC") -> int:
    """An ISO wall time in `zone`, as milliseconds since the epoch."""
    return int(datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).timestamp() * 1000)


def job_service(
    database: Database, home: Path, clock: Callable[[], int] | None = None
) -> JobService:
    """A job service whose runs' children (runners, kernels) use the same store."""
    config = StudioConfig.resolve(
        home=home, db_url=database.url, artifact_root=str(home / "artifacts")
    )
    tracking = TrackingService.from_database(database, config)
    if clock is None:
        return JobService(JobStore(database), tracking, config)
    return JobService(JobStore(database), tracking, config, clock)


async def wait_until(
    condition: Callable[[], bool], timeout: float, what: str, every: float = 0.05
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"Still not {what} after {timeout} s")
        await asyncio.sleep(every)


async def wait_for_run(
    service: JobService,
    job_run_id: int,
    timeout: float,
    statuses: tuple[JobStatus, ...] | None = None,
) -> JobRun:
    """The run once it has one of `statuses` (any final status by default)."""
    found: list[JobRun] = []

    def reached() -> bool:
        job_run = service.get_run(job_run_id)
        found[:] = [job_run]
        return job_run.status in statuses if statuses else job_run.status.is_final

    await wait_until(reached, timeout, f"job run {job_run_id} in {statuses or 'a final status'}")
    return found[0]
