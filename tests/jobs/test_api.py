"""`studio.jobs` from Python on the local store, with real papermill runs: a run waited for
(its tracking run, outputs and progress), retries, cancelling a run that no scheduler runs
but a driver process of its own, and leaving runs to a live scheduler. Each papermill run
costs seconds and checks no store-specific SQL: SQLite only."""

from __future__ import annotations

import _thread
import json
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING

import pytest

import studio.jobs
from studio.config import StudioConfig
from studio.errors import Conflict
from studio.jobs.entities import JobStatus, Trigger
from studio.tracking.entities import RunStatus
from studio.tracking.service import TrackingService
from tests.databases import sqlite_only
from tests.jobs.local_jobs import local, local_home  # noqa: F401  (local_home: a fixture)
from tests.jobs.notebooks import read_notebook, write_notebook

if TYPE_CHECKING:
    from pathlib import Path


pytestmark = [sqlite_only, pytest.mark.usefixtures("local_home")]


def wait_until(predicate: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_run_notebook_waits_for_a_tracked_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notebook = write_notebook(
        tmp_path / "work" / "train.ipynb",
        [
            "import studio\nstudio.log_metric('loss', alpha * 2)",
            "open('seen.txt', 'w').write(name)",
        ],
        parameters={"alpha": 0.1, "name": "x"},
    )
    job_run = studio.jobs.run_notebook(
        notebook, parameters={"alpha": 1.5, "name": "y"}, experiment="jobs-api"
    )
    assert job_run.status is JobStatus.SUCCEEDED, job_run.error
    assert job_run.error is None
    assert (job_run.progress.cells_done, job_run.progress.cells_total) == (4, 4)
    assert job_run.output_path is not None
    executed = read_notebook(tmp_path / "home" / "jobs" / str(job_run.id) / "output.ipynb")
    assert str(job_run.output_path).endswith(f"jobs/{job_run.id}/output.ipynb")
    injected = executed.cells[1]
    assert "injected-parameters" in injected.metadata.tags
    assert "alpha = 1.5" in injected.source
    assert (notebook.parent / "seen.txt").read_text() == "y"  # run in the notebook's folder
    # tqdm's text bar (no widget outside a notebook) showed the cells.
    assert "4/4" in capsys.readouterr().err

    tracking = TrackingService.from_config(StudioConfig.resolve())
    record = tracking.get_run(job_run.run_id or "")
    assert record.status == RunStatus.FINISHED.value
    assert record.params == {"alpha": "1.5", "name": "y"}
    assert record.metrics["loss"].last == 3.0
    assert tracking.get_experiment(record.experiment_id).name == "jobs-api"
    tracking.store.db.dispose()

    assert studio.jobs.get_run(job_run.id) == job_run
    assert [found.id for found in studio.jobs.list_runs(status="SUCCEEDED")] == [job_run.id]
    assert studio.jobs.list_runs(status=[JobStatus.FAILED, JobStatus.CANCELLED]) == []
    with pytest.raises(Conflict, match="already ended SUCCEEDED"):
        studio.jobs.cancel(job_run.id)


def test_a_failed_run_is_retried_and_the_last_attempt_returned(tmp_path: Path) -> None:
    # A secret missing from the environment fails each attempt before any process starts.
    notebook = write_notebook(tmp_path / "nb.ipynb", ["1"])
    last = studio.jobs.run_notebook(
        notebook,
        retries=2,
        retry_backoff=0,
        secret_environment={"TOKEN": "STUDIO_TEST_NO_SUCH_SECRET"},
        progress=False,
    )
    assert (last.status, last.attempt, last.trigger) == (JobStatus.FAILED, 3, Trigger.RETRY)
    assert last.error is not None
    assert "STUDIO_TEST_NO_SUCH_SECRET" in last.error
    second = studio.jobs.get_run(last.retry_of or 0)
    first = studio.jobs.get_run(second.retry_of or 0)
    assert [first.attempt, first.status] == [1, JobStatus.FAILED]
    assert len(studio.jobs.list_runs()) == 3


def test_a_run_not_waited_for_runs_in_a_process_of_its_own_and_is_cancelled(tmp_path: Path) -> None:
    notebook = write_notebook(
        tmp_path / "slow.ipynb", ["print('started', flush=True)", "import time\ntime.sleep(60)"]
    )
    queued = studio.jobs.run_notebook(notebook, wait=False)
    assert queued.status is JobStatus.QUEUED
    # The driver process claims it, starts it and records its process.
    wait_until(lambda: studio.jobs.get_run(queued.id).status is JobStatus.RUNNING)
    studio.jobs.cancel(queued.id)
    wait_until(lambda: studio.jobs.get_run(queued.id).done, timeout=15)
    cancelled = studio.jobs.get_run(queued.id)
    assert cancelled.status is JobStatus.CANCELLED
    assert cancelled.ended_at is not None
    assert cancelled.ended_at - (cancelled.started_at or 0) < 30_000


def test_runs_are_left_to_a_live_scheduler(tmp_path: Path) -> None:
    notebook = write_notebook(tmp_path / "nb.ipynb", ["1"])
    service = local().service
    service.store.beat_scheduler("elsewhere", "host", 1, "local", service.clock())
    queued = studio.jobs.run_notebook(notebook, wait=False)
    definition = studio.jobs.create_definition(
        notebook, schedule="*/5 * * * *", parameters={"a": 1}, name="every five"
    )
    run_now = studio.jobs.run_definition("every five", {"b": [1, 2]}, wait=False)
    time.sleep(1.0)
    # No driver process took them: the live scheduler will.
    assert studio.jobs.get_run(queued.id).status is JobStatus.QUEUED
    assert studio.jobs.get_run(run_now.id).status is JobStatus.QUEUED
    assert not (tmp_path / "home" / "jobs" / f"{queued.id}.driver.log").exists()
    assert run_now.parameters == {"a": 1, "b": [1, 2]}
    assert (run_now.definition_id, run_now.trigger) == (definition.id, Trigger.MANUAL)
    assert definition.next_run_at is not None
    assert definition.next_run_at % 300_000 == 0
    assert [d.name for d in studio.jobs.list_definitions()] == ["every five"]
    assert [r.id for r in studio.jobs.list_runs(definition="every five")] == [run_now.id]
    cancelled = studio.jobs.cancel(queued.id)
    assert cancelled.status is JobStatus.CANCELLED
    assert json.loads(json.dumps(cancelled.parameters)) == {}


def test_the_public_names_are_exported_and_light() -> None:
    assert studio.jobs.__all__ == sorted(studio.jobs.__all__)
    for name in ("run_notebook", "create_definition", "list_runs", "get_run", "cancel", "JobRun"):
        assert name in studio.jobs.__all__
    for name in studio.jobs.__all__:
        assert getattr(studio.jobs, name) is not None, name
    code = (
        "import sys, studio.jobs; "
        "print([m for m in ('sqlalchemy', 'tornado', 'papermill', 'pydantic') if m in sys.modules])"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"


def test_interrupting_the_wait_cancels_the_run(tmp_path: Path) -> None:
    notebook = write_notebook(tmp_path / "slow.ipynb", ["import time\ntime.sleep(60)"])

    def interrupt_once_running() -> None:
        wait_until(lambda: bool(studio.jobs.list_runs(status="RUNNING")))
        _thread.interrupt_main()

    threading.Thread(target=interrupt_once_running, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        studio.jobs.run_notebook(notebook, progress=False)
    [cancelled] = studio.jobs.list_runs()
    assert cancelled.status is JobStatus.CANCELLED
    assert cancelled.error is not None
