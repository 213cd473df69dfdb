"""Concurrent writers through the real client, on SQLite and on PostgreSQL: spawned
processes, each with threads, log to one run (one series together, one series each) and to
runs of their own. Every point is then read back from the series' rows, step and value,
and every pyramid is checked against the points sealed under it. A write that collides with
stored rows (what a writer without the series' lock would do) fails whole."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING

import numpy as np
import pytest
from sqlalchemy import delete, insert, select

import studio
from studio.errors import Conflict
from studio.tracking.series import store
from studio.tracking.series.orm import SqlSeries, SqlSeriesTail
from tests.tracking.series import concurrency_targets as targets
from tests.tracking.series.checks import assert_holds_exactly

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from studio.db.engine import Database
    from tests.tracking.series.conftest import Series


def _series_ids(database: Database, run_id: str) -> dict[str, int]:
    with database.session() as session:
        rows = session.execute(
            select(SqlSeries.key, SqlSeries.id).where(SqlSeries.owner_id == run_id)
        ).all()
    return {key: series_id for key, series_id in rows}


def test_processes_and_threads_logging_to_one_run_and_their_own_lose_nothing(
    database: Database, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The spawned workers inherit these: their runs' artifacts stay in the test's folder.
    monkeypatch.setenv("STUDIO_HOME", str(tmp_path))
    monkeypatch.setenv("STUDIO_ARTIFACT_ROOT", str(tmp_path / "artifacts"))
    shared = studio.start_run(experiment="shared", tracking_uri=database_url)
    try:
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(targets.PROCESSES, mp_context=spawn) as pool:
            futures = [
                pool.submit(targets.log_from_threads, database_url, shared, process)
                for process in range(targets.PROCESSES)
            ]
            own_run_ids = [future.result(timeout=240) for future in futures]
    finally:
        shared.end()

    indexes = np.arange(targets.POINTS)
    per_writer = [targets.value_of(i) for i in range(targets.POINTS)]
    series = _series_ids(database, shared.id)
    assert sorted(series) == sorted(
        [targets.SHARED_KEY, *(f"w{w}" for w in range(targets.WRITERS))]
    )
    every_step = np.arange(targets.POINTS * targets.WRITERS)
    assert_holds_exactly(
        database,
        series[targets.SHARED_KEY],
        every_step,
        [targets.value_of(step) for step in every_step.tolist()],
    )
    for writer in range(targets.WRITERS):
        assert_holds_exactly(database, series[f"w{writer}"], indexes, per_writer)
    for run_id in own_run_ids:
        own = _series_ids(database, run_id)
        assert sorted(own) == [f"t{t}" for t in range(targets.THREADS)]
        for series_id in own.values():
            assert_holds_exactly(database, series_id, indexes, per_writer)

    # The summaries that the runs table shows agree with the series.
    summary = studio.Client(database_url).get_run(shared.id).metrics[targets.SHARED_KEY]
    assert summary.count == len(every_step)
    assert summary.last_step == every_step[-1]


def test_a_write_that_collides_with_stored_rows_fails_whole_as_a_conflict(
    new_series: Callable[[], Series],
) -> None:
    """What a lost lock would cause (two writers numbering the same tail row) fails as
    Studio's Conflict, through COPY on PostgreSQL as through INSERT on SQLite, and the
    transaction leaves nothing behind."""
    series = new_series()
    series.append(np.arange(10), np.arange(10), np.arange(10) * 1.0)
    with series.database.session(write=True) as session:
        seq = session.get(SqlSeries, series.id).tail_seq  # type: ignore[union-attr]
        session.execute(
            insert(SqlSeriesTail).values(series_id=series.id, seq=seq, count=0, payload=b"")
        )
    with pytest.raises(Conflict), series.database.session(write=True) as session:
        store.append(session, series.id, np.arange(10, 20), np.arange(10), np.ones(10))
    with series.database.session(write=True) as session:
        session.execute(delete(SqlSeriesTail).where(SqlSeriesTail.seq == seq))
    assert_holds_exactly(series.database, series.id, np.arange(10), np.arange(10) * 1.0)
