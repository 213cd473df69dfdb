"""The writer against the real store (SQLite, or PostgreSQL with STUDIO_TEST_DB_URL): a run that
is deleted or whose rows the database refuses costs no other run a point, ends FAILED, and its
error is raised where that run is flushed or ended, and at exit every run is still ended."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import studio
from studio.errors import Conflict, InvalidInput, NotFound
from studio.tracking.entities import RunStatus
from tests.tracking.logging_store import other_service, refuse_metric_key


def test_a_run_deleted_while_logging_costs_the_other_run_no_point(
    uri: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="studio.tracking.writer")
    kept = studio.start_run(experiment="deleted", name="kept", tracking_uri=uri)
    doomed = studio.start_run(name="doomed", nested=True, tracking_uri=uri)
    stop = threading.Event()
    logged: dict[str, int] = {}

    def keep_logging(run: studio.Run) -> None:
        step = 0
        while not stop.is_set():
            run.log_metric("loss", float(step))
            step += 1
            if step % 50 == 0:
                time.sleep(0.002)
        logged[run.id] = step

    threads = [threading.Thread(target=keep_logging, args=(run,)) for run in (kept, doomed)]
    for thread in threads:
        thread.start()
    time.sleep(0.8)  # past the writer's interval: both runs have points stored
    with other_service(uri, tmp_path / "home") as service:
        service.delete_run(doomed.id)
    time.sleep(0.8)
    stop.set()
    for thread in threads:
        thread.join()

    kept.flush()  # the other run's failure is not raised here
    with pytest.raises(NotFound, match=doomed.id):
        doomed.end()
    kept.end()

    stored = studio.Client(uri).get_run(kept.id)
    assert stored.status is RunStatus.FINISHED
    assert stored.metrics["loss"].count == logged[kept.id]
    history = studio.Client(uri).get_metric_history(kept.id, "loss")
    assert history.steps == list(range(logged[kept.id]))
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert doomed.id in warnings[0]


def test_a_run_whose_rows_are_refused_ends_failed_and_costs_no_other_run_a_point(
    uri: str,
) -> None:
    good = studio.start_run(experiment="refused", name="good", tracking_uri=uri)
    bad = studio.start_run(name="bad", nested=True, tracking_uri=uri)
    refuse_metric_key(uri, "refused")
    for step in range(3000):
        good.log_metric("loss", float(step))
        bad.log_metric("loss", float(step))
        bad.log_metric("refused", float(step))

    client = studio.Client(uri)
    assert client.get_run(good.id).metrics["loss"].count == 3000  # a reader raises nothing
    good.flush()  # nor does the run that did nothing wrong
    with pytest.raises(Conflict, match="refused by the test"):
        bad.end()
    good.end()

    assert client.get_run(bad.id).status is RunStatus.FAILED
    stored = client.get_run(good.id)
    assert stored.status is RunStatus.FINISHED
    assert stored.metrics["loss"].count == 3000


def test_studio_flush_raises_a_runs_failure_and_the_run_still_ends_failed(uri: str) -> None:
    run = studio.start_run(experiment="flush", tracking_uri=uri)
    refuse_metric_key(uri, "refused")
    run.log_metric("refused", 1.0)
    with pytest.raises(Conflict, match="refused by the test"):
        studio.flush()
    studio.flush()  # reported once
    run.end()  # the error was raised already; the run still lost a point
    assert studio.Client(uri).get_run(run.id).status is RunStatus.FAILED


def test_a_failing_block_keeps_its_exception_and_notes_the_lost_points(uri: str) -> None:
    refuse_metric_key(uri, "refused")
    run = None

    def train() -> None:
        nonlocal run
        with studio.start_run(tracking_uri=uri) as run:
            run.log_metric("refused", 1.0)
            _ = 1 / 0

    with pytest.raises(ZeroDivisionError) as raised:
        train()
    assert run is not None
    assert any(run.id in note for note in raised.value.__notes__)
    assert studio.Client(uri).get_run(run.id).status is RunStatus.FAILED


def test_points_the_store_cannot_hold_are_refused_where_they_are_logged(uri: str) -> None:
    with studio.start_run(tracking_uri=uri) as run:
        with pytest.raises(InvalidInput, match="64-bit"):
            run.log_metric("x", 1.0, step=2**63)
        with pytest.raises(InvalidInput, match="64-bit"):
            run.log_metric("x", 1.0, step=-(2**63) - 1)
        with pytest.raises(InvalidInput, match="not a number"):
            run.log_metric("x", 10**400)
        run.log_metric("x", 1.0, step=2**63 - 1)
        with pytest.raises(InvalidInput, match="64-bit"):
            run.log_metric("x", 2.0)  # the next automatic step would overflow
        run.log_metric("x", 3.0, step=-(2**63))
        with pytest.raises(InvalidInput, match=r"timestamp .* 64-bit"):
            run._backend.log_batch(run.id, metrics=[("y", 1.0, 0, 2**64)])
    stored = studio.Client(uri).get_run(run.id)
    assert stored.status is RunStatus.FINISHED
    assert stored.metrics["x"].count == 2
    assert "y" not in stored.metrics


def test_at_exit_every_active_run_ends_even_when_one_fails(uri: str, tmp_path: Path) -> None:
    refuse_metric_key(uri, "refused")
    code = f"""
        import studio
        outer = studio.start_run(experiment="exit", name="outer", tracking_uri={uri!r})
        inner = studio.start_run(name="inner", nested=True, tracking_uri={uri!r})
        last = studio.start_run(name="last", nested=True, tracking_uri={uri!r})
        for step in range(1000):
            outer.log_metric("loss", float(step))
            inner.log_metric("refused", float(step))
            last.log_metric("loss", float(step))
        print(outer.id, inner.id, last.id, flush=True)
    """
    env = {**os.environ, "STUDIO_HOME": str(tmp_path / "home")}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    outer_id, inner_id, last_id = done.stdout.split()
    assert f"Studio could not end run {inner_id} at exit" in done.stderr

    client = studio.Client(uri)
    assert client.get_run(inner_id).status is RunStatus.FAILED
    for run_id in (outer_id, last_id):
        stored = client.get_run(run_id)
        assert stored.status is RunStatus.FINISHED
        assert stored.metrics["loss"].count == 1000


def test_an_ended_runs_late_failure_is_raised_by_studio_flush_once(
    uri: str, tmp_path: Path
) -> None:
    run = studio.start_run(experiment="late", tracking_uri=uri)
    run.end()
    with other_service(uri, tmp_path / "home") as service:
        service.delete_run(run.id)
    run.log_metric("late", 1.0)  # nothing will flush this run again: studio.flush() reports it
    with pytest.raises(NotFound, match=run.id):
        studio.flush()
    studio.flush()
