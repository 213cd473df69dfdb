"""Real `studio serve` processes started and stopped by Studio: a server outlives the process
(or the Jupyter server) that started it, the Jupyter server's proxy reaches it, stopping it
leaves no process of its group, and a server that cannot come up is reported with its log.
Real models, registered and approved; SQLite only (no store-specific SQL here: the store's
own tests run on both databases)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil
import pytest

from studio.config import StudioConfig
from studio.db.engine import Database
from studio.registry.service import RegistryService
from studio.serving.process import READY_TIMEOUT
from studio.serving.service import EndpointService
from studio.tracking.service import TrackingService
from tests.databases import sqlite_only
from tests.registry.models import ROWS, logistic, run_with_model

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator

    from tests.conftest import StudioFetch

pytestmark = sqlite_only

ENDPOINT = "iris"
JSON = "application/json"


def group_processes(pgid: int) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter():
        try:
            if os.getpgid(process.pid) == pgid and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except (ProcessLookupError, psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EndpointService]:
    """A store with two approved versions of a real model behind endpoint "iris"."""
    root = tmp_path_factory.mktemp("serving")
    config = StudioConfig(
        home=root / "home", db_url=f"sqlite:///{root / 'studio.db'}", artifact_root=str(root / "a")
    )
    database = Database.from_config(config)
    registry = RegistryService(database, config)
    tracking = TrackingService.from_database(database, config)
    for _ in (1, 2):
        version = registry.register(run_with_model(tracking, logistic()), "iris")
        registry.approve("iris", version.version)
    registry.set_alias("iris", "champion", 1)
    service = EndpointService(database, config, registry)
    service.create(
        ENDPOINT,
        {
            "A": ("models:/iris/1", 1.0),
            "B": ("models:/iris/2", 1.0),
            "C": ("models:/iris@champion", 0),
        },
    )
    yield service
    for replica in service.store.replica_processes(ENDPOINT):  # whatever a failed test left
        with contextlib.suppress(ProcessLookupError):
            os.killpg(replica.pgid, signal.SIGKILL)
    database.dispose()


@pytest.fixture
def studio_home(store: EndpointService) -> Path:
    return store.studio_config.home


@pytest.fixture
def studio_db_url(store: EndpointService) -> str:
    return store.studio_config.db_url


@pytest.fixture
def studio_artifact_root(store: EndpointService) -> Path:
    return Path(store.studio_config.artifact_root)


def invoke(port: int, body: dict[str, Any], **headers: str) -> tuple[int, dict[str, str], Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/invocations",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **headers},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return (
            answer.status,
            {k.lower(): v for k, v in answer.headers.items()},
            json.loads(answer.read()),
        )


def champion_version(port: int) -> tuple[int, int]:
    """(config_version, the version variant C serves) as a worker of the server has it."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metadata", timeout=30) as answer:
        metadata = json.loads(answer.read())
    (served,) = [v["model_version"] for v in metadata["variants"] if v["name"] == "C"]
    return metadata["config_version"], served


ROWS_IN = {"inputs": ROWS[:3].tolist()}
EXPECTED = logistic().predict(ROWS[:3]).tolist()


async def test_the_panel_starts_it_and_the_proxy_reaches_it(
    studio_fetch: StudioFetch, jp_fetch: Callable[..., Awaitable[Any]], store: EndpointService
) -> None:
    # A port already taken: the server cannot come up, and the answer says why.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        answer = await studio_fetch(
            "POST", f"endpoints/{ENDPOINT}/start", body={"port": port, "workers": 2}
        )
    answer.error(409, "exited with status", "Address already in use")
    # Two workers import scikit-learn and load the models: slow on a busy machine.
    started = await jp_fetch(
        "studio/api",
        f"endpoints/{ENDPOINT}/start",
        method="POST",
        body=json.dumps({"workers": 2}),
        request_timeout=READY_TIMEOUT + 10,
    )
    assert started.code == 200
    endpoint = json.loads(started.body)
    assert endpoint["running"] is True
    (replica,) = [r for r in endpoint["replicas"] if r["alive"]]
    assert (replica["workers"], replica["managed"], replica["host"]) == (
        2,
        True,
        socket.gethostname(),
    )
    answer = await studio_fetch("POST", f"endpoints/{ENDPOINT}/start", body={})
    answer.error(409, "already runs on this machine")
    answer = await studio_fetch(
        "POST",
        f"endpoints/{ENDPOINT}/invocations",
        body=json.dumps(ROWS_IN).encode(),
        headers={
            "Content-Type": "application/json",
            "X-Target-Variant": "B",
            "X-Request-Id": "r-1",
        },
    )
    assert answer.code == 200, answer.body
    assert answer.json == {"predictions": EXPECTED}
    assert (answer.headers["X-Variant"], answer.headers["X-Request-Id"]) == ("B", "r-1")
    # The serving process's own refusals come back as they are.
    answer = await studio_fetch(
        "POST",
        f"endpoints/{ENDPOINT}/invocations",
        body=b"{",
        headers={"Content-Type": "application/json"},
    )
    assert answer.code == 400
    assert "error_code" in answer.json
    assert (store.studio_config.home / "serving" / f"{ENDPOINT}.log").exists()
    assert [e["kind"] for e in store.events(ENDPOINT)][-1] == "started"


async def test_it_outlives_the_jupyter_server_that_started_it(
    studio_fetch: StudioFetch, store: EndpointService
) -> None:
    """The previous test's Jupyter server has stopped since; this one stops the endpoint."""
    (replica,) = [r for r in store.replicas(ENDPOINT) if r.alive]
    # The supervisor and its two workers, in a process group of their own.
    assert replica.pid != os.getpgrp()
    assert len(group_processes(replica.pid)) >= 3
    status, headers, body = invoke(replica.port, ROWS_IN, **{"X-Target-Variant": "A"})
    assert (status, headers["x-variant"], body) == (200, "A", {"predictions": EXPECTED})
    # Moving @champion reaches the running server without a new configuration version.
    assert champion_version(replica.port) == (1, 1)
    store.registry.set_alias("iris", "champion", 2)
    deadline = time.monotonic() + 10
    while champion_version(replica.port) != (1, 2) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)  # both workers poll every half second
    assert {champion_version(replica.port) for _ in range(6)} == {(1, 2)}
    answer = await studio_fetch("POST", f"endpoints/{ENDPOINT}/stop")
    assert answer.code == 200, answer.json
    assert (answer.json["running"], answer.json["replicas"]) == (False, [])
    assert group_processes(replica.pid) == []
    assert all(r.stopped_at is not None for r in store.replicas(ENDPOINT))
    answer = await studio_fetch("POST", f"endpoints/{ENDPOINT}/invocations", body=b"{}")
    assert answer.code == 503
    assert store.stop(ENDPOINT) == []
    assert [e["kind"] for e in store.events(ENDPOINT)][-1] == "stopped"
