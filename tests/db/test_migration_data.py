"""Migrations keep every row: upgrade and downgrade of a filled store, and the refusal of a
migration that would leave a foreign key pointing nowhere.

On SQLite, revision 0002 rebuilds `runs` (batch mode); with foreign keys on during that
rebuild, dropping the old `runs` would cascade and empty params, tags and metrics.
Runs on SQLite, and on PostgreSQL where STUDIO_TEST_DB_URL names a server (`make test`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from alembic import command
from sqlalchemy import MetaData, insert, select, text
from sqlalchemy.exc import IntegrityError

from studio.db.engine import SCHEMA_REVISION, Database
from studio.db.migrate import migrate
from studio.errors import StoreError

if TYPE_CHECKING:
    from alembic.config import Config

PREVIOUS = "0001"
EXPECTED_TABLES = {"experiments", "runs", "params", "tags", "metrics", "metric_summaries"}
SERIES_TABLES = {"series", "series_chunks", "series_tail", "series_blocks"}


@pytest.fixture
def old_database(database: Database) -> Database:
    """A store at revision 0001 filled with experiments, runs (with children) and their rows."""
    database.upgrade(PREVIOUS)
    _fill(database)
    return database


def _tables(database: Database) -> MetaData:
    metadata = MetaData()
    metadata.reflect(database.engine)
    return metadata


def _fill(database: Database) -> None:
    tables = _tables(database).tables
    experiments = [
        {
            "id": i,
            "name": f"exp {i} ☃",
            "description": "d" * i,
            "tags": {"team": f"t{i}"},
            "archived": i == 3,
            "created_at": 1_700_000_000_000 + i,
            "updated_at": 1_700_000_000_500,
        }
        for i in (1, 2, 3)
    ]
    runs: list[dict[str, Any]] = []
    for exp in (1, 2, 3):
        for n in range(4):
            run_id = f"run{exp}x{n}"
            runs.append(
                {
                    "id": run_id,
                    "experiment_id": exp,
                    "name": f"run {n}",
                    "status": "FINISHED" if n % 2 else "RUNNING",
                    "start_time": 1_700_000_001_000 + n,
                    "end_time": 1_700_000_009_000 + n if n % 2 else None,
                    # Runs 2 and 3 are children of run 0; run 3 is a grandchild through 2.
                    "parent_run_id": {0: None, 1: None, 2: f"run{exp}x0", 3: f"run{exp}x2"}[n],
                    "source": None if n == 1 else f"notebook-{n}.ipynb",
                    "artifact_uri": f"/tmp/artifacts/{exp}/{run_id}/artifacts",
                }
            )
    params = [
        {"run_id": run["id"], "key": key, "value": f"{key}={i}"}
        for i, run in enumerate(runs)
        for key in ("lr", "depth", "optimizer/name")
    ]
    tags = [
        {"run_id": run["id"], "key": key, "value": f"{run['name']} {key}"}
        for run in runs
        for key in ("stage", "user")
    ]
    metrics = [
        {
            "run_id": run["id"],
            "key": key,
            "step": step,
            "timestamp": 1_700_000_002_000 + step,
            "value": None if step == 3 else step * 0.5 + len(key),
        }
        for run in runs
        for key in ("loss", "val/acc")
        for step in range(6)
    ]
    summaries = [
        {
            "run_id": run["id"],
            "key": key,
            "last_value": 2.5 + len(key),
            "last_step": 5,
            "last_timestamp": 1_700_000_002_005,
            "min_value": float(len(key)),
            "max_value": 2.5 + len(key),
            "count": 6,
        }
        for run in runs
        for key in ("loss", "val/acc")
    ]
    # Parents first, so the child runs' foreign keys hold at every insert.
    runs.sort(key=lambda run: run["id"][-1] in "23")
    runs.sort(key=lambda run: run["id"][-1] == "3")
    with database.engine.begin() as connection:
        for name, rows in (
            ("experiments", experiments),
            ("runs", runs),
            ("params", params),
            ("tags", tags),
            ("metrics", metrics),
            ("metric_summaries", summaries),
        ):
            connection.execute(insert(tables[name]), rows)


def _snapshot(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but alembic's, in primary-key order."""
    metadata = _tables(database)
    found = {}
    with database.engine.connect() as connection:
        for name, table in metadata.tables.items():
            if name == "alembic_version":
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            found[name] = [tuple(row) for row in connection.execute(select(table).order_by(*order))]
    return found


