"""`studio.jobs` and `studio jobs` through a Studio server (STUDIO_TRACKING_URI=http://...),
against a real Jupyter server whose scheduler is off: runs are queued, read, listed and
cancelled over REST, with the same answers and errors as locally. On both databases."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest

import studio.jobs
from studio.config import TOKEN_ENV, TRACKING_URI_ENV
from studio.errors import Conflict, InvalidInput, NotFound
from studio.jobs import clients
from studio.jobs.cli import main
from studio.jobs.entities import JobStatus, Trigger
from tests.jobs.notebooks import write_notebook

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from jupyter_server.serverapp import ServerApp
    from traitlets.config import Config

    from studio.jobs.service import JobService

call = asyncio.to_thread


@pytest.fixture
def jp_server_config(jp_server_config: Config) -> Config:
    jp_server_config.StudioApp.scheduler_enabled = False
    return jp_server_config


@pytest.fixture
def server(
    jp_serverapp: ServerApp,
    http_server: Any,
    jp_http_port: int,
    jp_base_url: str,
    jp_root_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[JobService]:
    """The server's URL and token in the environment, as a kernel it started has them; its
    JobService, to check what the calls did."""
    monkeypatch.setenv(TRACKING_URI_ENV, f"http://127.0.0.1:{jp_http_port}{jp_base_url}")
    monkeypatch.setenv(TOKEN_ENV, jp_serverapp.identity_provider.token)
    write_notebook(jp_root_dir / "work" / "train.ipynb", ["print(alpha)"], {"alpha": 0.1})
    yield jp_serverapp.web_app.settings["studio_jobs"]
    clients._clients.clear()


async def test_runs_through_the_server(server: JobService) -> None:
    queued = await call(
        studio.jobs.run_notebook,
        "work/train.ipynb",
        parameters={"alpha": 2},
        timeout=30,
        wait=False,
    )
    assert (queued.status, queued.trigger, queued.notebook_path) == (
        JobStatus.QUEUED,
        Trigger.API,
        "work/train.ipynb",
    )
    stored = server.get_run(queued.id)
    assert stored.spec.parameters == {"alpha": 2}
    assert stored.spec.timeout == 30
    assert await call(studio.jobs.get_run, queued.id) == queued
    assert [r.id for r in await call(studio.jobs.list_runs, status="QUEUED")] == [queued.id]
    cancelled = await call(studio.jobs.cancel, queued.id)
    assert cancelled.status is JobStatus.CANCELLED
    assert server.get_run(queued.id).status is JobStatus.CANCELLED
    with pytest.raises(Conflict, match="already ended"):
        await call(studio.jobs.cancel, queued.id)
    with pytest.raises(NotFound):
        await call(studio.jobs.get_run, 999)
    # Refused before sending, as the server would refuse it.
    with pytest.raises(InvalidInput, match="retries"):
        await call(studio.jobs.run_notebook, "work/train.ipynb", retries=99, wait=False)
    with pytest.raises(InvalidInput, match="out of the server"):
        await call(studio.jobs.run_notebook, "../train.ipynb", wait=False)


async def test_definitions_through_the_server(
    server: JobService, capsys: pytest.CaptureFixture[str]
) -> None:
    made = await call(
        studio.jobs.create_definition, "work/train.ipynb", "0 6 * * 1", "Europe/Paris"
    )
    assert (made.name, made.schedule, made.timezone) == ("train", "0 6 * * 1", "Europe/Paris")
    assert server.get_definition(made.id).schedule == "0 6 * * 1"
    queued = await call(studio.jobs.run_definition, "train", {"alpha": 5}, wait=False)
    assert (queued.definition_id, queued.parameters) == (made.id, {"alpha": 5})

    assert await call(main, ["definitions", "pause", "train"]) == 0
    assert not server.get_definition(made.id).active
    assert await call(main, ["definitions", "list"]) == 0
    assert "train\tpaused\t0 6 * * 1 (Europe/Paris)" in capsys.readouterr().out
    assert await call(main, ["list", "--status", "QUEUED"]) == 0
    assert f"{queued.id}\tQUEUED\ttrain\tmanual" in capsys.readouterr().out
    assert await call(main, ["definitions", "delete", str(made.id)]) == 0
    assert await call(main, ["definitions", "resume", "train"]) == 2
    assert "No job definition is named 'train'" in capsys.readouterr().err
