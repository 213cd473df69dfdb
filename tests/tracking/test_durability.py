"""Several processes, crashes and interpreter exit: no metric point is ever lost."""

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

import studio
from studio.tracking.entities import RunStatus

PROCESSES = 4
POINTS = 20_000


def _python(code: str, home: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "STUDIO_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    env.pop("STUDIO_TRACKING_URI", None)
    env.pop("STUDIO_DB_URL", None)
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _integrity(home: Path) -> str:
    with sqlite3.connect(home / "studio.db") as connection:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])


def test_concurrent_processes_lose_no_point_and_never_see_a_locked_database(
    tmp_path: Path,
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
    workers = [_python(code, tmp_path) for _ in range(PROCESSES)]
    outputs = [worker.communicate(timeout=240) for worker in workers]
    for worker, (_out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
        assert "locked" not in err
    run_ids = [out.strip() for out, _ in outputs]

    client = studio.Client(str(tmp_path))
    for run_id in run_ids:
        run = client.get_run(run_id)
        assert run.status is RunStatus.FINISHED
        assert run.metrics["loss"].count == POINTS
        assert run.metrics["loss"].max == (POINTS - 1) * 0.5
        assert len(run.params) == POINTS // 2000
        assert client.get_metric_history(run_id, "loss").steps == list(range(POINTS))
    assert client.get_experiment("parallel").run_count == PROCESSES
    assert _integrity(tmp_path) == "ok"


def test_sigkill_after_flush_keeps_every_flushed_point(tmp_path: Path) -> None:
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
    worker = _python(code, tmp_path)
    assert worker.stdout is not None
    run_id = worker.stdout.readline().strip()
    time.sleep(0.3)
    worker.send_signal(signal.SIGKILL)
    worker.communicate(timeout=30)
    assert worker.returncode == -signal.SIGKILL

    assert _integrity(tmp_path) == "ok"
    run = studio.Client(str(tmp_path)).get_run(run_id)
    assert run.metrics["loss"].count == 30_000
    assert run.status is RunStatus.RUNNING  # nobody ended it


def test_interpreter_exit_writes_queued_points_and_ends_the_run(tmp_path: Path) -> None:
    code = """
        import studio
        run = studio.start_run(experiment="exit")
        for step in range(5_000):
            studio.log_metric("loss", float(step))
        print(run.id)
    """
    worker = _python(code, tmp_path)
    out, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err
    run = studio.Client(str(tmp_path)).get_run(out.strip())
    assert run.metrics["loss"].count == 5_000
    assert run.status is RunStatus.FINISHED


def test_points_reach_the_store_without_flush(tmp_path: Path) -> None:
    run = studio.start_run(experiment="live", tracking_uri=str(tmp_path))
    try:
        run.log_metric("loss", 1.0)
        # The writer's interval flush makes points visible to other readers (the UI) soon;
        # read the file directly, as another process would.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with sqlite3.connect(tmp_path / "studio.db") as connection:
                (count,) = connection.execute("SELECT count(*) FROM metrics").fetchone()
            if count == 1:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the point never reached the store without an explicit flush")
    finally:
        run.end()
