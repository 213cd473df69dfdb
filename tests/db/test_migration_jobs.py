"""Revision 0008 adds the notebook jobs' tables, empty, on a store full of tracking and
debugger rows, and its downgrade removes them, leaving those rows alone. Runs on SQLite, and
on PostgreSQL where STUDIO_TEST_DB_URL names a server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import inspect, text

if TYPE_CHECKING:
    from studio.db.engine import Database

JOB_TABLES = {"job_notebooks", "job_definitions", "job_runs", "job_schedulers"}


def _tables(database: Database) -> set[str]:
    with database.engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def _count(database: Database, table: str) -> int:
    with database.engine.connect() as connection:
        return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_0008_creates_the_job_tables_and_its_downgrade_drops_them(database: Database) -> None:
    database.upgrade("0007")
    assert not _tables(database) & JOB_TABLES
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
            "INSERT INTO debugger_rule_states (run_id, rule, parameters, status, last_step, "
            "findings, updated_at) VALUES ('r', 'ExplodingTensor', '{}', 'firing', 3, 1, 1)"
        )
    database.upgrade("0008")
    assert _tables(database) >= JOB_TABLES
    assert all(_count(database, table) == 0 for table in JOB_TABLES)
    database.downgrade("0007")
    assert not _tables(database) & JOB_TABLES
    assert database.current_revision() == "0007"
    assert _count(database, "runs") == 1
    assert _count(database, "debugger_rule_states") == 1
    database.upgrade("0008")
    assert database.current_revision() == "0008"
