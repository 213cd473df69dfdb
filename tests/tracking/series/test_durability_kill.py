"""SIGKILL against the series store, on SQLite and on PostgreSQL: a writer killed after a
flush, or in the middle of sealing chunks, never takes a durable point with it, leaves the
series readable and consistent (its pyramid against its chunks), and leaves no lock: a new
writer appends to the same series at once.

The writers are real client processes; every point is read back from the series' rows,
step and value.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from typing import TYPE_CHECKING

import numpy as np
import pytest
from sqlalchemy import select

import studio
from studio.tracking.series.orm import SqlSeries
from studio.tracking.series.store import CHUNK_POINTS
from tests.tracking.series.checks import assert_consistent, bits, stored_series

if TYPE_CHECKING:
    from pathlib import Path

    from studio.db.engine import Database

# Flushed before the kill: sealed chunks and an open tail (so a seal after it rewrites both).
FLUSHED = 2 * CHUNK_POINTS + 1_000
KEY = "loss"
# What every writer logs at a step, so that any stored point can be told from a stray one.
VALUE_OF = "lambda step: float('nan') if step % 89 == 0 else (step % 503) * 0.5 - 7.0"
_value_of = eval(VALUE_OF)  # the same function the children run

# A child: logs FLUSHED points in a scrambled step order, flushes, reports, then goes on
# logging until it is killed. `mode` says how it goes on:
# - "logging": small unflushed points;
# - "sealing": one large batch, pausing inside its transaction once chunks and pyramid
#   blocks are written (the parent kills it there, before the commit).
CHILD = f"""
    import sys, time
    import studio
    from studio.tracking.series import blocks

    value_of = {VALUE_OF}
    mode, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    run = studio.start_run(experiment="crash")
    for i in range(count):
        step = first + (i * 7919) % count  # every step once, out of order
        run.log_metric("{KEY}", value_of(step), step=step)
    run.flush()
    print(run.id, flush=True)
    if mode == "sealing":
        merge = blocks.add_points

        def merge_then_pause(*args, **kwargs):
            merge(*args, **kwargs)
            print("sealing", flush=True)
            time.sleep(60)

        blocks.add_points = merge_then_pause
        for step in range(first + count, first + count + 3 * {CHUNK_POINTS}):
            run.log_metric("{KEY}", value_of(step), step=step)
        run.flush()
    step = first + count
    while True:
        run.log_metric("{KEY}", value_of(step), step=step)
        step += 1
        time.sleep(0.0001)
"""


def _child(store_env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **store_env}
    env.pop("STUDIO_TRACKING_URI", None)
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(CHILD), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _line(child: subprocess.Popen[str]) -> str:
    assert child.stdout is not None
    line = child.stdout.readline().strip()
    if not line:
        raise AssertionError(f"the child stopped early: {child.communicate(timeout=30)[1]}")
    return line


def _kill(child: subprocess.Popen[str]) -> None:
    os.kill(child.pid, signal.SIGKILL)
    child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL


@pytest.fixture
def store_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "STUDIO_HOME": str(tmp_path),
        "STUDIO_DB_URL": database_url,
        "STUDIO_ARTIFACT_ROOT": str(tmp_path / "artifacts"),
    }


def _series_id(database: Database, run_id: str) -> int:
    with database.session() as session:
        found = session.scalar(
            select(SqlSeries.id).where(SqlSeries.owner_id == run_id, SqlSeries.key == KEY)
        )
    assert found is not None
    return int(found)


def _assert_durable(database: Database, series_id: int, durable: range, logged: range) -> int:
    """The series holds every `durable` step, each once, and otherwise only steps of
    `logged` (those its writer committed before it died), each with its writer's value;
    and it is consistent. Returns how many points it holds."""
    stored = stored_series(database, series_id)
    assert_consistent(stored)
    steps, _stamps, values = stored.points
    assert len(np.unique(steps)) == len(steps), "a point was stored twice"
    assert set(durable) <= set(steps.tolist())
    assert set(steps.tolist()) <= set(logged)
    assert bits(values) == bits(np.array([_value_of(s) for s in steps.tolist()]))
    return len(steps)


@pytest.mark.parametrize("mode", ["logging", "sealing"])
def test_a_writer_killed_after_flush_keeps_every_flushed_point_and_no_lock(
    database: Database, store_env: dict[str, str], mode: str
) -> None:
    child = _child(store_env, mode, "0", str(FLUSHED))
    run_id = _line(child)
    if mode == "sealing":
        assert _line(child) == "sealing"  # inside the large batch's transaction
    else:
        time.sleep(0.7)  # it goes on logging; the writer's interval commits some of that
    _kill(child)

    series_id = _series_id(database, run_id)
    everything = range(FLUSHED + 10 * CHUNK_POINTS)
    held = _assert_durable(database, series_id, range(FLUSHED), everything)
    if mode == "sealing":
        # Killed before its commit: the sealing transaction's points are not there (the
        # flushed tail that it had read and deleted is, checked above).
        assert held < FLUSHED + 3 * CHUNK_POINTS

    # A new writer appends to the same series at once: no lock was left, and the tail is
    # whole (the points it seals into chunks with its own are the ones flushed above).
    with database.session() as session:
        start = int(session.get(SqlSeries, series_id).max_step) + 1  # type: ignore[union-attr]
    restart = _child({**store_env, "STUDIO_RUN_ID": run_id}, "logging", str(start), "9000")
    assert _line(restart) == run_id
    _kill(restart)
    _assert_durable(database, series_id, range(FLUSHED), everything)
    final = stored_series(database, series_id)
    assert set(range(start, start + 9_000)) <= set(final.points[0].tolist())
    assert studio.Client(str(database.engine.url)).get_run(run_id).metrics[KEY].count == len(
        final.points[0]
    )
