"""The scheduler inside the Jupyter server: built from the app's traits, started once the
server's loop runs, reachable by the handlers, stopped with the server."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from studio.app import StudioApp
from studio.jobs.entities import JobStatus
from studio.jobs.handlers import SCHEDULER_SETTING
from studio.jobs.scheduler import Scheduler
from tests.jobs.notebooks import write_notebook
from tests.jobs.scheduling import wait_for_run

if TYPE_CHECKING:
    from jupyter_server.serverapp import ServerApp
    from traitlets.config import Config

    from studio.jobs.service import JobService


def _studio_app(serverapp: ServerApp) -> StudioApp:
    app = serverapp.extension_manager.extension_points["studio"].app
    assert isinstance(app, StudioApp)
    return app


@pytest.fixture
def jp_server_config(jp_server_config: Config, request: pytest.FixtureRequest) -> Config:
    jp_server_config.StudioApp.update(getattr(request, "param", {}))
    return jp_server_config


@pytest.mark.parametrize(
    "jp_server_config", [{"max_concurrent_jobs": 3, "job_heartbeat_interval": 0.5}], indirect=True
)
async def test_the_server_runs_a_scheduler_with_its_settings(
    jp_serverapp: ServerApp, tmp_path: Path
) -> None:
    app = _studio_app(jp_serverapp)
    scheduler = app.settings[SCHEDULER_SETTING]
    assert isinstance(scheduler, Scheduler)
    assert (scheduler.max_concurrent_jobs, scheduler.heartbeat_interval) == (3, 0.5)
    assert scheduler.executor.name == "local"
    assert not scheduler.started
    # The server's hook, once its loop runs (pytest-jupyter's server never calls it).
    await app._start_jupyter_server_extension(jp_serverapp)
    assert scheduler.started
    service: JobService = app.settings["studio_jobs"]
    notebook = write_notebook(tmp_path / "nb" / "secret.ipynb", ["x = 1"])
    job_run = service.submit(notebook, secret_environment={"TOKEN": "STUDIO_TEST_NO_SUCH_VAR"})
    scheduler.wake()
    ended = await wait_for_run(service, job_run.id, 10)
    assert ended.status is JobStatus.FAILED
    assert [row["id"] for row in service.live_schedulers()] == [scheduler.id]
    await app.stop_extension()
    assert not scheduler.started
    assert service.live_schedulers() == []


@pytest.mark.parametrize(
    "jp_server_config",
    [
        {"scheduler_enabled": False},
        # Misconfigured: the server still starts, without jobs (and says why in its log).
        {"executor_class": "dask", "dask_scheduler_address": ""},
    ],
    indirect=True,
)
async def test_a_server_may_run_without_a_scheduler(jp_serverapp: ServerApp) -> None:
    app = _studio_app(jp_serverapp)
    assert SCHEDULER_SETTING not in app.settings
    await app._start_jupyter_server_extension(jp_serverapp)
    assert SCHEDULER_SETTING not in app.settings
