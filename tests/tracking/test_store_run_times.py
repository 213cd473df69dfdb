"""A run never ends before it starts: the service refuses it with a clear message before
writing, and the database's CHECK (revision 0002) stands behind it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from studio.errors import InvalidInput
from studio.tracking.entities import RunStatus

if TYPE_CHECKING:
    from studio.tracking.service import TrackingService


def test_create_run_refuses_an_end_before_the_start(service: TrackingService) -> None:
    experiment = service.create_experiment("e")
    with pytest.raises(InvalidInput, match=r"end_time \(999\).*start_time \(1000\)"):
        service.create_run(experiment.id, status=RunStatus.FINISHED, start_time=1000, end_time=999)
    assert service.search_runs([experiment.id]).runs == []
    same = service.create_run(
        experiment.id, status=RunStatus.FINISHED, start_time=1000, end_time=1000
    )
    assert (same.start_time, same.end_time) == (1000, 1000)


def test_update_run_refuses_an_end_before_the_start(service: TrackingService) -> None:
    experiment = service.create_experiment("e")
    run = service.create_run(experiment.id, start_time=5000)
    with pytest.raises(InvalidInput, match="end_time"):
        service.update_run(run.id, status=RunStatus.FINISHED, end_time=4999)
    unchanged = service.get_run(run.id)
    assert (unchanged.status, unchanged.end_time) == (RunStatus.RUNNING, None)
    ended = service.update_run(run.id, status=RunStatus.FINISHED, end_time=6000)
    assert ended.end_time == 6000


def test_a_run_started_in_the_future_ends_no_earlier(service: TrackingService) -> None:
    """Ending without an end_time stamps now, but never before the start (clock skew)."""
    experiment = service.create_experiment("e")
    future = 4_000_000_000_000  # 2096
    finished = service.create_run(experiment.id, status=RunStatus.FINISHED, start_time=future)
    assert finished.end_time == future
    running = service.create_run(experiment.id, start_time=future)
    assert service.update_run(running.id, status=RunStatus.FAILED).end_time == future
