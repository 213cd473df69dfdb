"""The jobs store and service without running notebooks: the occurrence lease, claims by
capacity, conditional endings, cancellation, recovery, retention, secrets and the links to
tracking runs. On SQLite, and on PostgreSQL where STUDIO_TEST_DB_URL names a server."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
import pytest
from sqlalchemy import text

from studio.config import StudioConfig
from studio.errors import Conflict, InvalidInput, NotFound
from studio.jobs.entities import JobStatus, Progress, Trigger
from studio.jobs.execution import Outcome
from studio.jobs.service import JobService
from studio.tracking.entities import RunStatus

if TYPE_CHECKING:
    from studio.db.engine import Database

START = 1_800_000_000_000  # a minute boundary, ms


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def notebook(tmp_path: Path) -> Path:
    cell = nbformat.v4.new_code_cell("alpha = 0.1")
    cell.metadata["tags"] = ["parameters"]
    path = tmp_path / "work" / "train.ipynb"
    path.parent.mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    return path


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(database: Database, database_url: str, tmp_path: Path, clock: Clock) -> JobService:
    config = StudioConfig.resolve(home=tmp_path / "home", db_url=database_url)
    built = JobService.from_database(database, config)
    built.clock = clock
    return built


def _ended(service: JobService, job_run_id: int, status: JobStatus) -> None:
    assert service.lifecycle.complete(job_run_id, Outcome(status, error=status.value))


def test_an_occurrence_is_claimed_once_whoever_asks(service: JobService, notebook: Path) -> None:
    definition = service.create_definition("nightly", notebook, schedule="* * * * *")
    when = START + 60_000
    with ThreadPoolExecutor(8) as pool:
        claimed = list(
            pool.map(lambda _: service.store.claim_occurrence(definition, when, when), range(8))
        )
    assert sum(found is not None for found in claimed) == 1
    assert service.list_runs(definition_id=definition.id)[1] == 1


def test_claims_share_queued_runs_by_capacity_and_each_definitions_limit(
    service: JobService, notebook: Path, clock: Clock
) -> None:
    limited = service.create_definition("limited", notebook, max_concurrent_runs=2)
    for _ in range(4):
        service.run_definition(limited.id)
    adhoc = [service.submit(notebook).id for _ in range(6)]
    later = service.store.create_run(
        name="later",
        spec=limited.spec,
        notebook_id=limited.notebook_id,
        trigger=Trigger.RETRY,
        now=clock.now,
        not_before=clock.now + 10_000,
    )
    with ThreadPoolExecutor(2) as pool:
        batches = list(
            pool.map(
                lambda scheduler: service.store.claim_queued(scheduler, "h", 20, clock.now),
                ["a", "b"],
            )
        )
    claimed = [run for batch in batches for run in batch]
    assert len({run.id for run in claimed}) == len(claimed)  # no run claimed twice
    assert sum(run.definition_id == limited.id for run in claimed) == 2
    assert set(adhoc) <= {run.id for run in claimed}
    assert later.id not in {run.id for run in claimed}  # its backoff has not passed
    assert all(run.status is JobStatus.RUNNING for run in claimed)
    clock.now += 10_000
    assert [run.id for run in service.store.claim_queued("a", "h", 20, clock.now)] == [later.id]


def test_a_run_ends_once_and_cancel_reaches_its_scheduler(
    service: JobService, notebook: Path, clock: Clock
) -> None:
    queued = service.submit(notebook)
    cancelled = service.cancel(queued.id)
    assert cancelled.status is JobStatus.CANCELLED
    with pytest.raises(Conflict, match="already ended CANCELLED"):
        service.cancel(queued.id)
    running = service.submit(notebook)
    (claimed,) = service.store.claim_queued("s", "h", 1, clock.now)
    assert claimed.id == running.id
    assert service.cancel(running.id).status is JobStatus.RUNNING
    progress = Progress(cells_done=2, cells_total=5, current_cell=3, cell_started_at=clock.now)
    assert service.store.beat("s", {running.id: progress}, clock.now) == {running.id}
    assert service.get_run(running.id).progress == progress
    assert service.store.beat("other", {running.id: None}, clock.now) == {running.id}
    _ended(service, running.id, JobStatus.CANCELLED)
    assert service.lifecycle.complete(running.id, Outcome(JobStatus.SUCCEEDED)) is None
    assert service.get_run(running.id).status is JobStatus.CANCELLED


def test_recovery_takes_only_runs_whose_heartbeat_stopped(
    service: JobService, notebook: Path, clock: Clock
) -> None:
    stale, live = service.submit(notebook, retries=1, retry_backoff=0), service.submit(notebook)
    service.store.claim_queued("dead", "h", 1, clock.now)
    service.store.claim_queued("alive", "h", 1, clock.now)
    clock.now += 20_000
    service.store.beat("alive", {live.id: None}, clock.now)
    found = service.lifecycle.interrupted(15_000)
    assert [run.id for run in found] == [stale.id]
    # The dead scheduler's run beats after all (it was only slow): it is not recovered.
    service.store.beat("dead", {stale.id: None}, clock.now)
    assert service.lifecycle.recover(found[0]) is None
    clock.now += 20_000
    service.store.beat("alive", {live.id: None}, clock.now)
    (found_again,) = service.lifecycle.interrupted(15_000)
    recovered = service.lifecycle.recover(found_again)
    assert recovered is not None
    assert recovered.run.status is JobStatus.FAILED
    assert (recovered.run.error or "").startswith("Interrupted")
    assert recovered.retry is not None
    assert recovered.retry.retry_of == stale.id
    assert service.lifecycle.recover(found_again) is None  # a second recovery does nothing
    assert service.get_run(live.id).status is JobStatus.RUNNING


def test_each_job_run_is_a_tracking_run_that_follows_it(
    service: JobService, notebook: Path, clock: Clock
) -> None:
    definition = service.create_definition(
        "train", notebook, parameters={"alpha": 0.5}, retries=1, retry_backoff=1
    )
    first = service.run_definition(definition.id, {"epochs": 3})
    (claimed,) = service.store.claim_queued("s", "h", 1, clock.now)
    launch = service.lifecycle.launch(claimed)
    Path(launch.output_dir, "output.ipynb").write_text(launch.notebook)
    record = service.tracking.get_run(launch.run_id)
    assert record.params == {"alpha": "0.5", "epochs": "3"}
    assert launch.environment["STUDIO_RUN_ID"] == launch.run_id
    _ended(service, first.id, JobStatus.TIMED_OUT)
    record = service.tracking.get_run(launch.run_id)
    assert record.status is RunStatus.FAILED
    assert record.tags["studio.job.status"] == "TIMED_OUT"
    assert [a.path for a in service.tracking.list_artifacts(launch.run_id, "job")] == [
        "job/output.ipynb"
    ]
    (retry,) = service.list_runs(triggers=(Trigger.RETRY,))[0]
    assert (retry.attempt, retry.retry_of, retry.not_before) == (2, first.id, clock.now + 1000)
    clock.now += 1000
    (claimed,) = service.store.claim_queued("s", "h", 1, clock.now)
    retry_launch = service.lifecycle.launch(claimed)
    assert service.tracking.get_run(retry_launch.run_id).tags["studio.job.retry_of"] == (
        launch.run_id
    )
    _ended(service, retry.id, JobStatus.FAILED)
    assert service.list_runs()[1] == 2  # no retries left: no third run
    for status, expected in [
        (JobStatus.SUCCEEDED, RunStatus.FINISHED),
        (JobStatus.STOPPED_BY_RULE, RunStatus.KILLED),
        (JobStatus.CANCELLED, RunStatus.KILLED),
    ]:
        queued = service.run_definition(definition.id)
        (claimed,) = service.store.claim_queued("s", "h", 1, clock.now)
        run_id = service.lifecycle.launch(claimed).run_id
        _ended(service, queued.id, status)
        assert service.tracking.get_run(run_id).status is expected
    # A deleted tracking run leaves its job run, without the link.
    service.tracking.delete_run(launch.run_id)
    assert service.get_run(first.id).run_id is None


def test_secrets_are_referenced_by_name_never_stored(
    service: JobService,
    notebook: Path,
    database: Database,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SERVER_API_TOKEN", "s3cr3t-value")
    definition = service.create_definition(
        "secret",
        notebook,
        environment={"MODE": "fast"},
        secret_environment={"TOKEN": "SERVER_API_TOKEN"},
    )
    service.run_definition(definition.id)
    (claimed,) = service.store.claim_queued("s", "h", 1, clock.now)
    launch = service.lifecycle.launch(claimed)
    assert launch.environment["TOKEN"] == "s3cr3t-value"
    assert launch.environment["MODE"] == "fast"
    with database.engine.connect() as connection:
        for table in ("job_definitions", "job_runs"):
            rows = connection.execute(text(f"SELECT * FROM {table}")).all()
            assert "s3cr3t-value" not in json.dumps([list(map(str, row)) for row in rows])
    with pytest.raises(InvalidInput, match="NAME of a server variable"):
        service.create_definition("bad", notebook, secret_environment={"TOKEN": "s3cr3t-value!"})
    monkeypatch.delenv("SERVER_API_TOKEN")
    _ended(service, claimed.id, JobStatus.SUCCEEDED)
    service.run_definition(definition.id)
    (claimed,) = service.store.claim_queued("s", "h", 1, clock.now)
    with pytest.raises(InvalidInput, match="SERVER_API_TOKEN"):
        service.lifecycle.launch(claimed)


def test_retention_keeps_the_newest_outputs_and_every_row(
    service: JobService, notebook: Path, clock: Clock
) -> None:
    definition = service.create_definition("kept", notebook, keep_outputs=2)
    folders = []
    for _ in range(4):
        queued = service.run_definition(definition.id)
        (claimed,) = service.store.claim_queued("s", "h", 1, clock.now)
        folders.append(Path(service.lifecycle.launch(claimed).output_dir))
        _ended(service, queued.id, JobStatus.SUCCEEDED)
    assert [folder.exists() for folder in folders] == [False, False, True, True]
    runs, total = service.list_runs(definition_id=definition.id)
    assert total == 4
    assert [run.outputs_deleted for run in runs] == [False, False, True, True]
    with pytest.raises(NotFound, match="no outputs"):
        service.output_path(runs[-1].id, "output.ipynb")


def test_definitions_check_their_input_and_keep_runs_when_deleted(
    service: JobService, notebook: Path, clock: Clock
) -> None:
    for bad, message in [
        ({"schedule": "* * * * * *"}, "has 6 fields"),
        ({"schedule": "0 25 * * *"}, "not a valid cron"),
        ({"timezone": "Mars/Olympus"}, "Unknown time zone"),
        ({"parameters": {"not an id": 1}}, "not a Python identifier"),
        ({"parameters": {"x": float("nan")}}, "JSON values"),
        ({"parameters": {"files": ["f" * 100] * 100}}, "the limit is"),
        ({"timeout": -1}, "timeout"),
        ({"retries": 11}, "retries"),
        ({"max_concurrent_runs": 0}, "max_concurrent_runs"),
        ({"environment": {"A=B": "x"}}, "not a valid variable name"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            service.create_definition("bad", notebook, **bad)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        service.create_definition("missing", notebook.with_name("missing.ipynb"))
    definition = service.create_definition("daily", notebook, schedule="0 2 * * *")
    with pytest.raises(Conflict, match="already exists"):
        service.create_definition("daily", notebook)
    assert (definition.next_run_at or 0) > clock.now
    paused = service.pause(definition.id)
    assert (paused.active, paused.next_run_at) == (False, None)
    assert service.resume(definition.id).next_run_at == definition.next_run_at
    # A refreshed snapshot is what later runs run; earlier runs keep theirs.
    before = service.run_definition(definition.id)
    cell = nbformat.v4.new_code_cell("alpha = 0.9")
    cell.metadata["tags"] = ["parameters"]
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), notebook)
    refreshed = service.refresh_snapshot(definition.id)
    after = service.run_definition(definition.id)
    assert refreshed.notebook_id != definition.notebook_id
    assert "0.9" in service.store.get_notebook(after.notebook_id)
    assert "0.9" not in service.store.get_notebook(before.notebook_id)
    service.delete_definition(definition.id)
    assert {run.definition_id for run in service.list_runs()[0]} == {None}


def test_a_definition_at_its_limit_does_not_starve_the_runs_behind_it(
    service: JobService, notebook: Path, clock: Clock
) -> None:
    busy = service.create_definition("busy", notebook, schedule="* * * * *")
    service.run_definition(busy.id)
    (running,) = service.store.claim_queued("s", "h", 1, clock.now)
    assert running.definition_id == busy.id
    for _ in range(40):  # an every-minute job slower than a minute piles up its runs
        service.run_definition(busy.id)
    adhoc = service.submit(notebook)
    claimed = service.store.claim_queued("s", "h", 2, clock.now)
    assert [run.id for run in claimed] == [adhoc.id]


def test_a_failing_artifact_copy_loses_neither_the_status_nor_the_retry(
    service: JobService, notebook: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = service.submit(notebook, retries=1, retry_backoff=0)
    (claimed,) = service.store.claim_queued("s", "h", 1, clock.now)
    launch = service.lifecycle.launch(claimed)
    Path(launch.output_dir, "output.ipynb").write_text(launch.notebook)

    def disk_full(*_: object, **__: object) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(service.tracking, "log_artifact", disk_full)
    _ended(service, first.id, JobStatus.FAILED)
    assert service.tracking.get_run(launch.run_id).status is RunStatus.FAILED
    (retry,) = service.list_runs(triggers=(Trigger.RETRY,))[0]
    assert retry.retry_of == first.id
    # The user deletes the run retried before its retry starts: the retry still runs.
    service.delete_run(first.id)
    (claimed,) = service.store.claim_queued("s", "h", 1, clock.now)
    retry_launch = service.lifecycle.launch(claimed)
    tags = service.tracking.get_run(retry_launch.run_id).tags
    assert tags["studio.job.retry_of"] == str(first.id)
