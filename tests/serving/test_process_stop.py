"""Stopping signals what Studio started on this machine, by process group, and nothing else:
real processes (a shell and its child in a session of their own stand in for a server and its
workers; tests/serving/test_process_serve.py stops a real `studio serve`). SQLite only."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import psutil
import pytest

from studio.config import StudioConfig
from studio.serving.process import this_host
from studio.serving.service import EndpointService
from tests.databases import sqlite_only
from tests.serving.registry_rows import add_version

if TYPE_CHECKING:
    from collections.abc import Iterator

    from studio.db.engine import Database

pytestmark = sqlite_only


@pytest.fixture
def service(database: Database, database_url: str, tmp_path: Path) -> EndpointService:
    config = StudioConfig.resolve(home=tmp_path / "home", db_url=database_url)
    add_version(database, "iris", 1)
    built = EndpointService.from_database(database, config)
    built.create("iris", {"A": "models:/iris/1"})
    return built


@pytest.fixture
def groups() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        process.kill()
        process.wait()


def spawn(groups: list[subprocess.Popen[bytes]]) -> tuple[subprocess.Popen[bytes], list[int]]:
    """A shell with a child, in a new session; the pids of both."""
    shell = subprocess.Popen(["sh", "-c", "sleep 60 & wait"], start_new_session=True)
    groups.append(shell)
    parent = psutil.Process(shell.pid)
    while not parent.children():
        pass
    return shell, [shell.pid, *(child.pid for child in parent.children())]


def register(
    service: EndpointService, shell: subprocess.Popen[bytes], *, managed: bool, host: str = ""
) -> str:
    return service.register_replica(
        "iris",
        host=host or this_host(),
        bind_host="127.0.0.1",
        port=1,
        pid=shell.pid,
        pgid=shell.pid,
        pid_started_at=psutil.Process(shell.pid).create_time(),
        workers=1,
        managed=managed,
    )


def running(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
        except psutil.NoSuchProcess:
            continue
    return alive


def test_stop_kills_the_groups_studio_started_here_only(
    service: EndpointService, groups: list[subprocess.Popen[bytes]]
) -> None:
    managed, managed_pids = spawn(groups)
    by_hand, by_hand_pids = spawn(groups)
    elsewhere, elsewhere_pids = spawn(groups)
    mine = register(service, managed, managed=True)
    register(service, by_hand, managed=False)
    register(service, elsewhere, managed=True, host="another-machine")
    stopped = service.stop("iris")
    assert [replica.id for replica in stopped] == [mine]
    assert stopped[0].stopped_at is not None
    managed.wait(timeout=10)
    assert running(managed_pids) == []  # the shell's child too: the whole group
    assert running(by_hand_pids) == by_hand_pids
    assert running(elsewhere_pids) == elsewhere_pids
    assert sorted(r.managed for r in service.replicas("iris") if r.stopped_at is None) == [
        False,
        True,
    ]
    assert service.events("iris")[-1]["kind"] == "stopped"


def test_a_pid_reused_by_another_process_is_not_signalled(
    service: EndpointService, groups: list[subprocess.Popen[bytes]]
) -> None:
    shell, pids = spawn(groups)
    service.register_replica(
        "iris",
        host=this_host(),
        bind_host="127.0.0.1",
        port=1,
        pid=shell.pid,
        pgid=shell.pid,
        pid_started_at=psutil.Process(shell.pid).create_time() - 100,  # another process's
        workers=1,
        managed=True,
    )
    (stopped,) = service.stop("iris")
    assert stopped.error == "not running"
    assert running(pids) == pids
