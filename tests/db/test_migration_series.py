"""Revision 0005 adds the series store's tables, empty, and its downgrade removes them.

(Every existing row survives 0005 both ways: test_migration_data upgrades a filled store to
head and back.) Runs on SQLite, and on PostgreSQL where STUDIO_TEST_DB_URL names a server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from studio.tracking.series import store

if TYPE_CHECKING:
    from studio.db.engine import Database

SERIES_TABLES = {"series", "series_chunks", "series_tail", "series_blocks"}


def _tables(database: Database) -> set[str]:
    with database.engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def test_0005_creates_the_series_tables_and_its_downgrade_drops_them(database: Database) -> None:
    database.upgrade("0004")
    assert not _tables(database) & SERIES_TABLES
    database.upgrade("0005")
    assert _tables(database) >= SERIES_TABLES
    with database.engine.connect() as connection:
        for table in SERIES_TABLES:
            assert connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0
    # A plain session: the store's own refuses a database below the code's revision.
    with Session(database.engine) as session, session.begin():
        series_id = store.intern(session, store.Owner.run("r"), "loss")
        store.append(session, series_id, [1, 2], [10, 20], [0.5, float("nan")])
    database.downgrade("0004")
    assert not _tables(database) & SERIES_TABLES
    assert database.current_revision() == "0004"
    database.upgrade("0005")
    with Session(database.engine) as session, session.begin():
        assert store.intern(session, store.Owner.run("r"), "loss") == 1  # a fresh table
        assert len(store.read(session, 1).steps) == 0
