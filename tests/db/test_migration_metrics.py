"""Revision 0006 moves every point of `metrics` into series, and its downgrade moves them back:
a store filled at 0005, upgraded, every point compared through the store's history, then
downgraded and every row compared again.

The store holds out-of-order and repeated steps, NaN (NULL on SQLite) and the infinities, a
series longer than two migration batches and than one statement of the downgrade, and a step
with more points than a batch. The store's chunks are made small here (256 points, as the
series tests make them), which makes the migration's batches small (16 chunks): a store of
15,000 points crosses them. `make bench` migrates a million points at the real sizes
(tests/bench/bench_migration.py). Runs on SQLite, and on PostgreSQL where STUDIO_TEST_DB_URL
names a server (`make test`).
"""

from __future__ import annotations

import logging
import math
import random
from typing import TYPE_CHECKING, Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, insert, inspect, select

from studio.cli import main
from studio.db.engine import SCHEMA_REVISION
from studio.db.migrate import alembic_config
from studio.tracking.series import store as series_store
from studio.tracking.store import TrackingStore

if TYPE_CHECKING:
    from pathlib import Path

    from studio.db.engine import Database

BEFORE = "0005"
CHUNK_POINTS = 256
# The migration reads and appends 16 chunks' worth of points at a time (BATCH_POINTS, taken
# from the store's CHUNK_POINTS when alembic loads the revision), and its downgrade writes
# 10,000 rows a statement.
BATCH_POINTS = 16 * CHUNK_POINTS
LONG = 10_500  # past two batches, and past one statement of the downgrade
CROWDED_STEP = BATCH_POINTS + 100  # more points at one step than a batch


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(series_store, "CHUNK_POINTS", CHUNK_POINTS)
    monkeypatch.setattr(series_store, "FULL_RESOLUTION_POINTS", 4 * CHUNK_POINTS)


def test_the_store_crosses_the_migrations_batches() -> None:
    """The revision as alembic loads it (after `small_chunks`) reads BATCH_POINTS at a time."""
    revision = ScriptDirectory.from_config(alembic_config()).get_revision("0006")
    assert revision is not None
    assert revision.module.BATCH_POINTS == BATCH_POINTS
    assert 2 * BATCH_POINTS < LONG
    assert revision.module.DOWNGRADE_ROWS < LONG


Point = tuple[int, int, str]


def _fill(database: Database) -> list[dict[str, Any]]:
    metadata = MetaData()
    metadata.reflect(database.engine)
    tables = metadata.tables
    rng = random.Random(8)
    runs = [f"run{n}" for n in range(3)]
    metrics: list[dict[str, Any]] = []

    def point(run_id: str, key: str, step: int, stamp: int, value: float | None) -> None:
        metrics.append(
            {"run_id": run_id, "key": key, "step": step, "timestamp": stamp, "value": value}
        )

    for step in range(LONG):
        value: float | None = math.sin(step / 300)
        if step % 1_000 == 7:
            value = None  # NaN, as SQLite keeps it
        point("run0", "loss", step, 1_700_000_000_000 + step, value)
    point("run0", "loss", 5, 1_700_000_000_005, 9.0)  # a step logged twice, same timestamp
    point("run0", "loss", 5, 1_600_000_000_000, math.inf)  # and earlier
    point("run0", "loss", -3, 0, -math.inf)
    for n in range(CROWDED_STEP):
        point("run0", "crowded", 7, 1_000 + n % 10, float(n % 97))
    point("run0", "crowded", 6, 1, 1.0)
    point("run0", "crowded", 8, 2, 2.0)
    # NaN itself: PostgreSQL kept it so (SQLite stores NULL).
    point("run1", "val/acc ☃", 4, 40, math.nan)
    for step in (9, 3, 3, 1, 12):
        point("run1", "val/acc ☃", step, 10 * step, step / 10)
    rng.shuffle(metrics)  # inserted in no order: the migration reads in step order
    with database.engine.begin() as connection:
        connection.execute(
            insert(tables["experiments"]),
            [
                {
                    "id": 1,
                    "name": "e",
                    "description": "",
                    "tags": {},
                    "archived": False,
                    "created_at": 1,
                    "updated_at": 1,
                }
            ],
        )
        connection.execute(
            insert(tables["runs"]),
            [
                {
                    "id": run_id,
                    "experiment_id": 1,
                    "name": run_id,
                    "status": "FINISHED",
                    "start_time": 1,
                    "end_time": 2,
                    "parent_run_id": None,
                    "source": None,
                    "artifact_uri": f"/tmp/{run_id}",
                }
                for run_id in runs
            ],
        )
        connection.execute(insert(tables["metrics"]), metrics)
    return metrics


