"""The schema: alembic migrations, the ORM they must match, and the out-of-date refusal.

Runs on SQLite, and on PostgreSQL where STUDIO_TEST_DB_URL names a server (`make test`).
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from studio.db.base import Base
from studio.db.engine import SCHEMA_REVISION, Database
from studio.db.migrate import head_revision
from studio.debugger import orm as _debugger_orm  # noqa: F401  (registers the debugger tables)
from studio.errors import SchemaOutOfDate
from studio.tracking import orm as _tracking_orm  # noqa: F401  (registers the tracking tables)
from studio.tracking.store import TrackingStore

TRACKING_TABLES = {"experiments", "runs", "params", "tags", "series", "metric_summaries"}


def set_revision(database: Database, revision: str) -> None:
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


def test_the_code_expects_alembic_head() -> None:
    assert head_revision() == SCHEMA_REVISION


def test_a_new_database_is_created_at_head(database: Database) -> None:
    assert database.current_revision() is None
    database.ensure_schema()
    assert database.current_revision() == SCHEMA_REVISION
    with database.engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) >= TRACKING_TABLES


def test_the_first_store_call_creates_the_schema(database: Database, tmp_path: Path) -> None:
    store = TrackingStore(database, str(tmp_path / "artifacts"))
    assert store.list_experiments() == []
    assert database.current_revision() == SCHEMA_REVISION


def test_reopening_a_database_keeps_its_data(database_url: str, tmp_path: Path) -> None:
    first = Database(database_url)
    TrackingStore(first, str(tmp_path)).create_experiment("kept")
    first.dispose()
    second = Database(database_url)
    try:
        assert [e.name for e in TrackingStore(second, str(tmp_path)).list_experiments()] == ["kept"]
    finally:
        second.dispose()


@pytest.mark.parametrize("revision", ["0000", "9999_from_the_future"])
def test_a_database_at_another_revision_is_refused(
    database_url: str, tmp_path: Path, revision: str
) -> None:
    setup = Database(database_url)
    setup.ensure_schema()
    set_revision(setup, revision)
    setup.dispose()

    database = Database(database_url)
    try:
        with pytest.raises(SchemaOutOfDate) as raised:
            database.ensure_schema()
        message = raised.value.message
        assert "studio db upgrade" in message
        assert revision in message
        assert SCHEMA_REVISION in message
        assert raised.value.http_status == 503
        # Every store call is refused the same way, and nothing is written.
        store = TrackingStore(database, str(tmp_path))
        with pytest.raises(SchemaOutOfDate, match="studio db upgrade"):
            store.create_experiment("should not exist")
        assert database.current_revision() == revision
    finally:
        database.dispose()


def test_the_orm_matches_the_migrations(database: Database) -> None:
    """Autogenerate finds nothing to do: every model change comes with its migration."""
    database.ensure_schema()
    with database.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_schema_creation_happens_once_under_concurrency(database_url: str) -> None:
    """Four processes' worth of stores opening one new database at the same moment."""
    databases = [Database(database_url) for _ in range(4)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(databases))

    def open_it(db: Database) -> None:
        try:
            barrier.wait()
            db.ensure_schema()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_it, args=(db,)) for db in databases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        assert errors == []
        assert all(db.current_revision() == SCHEMA_REVISION for db in databases)
    finally:
        for db in databases:
            db.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(database: Database) -> None:
    if not database.is_sqlite:
        pytest.skip("SQLite only")
    database.ensure_schema()
    with database.session() as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_a_sqlite_store_creates_its_folder(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "studio.db"
    database = Database(f"sqlite:///{path}")
    try:
        database.ensure_schema()
        assert path.is_file()
    finally:
        database.dispose()


def test_display_url_hides_the_password() -> None:
    database = Database("postgresql+psycopg://ana:s3cret@db.example:5432/studio")
    try:
        assert "s3cret" not in database.display_url
        assert "ana" in database.display_url
    finally:
        database.dispose()
