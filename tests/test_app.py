"""The server extension's wiring: where it stores things, what it exports, what it refuses."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import text
from traitlets.config import Config

from studio.config import ARTIFACT_ROOT_ENV, DB_URL_ENV, HOME_ENV, SQLITE_SYNCHRONOUS_ENV
from studio.db.engine import Database
from studio.errors import InvalidInput, SchemaOutOfDate
from tests.databases import sqlite_only

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from jupyter_server.serverapp import ServerApp

    from studio.tracking.service import TrackingService
    from tests.conftest import StudioFetch


async def test_configured_locations_are_used_and_exported(
    jp_serverapp: ServerApp,
    studio_fetch: StudioFetch,
    studio_home: Path,
    studio_db_url: str,
    studio_artifact_root: Path,
) -> None:
    tracking: TrackingService = jp_serverapp.web_app.settings["studio_tracking"]
    assert tracking.store.db.url == studio_db_url
    run = await studio_fetch("POST", "runs", body={"experiment_name": "e"})
    assert run.json["artifact_uri"].startswith(str(studio_artifact_root))
    # Kernels and jobs the server starts inherit these, so they log to the same store.
    assert os.environ[DB_URL_ENV] == studio_db_url
    assert os.environ[ARTIFACT_ROOT_ENV] == str(studio_artifact_root)
    assert os.environ[HOME_ENV] == str(studio_home)


@sqlite_only
def test_home_alone_places_database_and_artifacts(
    jp_configurable_serverapp: Callable[..., ServerApp], tmp_path: Path
) -> None:
    home = tmp_path / "only-home"
    config = Config(
        {
            "ServerApp": {
                "jpserver_extensions": {"studio": True},
                "reraise_server_extension_failures": True,
            },
            "StudioApp": {"home": str(home)},
        }
    )
    app = jp_configurable_serverapp(config=config)
    tracking: TrackingService = app.web_app.settings["studio_tracking"]
    run = tracking.create_run(tracking.get_or_create_experiment("e").id)
    assert (home / "studio.db").exists()
    assert run.artifact_uri.startswith(str(home / "artifacts"))


def test_out_of_date_schema_is_refused(
    jp_configurable_serverapp: Callable[..., ServerApp],
    jp_server_config: Config,
    studio_db_url: str,
) -> None:
    database = Database(studio_db_url)
    database.ensure_schema()
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    database.dispose()

    with pytest.raises(SchemaOutOfDate, match="studio db upgrade") as refused:
        jp_configurable_serverapp(config=jp_server_config)
    assert "0000" in refused.value.message


def test_routes_are_under_studio_api(studio_routes: Any) -> None:
    assert all(route.template.startswith("/studio/api/") for route in studio_routes)


@sqlite_only
def test_sqlite_synchronous_is_configured_and_exported(
    jp_configurable_serverapp: Callable[..., ServerApp], jp_server_config: Config
) -> None:
    jp_server_config.StudioApp.sqlite_synchronous = "full"
    app = jp_configurable_serverapp(config=jp_server_config)
    tracking: TrackingService = app.web_app.settings["studio_tracking"]
    with tracking.store.db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA synchronous")).scalar_one() == 2  # FULL
    # Kernels and jobs the server starts write with the same level.
    assert os.environ[SQLITE_SYNCHRONOUS_ENV] == "FULL"


def test_a_bad_sqlite_synchronous_level_stops_the_server(
    jp_configurable_serverapp: Callable[..., ServerApp], jp_server_config: Config
) -> None:
    jp_server_config.StudioApp.sqlite_synchronous = "OFF"
    with pytest.raises(InvalidInput, match="NORMAL, FULL, EXTRA"):
        jp_configurable_serverapp(config=jp_server_config)
