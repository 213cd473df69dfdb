"""Schedules under a clock the test moves (next times, DST, missed occurrences, pause and
resume), and a job run's tracking run following its status. No notebook runs here."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from studio.jobs import cron
from studio.jobs.entities import JobStatus, MissedPolicy, Trigger
from studio.jobs.execution import Outcome
from studio.jobs.lifecycle import TAG_RETRY_OF, JobLifecycle
from tests.jobs.notebooks import write_notebook
from tests.jobs.scheduling import ManualClock, at, job_service

if TYPE_CHECKING:
    from studio.db.engine import Database
    from studio.jobs.service import JobService

HOUR = 3_600_000


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(at("2026-06-01T10:00:20"))


@pytest.fixture
def service(database: Database, tmp_path: Path, clock: ManualClock) -> JobService:
    return job_service(database, tmp_path / "home", clock)


@pytest.fixture
def notebook(tmp_path: Path) -> Path:
    return write_notebook(tmp_path / "nb" / "train.ipynb", ["x = 1"])


def test_next_times_across_daylight_saving_changes() -> None:
    paris = "Europe/Paris"
    # 02:30 does not exist on the day clocks go forward: that day's run is at 03:00.
    spring = cron.next_times("30 2 * * *", paris, at("2026-03-28T12:00", paris), 3)
    assert spring == [
        at("2026-03-29T03:00", paris),
        at("2026-03-30T02:30", paris),
        at("2026-03-31T02:30", paris),
    ]
    # 02:30 happens twice on the day clocks go back: a daily job still runs once, an hour
    # after the previous day's in UTC terms (25 hours).
    autumn = cron.next_times("30 2 * * *", paris, at("2026-10-24T12:00", paris), 2)
    assert autumn[1] - autumn[0] == 25 * HOUR
    assert len(autumn) == 2
    # Every 30 minutes stays every 30 minutes of real time through the repeated hour.
    steps = cron.next_times("*/30 * * * *", paris, at("2026-10-25T01:50", paris), 6)
    assert [b - a for a, b in itertools.pairwise(steps)] == [HOUR // 2] * 5


def test_an_occurrence_on_time_is_queued_once_and_the_next_one_set(
    service: JobService, notebook: Path, clock: ManualClock
) -> None:
    lifecycle = JobLifecycle(service)
    definition = service.create_definition("hourly", notebook, schedule="0 * * * *")
    assert definition.next_run_at == at("2026-06-01T11:00")
    assert lifecycle.schedule_due() == []
    assert service.store.next_due(clock()) == definition.next_run_at
    clock.now = at("2026-06-01T11:00:00.300")
    (queued,) = lifecycle.schedule_due()
    assert (queued.trigger, queued.status) == (Trigger.SCHEDULE, JobStatus.QUEUED)
    assert queued.scheduled_for == at("2026-06-01T11:00")
    assert lifecycle.schedule_due() == []
    assert service.get_definition(definition.id).next_run_at == at("2026-06-01T12:00")


@pytest.mark.parametrize("missed", [MissedPolicy.RUN_ONCE, MissedPolicy.SKIP])
def test_occurrences_missed_while_no_scheduler_ran(
    service: JobService, notebook: Path, clock: ManualClock, missed: MissedPolicy
) -> None:
    lifecycle = JobLifecycle(service)
    definition = service.create_definition("hourly", notebook, schedule="0 * * * *", missed=missed)
    # The scheduler starts again at 13:40: 11:00, 12:00 and 13:00 passed without it.
    clock.now = at("2026-06-01T13:40")
    queued = lifecycle.schedule_due()
    if missed is MissedPolicy.RUN_ONCE:
        assert [run.scheduled_for for run in queued] == [at("2026-06-01T13:00")]
    else:
        assert queued == []
    assert service.get_definition(definition.id).next_run_at == at("2026-06-01T14:00")
    assert lifecycle.schedule_due() == []
    _, total = service.list_runs(definition_id=definition.id)
    assert total == len(queued)


def test_a_paused_definition_skips_its_occurrences_and_resumes_from_now(
    service: JobService, notebook: Path, clock: ManualClock
) -> None:
    lifecycle = JobLifecycle(service)
    definition = service.create_definition("hourly", notebook, schedule="0 * * * *")
    paused = service.pause(definition.id)
    assert (paused.active, paused.next_run_at) == (False, None)
    clock.now = at("2026-06-01T12:10")
    assert lifecycle.schedule_due() == []
    resumed = service.resume(definition.id)
    assert resumed.next_run_at == at("2026-06-01T13:00")
    assert lifecycle.schedule_due() == []
    clock.now = at("2026-06-01T13:00:01")
    assert [run.scheduled_for for run in lifecycle.schedule_due()] == [at("2026-06-01T13:00")]


def test_a_retry_waits_its_backoff_doubling_and_points_at_what_it_retries(
    service: JobService, notebook: Path, clock: ManualClock
) -> None:
    lifecycle = JobLifecycle(service)
    job_run = service.submit(notebook, retries=2, retry_backoff=10)
    previous = None
    for attempt, wait in ((1, 10_000), (2, 20_000), (3, None)):
        (claimed,) = service.store.claim_queued("me", "here", 1, clock())
        assert (claimed.attempt, claimed.retry_of) == (attempt, previous and previous.id)
        launch = lifecycle.launch(claimed)
        if previous is not None:
            tags = service.tracking.get_run(launch.run_id).tags
            assert tags[TAG_RETRY_OF] == previous.run_id
        ended = lifecycle.complete(claimed.id, Outcome(JobStatus.TIMED_OUT, error="slow"))
        assert ended is not None
        queued, _ = service.list_runs(statuses=(JobStatus.QUEUED,))
        if wait is None:
            assert queued == []
            break
        (retry,) = queued
        assert (retry.trigger, retry.not_before) == (Trigger.RETRY, clock() + wait)
        # Not before its time.
        assert service.store.claim_queued("me", "here", 1, clock() + wait - 1) == []
        clock.advance(wait / 1000)
        previous = ended
    assert job_run.attempt == 1