def _insert_bad_run(database: Database) -> None:
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO runs (id, experiment_id, name, status, start_time, end_time, "
                "artifact_uri) VALUES ('backwards', 1, 'b', 'FINISHED', 2000, 1000, '/x')"
            )
        )


def test_upgrade_and_downgrade_keep_every_row(old_database: Database) -> None:
    before = _snapshot(old_database)
    assert set(before) == EXPECTED_TABLES
    assert len(before["runs"]) == 12
    assert len(before["metrics"]) == 12 * 2 * 6

    old_database.upgrade()
    assert old_database.current_revision() == SCHEMA_REVISION
    after = _snapshot(old_database)
    # Metric points live in series since revision 0006 (test_migration_metrics compares
    # them point by point).
    assert "metrics" not in after
    assert {name: after[name] for name in before if name != "metrics"} == {
        name: rows for name, rows in before.items() if name != "metrics"
    }
    assert sum(row[5] for row in after["series"]) == len(before["metrics"])
    added = set(after) - set(before) - SERIES_TABLES
    assert all(after[name] == [] for name in added)  # tables added since

    old_database.downgrade(PREVIOUS)
    assert old_database.current_revision() == PREVIOUS
    assert _snapshot(old_database) == before


def test_foreign_keys_still_cascade_after_a_migration(old_database: Database) -> None:
    """The runner turns foreign keys back on: the connection it used goes back to the pool."""
    old_database.upgrade()
    with old_database.engine.begin() as connection:
        if old_database.is_sqlite:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        connection.execute(text("DELETE FROM runs WHERE id = 'run1x1'"))
        left = connection.execute(text("SELECT count(*) FROM params WHERE run_id = 'run1x1'"))
        assert left.scalar() == 0


def test_the_end_time_check_repairs_old_rows_and_refuses_new_ones(old_database: Database) -> None:
    _insert_bad_run(old_database)
    old_database.upgrade()
    with old_database.engine.connect() as connection:
        start, end = connection.execute(
            text("SELECT start_time, end_time FROM runs WHERE id = 'backwards'")
        ).one()
    assert (start, end) == (2000, 2000)

    with old_database.engine.begin() as connection:
        connection.execute(text("DELETE FROM runs WHERE id = 'backwards'"))
    with pytest.raises(IntegrityError, match=r"(?i)ck_runs_end_after_start|check constraint"):
        _insert_bad_run(old_database)

    old_database.downgrade(PREVIOUS)
    _insert_bad_run(old_database)  # the downgrade removed the CHECK


def _upgrade_then_orphan(config: Config) -> None:
    """A migration that leaves a param of a run that does not exist."""
    command.upgrade(config, "head")
    config.attributes["connection"].execute(
        text("INSERT INTO params (run_id, key, value) VALUES ('ghost', 'lr', '0.1')")
    )


def test_a_migration_that_breaks_a_foreign_key_is_refused(old_database: Database) -> None:
    before = _snapshot(old_database)
    with pytest.raises(StoreError) as raised:
        migrate(old_database.engine, old_database.is_sqlite, _upgrade_then_orphan)
    if old_database.is_sqlite:
        # SQLite runs the migration with foreign keys off; the check before commit catches it.
        assert "params row" in raised.value.message
        assert "nothing was committed" in raised.value.message
    assert old_database.current_revision() == PREVIOUS
    assert _snapshot(old_database) == before
    _insert_bad_run(old_database)  # the CHECK of 0002 was not committed either
