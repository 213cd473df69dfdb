"""`studio.jobs.run_notebook` through a Jupyter server's REST API: the server's scheduler
runs the notebook (a real papermill run), woken by the handler, and the caller waits for it.
No store-specific SQL: SQLite only."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import studio.jobs
from studio.config import TOKEN_ENV
from studio.jobs import clients
from studio.jobs.entities import JobStatus
from studio.jobs.handlers import SCHEDULER_SETTING
from tests.databases import sqlite_only
from tests.jobs.notebooks import write_notebook

if TYPE_CHECKING:
    from collections.abc import Iterator

    from jupyter_server.serverapp import ServerApp
    from traitlets.config import Config

pytestmark = sqlite_only


@pytest.fixture
def jp_server_config(jp_server_config: Config) -> Config:
    jp_server_config.StudioApp.job_heartbeat_interval = 0.5
    return jp_server_config


@pytest.fixture
def server_url(
    jp_serverapp: ServerApp,
    http_server: Any,
    jp_http_port: int,
    jp_base_url: str,
    jp_root_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    """The server's URL; its token in the environment, as a kernel it started has it."""
    monkeypatch.setenv(TOKEN_ENV, jp_serverapp.identity_provider.token)
    write_notebook(jp_root_dir / "work" / "train.ipynb", ["print(alpha * 2)"], {"alpha": 1})
    yield f"http://127.0.0.1:{jp_http_port}{jp_base_url}"
    clients._clients.clear()


async def test_the_server_runs_what_is_queued_and_the_caller_waits(
    server_url: str, jp_root_dir: Path, jp_serverapp: ServerApp
) -> None:
    app = jp_serverapp.extension_manager.extension_points["studio"].app
    # Its next look for work would be in a minute: the handler's wake() makes it now.
    app.settings[SCHEDULER_SETTING].tick = 60
    await app._start_jupyter_server_extension(jp_serverapp)  # pytest-jupyter's never calls it
    server_jobs = jp_serverapp.web_app.settings["studio_jobs"]
    while not server_jobs.live_schedulers():  # registered at its first tick
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # that tick has looked for work, and found none
    through_rest = await asyncio.to_thread(
        studio.jobs.run_notebook,
        "work/train.ipynb",
        {"alpha": 5},
        progress=False,
        tracking_uri=server_url,
    )
    assert through_rest.status is JobStatus.SUCCEEDED, through_rest.error
    assert through_rest.run_id is not None
    assert through_rest.progress.cells_done == through_rest.progress.cells_total == 3
    assert through_rest.output_path is None  # the server's file: not for the caller to read
    [stored] = server_jobs.list_runs()[0]
    assert stored.status is JobStatus.SUCCEEDED
    assert (stored.started_at or 0) - stored.created_at < 10_000
    assert "10" in (Path(stored.output_dir or "") / "output.ipynb").read_text()