def _key(value: float | None) -> str:
    return "nan" if value is None or math.isnan(value) else repr(float(value))


def _expected(metrics: list[dict[str, Any]]) -> dict[tuple[str, str], list[Point]]:
    found: dict[tuple[str, str], list[Point]] = {}
    for row in metrics:
        found.setdefault((row["run_id"], row["key"]), []).append(
            (row["step"], row["timestamp"], _key(row["value"]))
        )
    return {series: sorted(points) for series, points in found.items()}


def _rows(database: Database) -> dict[tuple[str, str], list[Point]]:
    metadata = MetaData()
    metadata.reflect(database.engine, only=["metrics"])
    table = metadata.tables["metrics"]
    with database.engine.connect() as connection:
        rows = connection.execute(select(table)).mappings().all()
    return _expected([dict(row) for row in rows])


def test_every_point_moves_into_series_and_back(
    database: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database.upgrade(BEFORE)
    expected = _expected(_fill(database))
    assert _rows(database) == expected

    caplog.set_level(logging.INFO, logger="studio.db.migrations")
    database.upgrade()
    assert database.current_revision() == SCHEMA_REVISION
    with database.engine.connect() as connection:
        assert "metrics" not in inspect(connection).get_table_names()
    progress = [r.getMessage() for r in caplog.records if r.name == "studio.db.migrations"]
    total = sum(map(len, expected.values()))
    assert f"metrics into series: {total} points in 3 series" in progress
    assert f"metrics into series: {total} points moved" in " ".join(progress)

    store = TrackingStore(database, str(tmp_path / "artifacts"))
    for (run_id, key), points in expected.items():
        history = store.get_metric_history(run_id, key)
        stored = list(
            zip(history.steps, history.timestamps, map(_key, history.values), strict=True)
        )
        # In the series' order (step, timestamp, value), every point, none twice.
        assert [p[:2] for p in stored] == [p[:2] for p in points]
        assert sorted(stored) == points
        assert history.total == len(points)
    assert store.get_metric_history("run2", "loss").total == 0
    # A migrated series reads like one logged since: a range, and a downsampled view.
    window = store.get_metric_history("run0", "loss", min_step=4_095, max_step=4_097)
    assert window.steps == [4_095, 4_096, 4_097]
    small = store.get_metric_history("run0", "loss", max_points=400)
    assert small.downsampled
    assert len(small.steps) <= 400
    assert (min(small.values), max(small.values)) == (-math.inf, math.inf)

    caplog.clear()
    database.downgrade(BEFORE)
    assert database.current_revision() == BEFORE
    assert _rows(database) == expected
    with database.engine.connect() as connection:
        assert "ix_metrics_history" in {
            index["name"] for index in inspect(connection).get_indexes("metrics")
        }
        assert connection.exec_driver_sql("SELECT count(*) FROM series").scalar() == 0
    assert any("series into metrics" in r.getMessage() for r in caplog.records)


def test_studio_db_upgrade_says_what_it_will_do_then_how_far_it_is(
    database: Database, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    database.upgrade(BEFORE)
    with database.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO experiments (id, name, description, tags, archived, created_at, "
            "updated_at) VALUES (1, 'e', '', '{}', false, 1, 1)"
        )
        connection.exec_driver_sql(
            "INSERT INTO runs (id, experiment_id, name, status, start_time, artifact_uri) "
            "VALUES ('r', 1, 'r', 'RUNNING', 1, '/x')"
        )
        connection.exec_driver_sql(
            "INSERT INTO metrics (run_id, key, step, timestamp, value) "
            "VALUES ('r', 'loss', 1, 1, 0.5), ('r', 'loss', 2, 2, 0.25)"
        )
    database.dispose()
    assert main(["--db-url", database_url, "db", "upgrade"]) == 0
    out, err = capsys.readouterr()
    plan, done = (
        out.index("will apply 0006: metrics moved into series"),
        out.index(f"-> {SCHEMA_REVISION}"),
    )
    assert plan < done
    assert "metrics into series: 2 points in 1 series" in err
    assert "metrics into series: 2 points moved" in err
