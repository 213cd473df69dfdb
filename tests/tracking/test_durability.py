"""Several processes, crashes and interpreter exit: no metric point is ever lost.

Each test's store is a new database (tests/databases.py): SQLite, or PostgreSQL under
STUDIO_TEST_DB_URL, which the worker processes reach through STUDIO_DB_URL.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

import studio
from studio.tracking.entities import RunStatus
from tests.databases import on_postgresql

PROCESSES = 4
POINTS = 20_000


@pytest.fixture
def store_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    """The variables that point a worker process at this test's store."""
    return {
        "STUDIO_HOME": str(tmp_path),
        "STUDIO_DB_URL": database_url,
        "STUDIO_ARTIFACT_ROOT": str(tmp_path / "artifacts"),
    }


def _python(code: str, store_env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("STUDIO_TRACKING_URI", None)
    env.pop("STUDIO_RUN_ID", None)
    env.update(store_env)
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _assert_intact(database_url: str) -> None:
    """SQLite's own check of the file; PostgreSQL's crash safety is not ours to test."""
    if on_postgresql():
        return
    with sqlite3.connect(make_url(database_url).database or "") as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _count_points(database_url: str) -> int:
    """Read the store as another process would: a connection of its own, no Studio code."""
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(text("SELECT coalesce(sum(count), 0) FROM series")).scalar_one()
            )
    finally:
        engine.dispose()


def test_concurrent_processes_lose_no_point_and_never_see_a_locked_database(
    database_url: str, store_env: dict[str, str]
) -> None:
    code = f"""
        import studio
        with studio.start_run(experiment="parallel") as run:
            for step in range({POINTS}):
                run.log_metric("loss", step * 0.5)
                if step % 2000 == 0:
                    run.log_param(f"p{{step}}", step)
                    run.flush()
        print(run.id)
    """
    workers = [_python(code, store_env) for _ in range(PROCESSES)]
    outputs = [worker.communicate(timeout=240) for worker in workers]
    for worker, (_out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
        assert "locked" not in err
    run_ids = [out.strip() for out, _ in outputs]

    client = studio.Client(database_url)
    for run_id in run_ids:
        run = client.get_run(run_id)
        assert run.status is RunStatus.FINISHED
        assert run.metrics["loss"].count == POINTS
        assert run.metrics["loss"].max == (POINTS - 1) * 0.5
        assert len(run.params) == POINTS // 2000
        assert client.get_metric_history(run_id, "loss").steps == list(range(POINTS))
    assert client.get_experiment("parallel").run_count == PROCESSES
    _assert_intact(database_url)


def test_sigkill_after_flush_keeps_every_flushed_point(
    database_url: str, store_env: dict[str, str]
) -> None:
    code = """
        import sys, time, studio
        run = studio.start_run(experiment="crash")
        for step in range(30_000):
            run.log_metric("loss", float(step))
        run.flush()
        print(run.id, flush=True)
        while True:  # keep logging, unflushed, until killed
            run.log_metric("after", 1.0)
            time.sleep(0.0001)
    """
    worker = _python(code, store_env)
    assert worker.stdout is not None
    run_id = worker.stdout.readline().strip()
    time.sleep(0.3)
    worker.send_signal(signal.SIGKILL)
    worker.communicate(timeout=30)
    assert worker.returncode == -signal.SIGKILL

    _assert_intact(database_url)
    run = studio.Client(database_url).get_run(run_id)
    assert run.metrics["loss"].count == 30_000
    assert run.status is RunStatus.RUNNING  # nobody ended it


def test_interpreter_exit_writes_queued_points_and_ends_the_run(
    database_url: str, store_env: dict[str, str]
) -> None:
    code = """
        import studio
        run = studio.start_run(experiment="exit")
        for step in range(5_000):
            studio.log_metric("loss", float(step))
        print(run.id)
    """
    worker = _python(code, store_env)
    out, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err
    run = studio.Client(database_url).get_run(out.strip())
    assert run.metrics["loss"].count == 5_000
    assert run.status is RunStatus.FINISHED


def test_points_reach_the_store_without_flush(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("STUDIO_ARTIFACT_ROOT", str(tmp_path / "artifacts"))
    run = studio.start_run(experiment="live", tracking_uri=database_url)
    try:
        run.log_metric("loss", 1.0)
        # The writer's interval flush makes points visible to other readers (the UI) soon;
        # read the database directly, as another process would.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if _count_points(database_url) == 1:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the point never reached the store without an explicit flush")
    finally:
        run.end()


PARAM_WRITERS = 4
PARAM_KEYS = 50


def test_processes_logging_the_same_param_value_at_once_do_not_conflict(
    database_url: str, store_env: dict[str, str], tmp_path: Path
) -> None:
    """Every worker logs the same params, one call each, in the same order, starting together:
    each key is raced by all of them. The same value must be accepted however the inserts
    interleave; another value must still be refused."""
    code = f"""
        import os, sys, time, studio
        run = studio.start_run()  # the run named by STUDIO_RUN_ID, as in a job's kernel
        print("ready", flush=True)
        while not os.path.exists(sys.argv[1]):
            time.sleep(0.0005)
        for i in range({PARAM_KEYS}):
            run.log_param(f"p{{i}}", "same")
        try:
            run.log_param("p0", "other")
        except studio.errors.Conflict as error:
            print("refused:", error)
    """
    owner = studio.start_run(experiment="race", tracking_uri=database_url)
    try:
        go = tmp_path / "go"
        workers = [
            _python(code, {**store_env, "STUDIO_RUN_ID": owner.id}, str(go))
            for _ in range(PARAM_WRITERS)
        ]
        for worker in workers:
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "ready", worker.communicate()[1]
        go.touch()
        outputs = [worker.communicate(timeout=240) for worker in workers]
    finally:
        owner.end()
    for worker, (out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
        assert out.startswith("refused: Param 'p0'"), (out, err)
    params = studio.Client(database_url).get_run(owner.id).params
    assert params == {f"p{i}": "same" for i in range(PARAM_KEYS)}
