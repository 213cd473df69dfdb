"""`studio serve` as a real process with two uvicorn workers: weights changed live under
concurrent load fail no request, SIGTERM during load loses no acknowledged request from the
capture, and the replica is recorded and marked stopped. Started once for the module."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.config import StudioConfig
from studio.db.engine import Database
from studio.serving.serve_cli import main
from studio.serving.service import EndpointService
from studio.serving.store_stats import endpoint_metrics
from tests.databases import fresh_database
from tests.serving.deployments import (
    body,
    captured_request_ids,
    deploy,
    frame,
    post_rows,
    register_models,
    studio_serve,
)

ENDPOINT = "live"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, StudioConfig]]:
    folder = tmp_path_factory.mktemp("serve-cli")
    with fresh_database(str(folder / "studio.db"), migrated=True) as url:
        config = StudioConfig(home=folder / "home", db_url=url, artifact_root=str(folder / "art"))
        database = Database(url)
        deploy(database, config, ENDPOINT, register_models(database, config), {"A": 1.0, "B": 1.0})
        yield database, config
        database.dispose()


def _bodies(count: int, seed: int) -> list[bytes]:
    rows = frame(count, seed=seed)
    return [json.dumps(body(rows.iloc[[i]])).encode() for i in range(count)]


def test_live_weights_and_sigterm_with_two_workers(
    store: tuple[Database, StudioConfig], tmp_path: Path
) -> None:
    database, config = store
    service = EndpointService.from_database(database, config)
    since = int(time.time()) - 1
    with studio_serve(config, ENDPOINT, "--workers", "2", log=tmp_path / "serve.log") as (
        process,
        port,
    ):
        (replica,) = [r for r in service.replicas(ENDPOINT) if r.alive]
        assert (replica.port, replica.workers, replica.pid) == (port, 2, process.pid)

        def change_weights() -> None:
            time.sleep(0.8)
            service.update(ENDPOINT, weights={"A": 0.0, "B": 1.0})
            time.sleep(1.2)
            service.update(ENDPOINT, weights={"A": 1.0, "B": 0.0})

        changer = threading.Thread(target=change_weights)
        changer.start()
        started = time.monotonic()
        answers = []
        while changer.is_alive() or time.monotonic() - started < 3.2:
            answers += asyncio.run(post_rows("127.0.0.1", port, _bodies(200, len(answers)), 8))
        changer.join()
        assert len(answers) >= 400
        assert {answer.status for answer in answers} == {200}
        assert {answer.variant for answer in answers} == {"A", "B"}
        # Both workers took the last change within a second: only A answers now.
        time.sleep(1.0)
        after = asyncio.run(post_rows("127.0.0.1", port, _bodies(60, 7), 4))
        assert {answer.variant for answer in after} == {"A"}

        async def load_then_sigterm() -> list[object]:
            load = asyncio.ensure_future(post_rows("127.0.0.1", port, _bodies(3000, 9), 8))
            await asyncio.sleep(0.6)
            os.killpg(process.pid, signal.SIGTERM)
            return list(await load)

        during = asyncio.run(load_then_sigterm())
        assert process.wait(timeout=45) == 0
    acknowledged = {a.request_id for a in answers + after + during if a.status == 200}  # type: ignore[attr-defined]
    assert 0 < len(during) < 3000  # the stop came during the load
    captured = captured_request_ids(config.artifact_root, ENDPOINT)
    assert acknowledged <= set(captured)
    totals = endpoint_metrics(database, service.endpoint_id(ENDPOINT), since_s=since)["totals"]
    assert sum(variant["invocations"] for name, variant in totals.items() if name != "S") == len(
        captured
    )
    (stopped,) = service.replicas(ENDPOINT)
    assert stopped.stopped_at is not None
    assert stopped.error is None
    assert not stopped.alive


def test_an_endpoint_without_a_token_is_not_served_beyond_loopback(
    store: tuple[Database, StudioConfig],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, config = store
    for name, value in config.environment().items():
        monkeypatch.setenv(name, value)
    assert main([ENDPOINT, "--host", "0.0.0.0"]) == 2
    assert "loopback" in capsys.readouterr().err
    monkeypatch.delenv("SERVE_TEST_TOKEN", raising=False)
    assert main([ENDPOINT, "--host", "0.0.0.0", "--token-env", "SERVE_TEST_TOKEN"]) == 2
    assert "SERVE_TEST_TOKEN" in capsys.readouterr().err
