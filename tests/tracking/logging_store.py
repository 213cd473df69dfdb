"""Helpers of the tests that log through `studio.start_run` into a test database.

`studio.start_run(tracking_uri=...)` keeps one connection per URI for the life of the process;
`tracking_store` closes it after the test, so no writer thread or pool outlives its database.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

import studio
from studio.db.engine import Database
from studio.tracking import backends
from studio.tracking.service import TrackingService
from studio.tracking.store import TrackingStore

if TYPE_CHECKING:
    import pytest

STUDIO_VARIABLES = (
    "STUDIO_RUN_ID",
    "STUDIO_DB_URL",
    "STUDIO_ARTIFACT_ROOT",
    "STUDIO_TRACKING_URI",
    "STUDIO_EXPERIMENT",
)


@contextlib.contextmanager
def tracking_store(database_url: str, home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """`database_url` as a tracking URI, with artifacts under `home`; closed on exit."""
    monkeypatch.setenv("STUDIO_HOME", str(home))
    for name in STUDIO_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    try:
        yield database_url
    finally:
        close_connection(database_url)


def close_connection(uri: str) -> None:
    while studio.active_run() is not None:
        with contextlib.suppress(Exception):
            studio.end_run()
    connection = backends._connections.pop(uri, None)
    if connection is not None:
        with contextlib.suppress(Exception):
            connection.writer.close()
        service = connection.backend
        assert isinstance(service, TrackingService)
        service.store.db.dispose()


@contextlib.contextmanager
def other_service(uri: str, home: Path) -> Iterator[TrackingService]:
    """The store as the server (another connection) sees it."""
    database = Database(uri)
    try:
        yield TrackingService(TrackingStore(database, str(home / "artifacts")))
    finally:
        database.dispose()


def refuse_metric_key(uri: str, key: str) -> None:
    """Make the database refuse every point of metric `key`, as a constraint would (its
    series is never created)."""
    database = Database(uri)
    database.ensure_schema()
    database.dispose()
    engine = create_engine(uri, poolclass=NullPool)
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql(
                f"CREATE TRIGGER refuse_{key} BEFORE INSERT ON series WHEN NEW.key = '{key}' "
                "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
            )
        else:
            connection.exec_driver_sql(
                "CREATE FUNCTION refuse_point() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "RAISE EXCEPTION 'refused by the test' USING ERRCODE = 'check_violation'; "
                "END $$"
            )
            connection.exec_driver_sql(
                f"CREATE TRIGGER refuse_{key} BEFORE INSERT ON series FOR EACH ROW "
                f"WHEN (NEW.key = '{key}') EXECUTE FUNCTION refuse_point()"
            )
    engine.dispose()
