"""The jupyter_server extension: Studio's configuration, its managers and its REST routes."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Float, Int, Unicode

from studio import features
from studio.config import StudioConfig
from studio.db.engine import Database
from studio.errors import SchemaOutOfDate, StudioError
from studio.jobs.executors import build_executor
from studio.jobs.handlers import SCHEDULER_SETTING
from studio.jobs.scheduler import Scheduler
from studio.openapi import build_document, openapi_route

if TYPE_CHECKING:
    from jupyter_server.serverapp import ServerApp

    from studio.web import Route


def all_routes() -> list[Route]:
    """Every feature package's routes, then the OpenAPI document's."""
    return [*features.routes(), openapi_route()]


class StudioApp(ExtensionApp):
    """Studio's feature packages (tracking; later the debugger, jobs, ...) inside Jupyter Server.

    `initialize_settings()` opens the one `Database`, builds each feature package's service
    on it (see `studio.features`), and hands them to the handlers through the web
    application's settings (`studio_tracking`, ...).
    """

    name = "studio"
    description = "A local-first ML studio: experiment tracking, debugger, notebook jobs."
    load_other_extensions = True

    home = Unicode(
        "",
        config=True,
        help=(
            "Folder holding Studio's database and artifacts by default. Empty: $STUDIO_HOME, "
            "else <jupyter data dir>/studio."
        ),
    )
    db_url = Unicode(
        "",
        config=True,
        help=(
            "SQLAlchemy URL of the tracking database, e.g. postgresql+psycopg://... for a "
            "team. Empty: $STUDIO_DB_URL, else the SQLite file studio.db under home."
        ),
    )
    artifact_root = Unicode(
        "",
        config=True,
        help=(
            "Where run artifacts go: a folder or any fsspec URL. Empty: "
            "$STUDIO_ARTIFACT_ROOT, else the artifacts folder under home."
        ),
    )

    sqlite_synchronous = Unicode(
        "",
        config=True,
        help=(
            "SQLite's synchronous level: NORMAL (a commit survives a crash of the process; a "
            "power loss may undo the last commits), FULL or EXTRA (a commit survives a power "
            "loss; each costs an fsync). Empty: $STUDIO_SQLITE_SYNCHRONOUS, else NORMAL. "
            "Exported to kernels and jobs; ignored for PostgreSQL."
        ),
    )

    executor_class = Unicode(
        "local",
        config=True,
        help=(
            "What runs notebook jobs: 'local' (a process per job on this machine), 'dask' (a "
            "task per job on the Dask cluster at dask_scheduler_address), or a 'module:Class' "
            "reference to an executor class of your own, built with no arguments."
        ),
    )
    dask_scheduler_address = Unicode(
        "",
        config=True,
        help=(
            "The Dask scheduler's address (tcp://host:8786) when executor_class is 'dask'. "
            "Its workers need Studio, papermill and the notebooks' kernels installed, and "
            "Studio's database on PostgreSQL (or STUDIO_TRACKING_URI set) to track runs."
        ),
    )
    max_bundle_mb = Int(
        100,
        config=True,
        help=(
            "The largest notebook folder, in MB, that a Dask job carries to its worker. Past "
            "it the job is refused: large data belongs on a file system every worker sees."
        ),
    )

    max_concurrent_jobs = Int(
        2,
        config=True,
        help=(
            "How many notebook jobs this server runs at once. 0: it queues scheduled runs "
            "but starts none (a `studio scheduler` elsewhere runs them)."
        ),
    )
    scheduler_enabled = Bool(
        True,
        config=True,
        help=(
            "Run the notebook jobs' scheduler inside this server. Off: jobs run only where a "
            "`studio scheduler` shares the database."
        ),
    )
    job_heartbeat_interval = Float(
        5.0,
        config=True,
        help=(
            "Seconds between the heartbeats of running jobs. A job silent for three intervals "
            "(its scheduler died) is interrupted and retried. Use one value for every "
            "scheduler of a database."
        ),
    )

    def initialize_settings(self) -> None:
        config = StudioConfig.resolve(
            home=self.home or None,
            db_url=self.db_url or None,
            artifact_root=self.artifact_root or None,
            sqlite_synchronous=self.sqlite_synchronous or None,
        )
        database = Database.from_config(config)
        try:
            database.ensure_schema()
        except SchemaOutOfDate as exc:
            database.dispose()
            self.log.error("Studio is not started: %s", exc.message)
            raise
        # Kernels and jobs started by this server inherit the same store.
        os.environ.update(config.environment())
        self.settings.update(
            studio_config=config,
            studio_database=database,
            studio_openapi=build_document(all_routes()),
            **features.build_services(database, config),
        )
        if self.scheduler_enabled:
            try:
                self.settings[SCHEDULER_SETTING] = self._build_scheduler()
            except StudioError as exc:
                # Tracking and the rest of Studio still work; only jobs wait for a fix.
                self.log.error("Studio runs no notebook jobs: %s", exc.message)
        self.log.info(
            "Studio tracks to %s, artifacts under %s", database.display_url, config.artifact_root
        )

    def initialize_handlers(self) -> None:
        self.handlers.extend((route.pattern, route.handler) for route in all_routes())

    def _build_scheduler(self) -> Scheduler:
        executor = build_executor(
            self.executor_class,
            dask_scheduler_address=self.dask_scheduler_address,
            max_bundle_bytes=self.max_bundle_mb * 1024 * 1024,
        )
        return Scheduler(
            self.settings["studio_jobs"],
            executor,
            max_concurrent_jobs=self.max_concurrent_jobs,
            heartbeat_interval=self.job_heartbeat_interval,
        )

    async def _start_jupyter_server_extension(self, serverapp: ServerApp) -> None:
        # Here, not in initialize_settings: the scheduler's tasks need the running loop.
        scheduler = self.settings.get(SCHEDULER_SETTING)
        if scheduler is not None and not scheduler.started:
            scheduler.start()

    async def stop_extension(self) -> None:
        scheduler = self.settings.get(SCHEDULER_SETTING)
        if scheduler is not None:
            await scheduler.stop()
        database = self.settings.get("studio_database")
        if isinstance(database, Database):
            database.dispose()


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    """Lets `jpserver_extensions = {"studio.app": True}` name this module directly."""
    return [{"module": "studio.app", "app": StudioApp}]
