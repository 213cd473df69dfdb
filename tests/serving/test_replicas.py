"""Two `studio serve` replicas of one endpoint (one with two uvicorn workers) sharing one
store and one artifact root, behind a round-robin client, as real processes: weights
changed live under load fail no request; stopping both during load (SIGTERM to one; SIGKILL to
the other's supervisor, whose orphaned workers then stop by themselves) loses no acknowledged
request; every answer is counted in the store's metrics and captured in Parquet. Runs on
SQLite and, in the PostgreSQL pass, on PostgreSQL (the deployment the README names)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from studio.config import StudioConfig
from studio.db.engine import Database
from studio.serving.service import EndpointService
from studio.serving.store_stats import endpoint_metrics
from tests.databases import fresh_database
from tests.serving.deployments import (
    Answer,
    body,
    captured_request_ids,
    deploy,
    frame,
    post_rows,
    register_models,
    start_serve,
    stop_serve,
    wait_ready,
)

ENDPOINT = "shared"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, StudioConfig]]:
    folder = tmp_path_factory.mktemp("replicas")
    with fresh_database(str(folder / "studio.db"), migrated=True) as url:
        config = StudioConfig(home=folder / "home", db_url=url, artifact_root=str(folder / "art"))
        database = Database(url)
        deploy(database, config, ENDPOINT, register_models(database, config), {"A": 1.0, "B": 1.0})
        yield database, config
        database.dispose()


def _bodies(count: int, seed: int) -> list[bytes]:
    rows = frame(count, seed=seed)
    return [json.dumps(body(rows.iloc[[i]])).encode() for i in range(count)]


def test_two_replicas_live_weights_stops_and_every_answer_accounted_for(
    store: tuple[Database, StudioConfig], tmp_path: Path
) -> None:
    database, config = store
    service = EndpointService.from_database(database, config)
    since = int(time.time()) - 1
    first = start_serve(config, ENDPOINT, "--workers", "2", log=tmp_path / "first.log")
    second = start_serve(config, ENDPOINT, log=tmp_path / "second.log")
    try:
        wait_ready(*first, tmp_path / "first.log")
        wait_ready(*second, tmp_path / "second.log")
        ports = [first[1], second[1]]
        replicas = sorted((r.port, r.workers) for r in service.replicas(ENDPOINT) if r.alive)
        assert replicas == sorted([(first[1], 2), (second[1], 1)])

        def change_weights() -> None:
            time.sleep(0.8)
            service.update(ENDPOINT, weights={"A": 0.0, "B": 1.0})
            time.sleep(1.2)
            service.update(ENDPOINT, weights={"A": 1.0, "B": 0.0})

        changer = threading.Thread(target=change_weights)
        changer.start()
        started = time.monotonic()
        live: list[Answer] = []
        while changer.is_alive() or time.monotonic() - started < 3.0:
            live += asyncio.run(post_rows(ports, _bodies(200, len(live)), 8))
        changer.join()
        assert len(live) >= 400
        assert {answer.status for answer in live} == {200}
        assert {answer.variant for answer in live} == {"A", "B"}
        time.sleep(1.0)  # every worker of both replicas polls within half a second
        after = asyncio.run(post_rows(ports, _bodies(80, 7), 4))
        assert {answer.variant for answer in after} == {"A"}

        workers = psutil.Process(first[0].pid).children()
        assert len(workers) >= 2
        # skops was imported without PyTorch (studio.serving.loading.import_skops).
        assert not any("libtorch" in m.path for w in workers for m in w.memory_maps())

        async def load_then_stop() -> list[Answer]:
            load = asyncio.ensure_future(post_rows(ports, _bodies(3000, 9), 8))
            await asyncio.sleep(0.6)
            # The first replica's supervisor dies without a word: its workers, orphaned,
            # stop by themselves as gracefully as the second replica does on SIGTERM.
            first[0].kill()
            os.killpg(second[0].pid, signal.SIGTERM)
            return await load

        during = asyncio.run(load_then_stop())
        assert second[0].wait(timeout=45) == 0
        _, alive = psutil.wait_procs(workers, timeout=45)
        assert alive == []
    finally:
        stop_serve(first[0])
        stop_serve(second[0])
    assert 0 < len(during) < 3000  # the stop came during the load
    acknowledged = {a.request_id for a in live + after + during if a.status == 200}
    captured = captured_request_ids(config.artifact_root, ENDPOINT)
    assert len(captured) == len(set(captured))
    assert acknowledged <= set(captured)
    totals = endpoint_metrics(database, service.endpoint_id(ENDPOINT), since_s=since)["totals"]
    answered = sum(variant["invocations"] for name, variant in totals.items() if name != "S")
    assert answered == len(captured)
    assert totals["S"]["invocations"] == answered  # the shadow got a copy of each
    writers = {
        path.name.rsplit("-", 2)[0] for path in Path(config.artifact_root).rglob("*.parquet")
    }
    assert len(writers) == 3  # three workers' files: 2 + 1
    stopped = {replica.port: replica for replica in service.replicas(ENDPOINT)}
    assert stopped[second[1]].stopped_at is not None
    assert stopped[second[1]].error is None
    assert stopped[first[1]].stopped_at is not None
    assert "supervisor" in (stopped[first[1]].error or "")
