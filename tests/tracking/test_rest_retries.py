"""Retries never store a batch twice: a real server behind a loopback proxy that lets the
batch through (so the server commits it), then drops the connection, answers 502, or answers
after the client has given up. The client's writer retries; every point is stored once.

The server runs on the test's event loop, the proxy in its own thread, and the blocking
client in another (`asyncio.to_thread`).
"""

from __future__ import annotations

import asyncio
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import pytest

from studio.tracking.rest import RestTrackingClient
from studio.tracking.validation import MAX_BATCH_METRICS
from studio.tracking.writer import BatchWriter

if TYPE_CHECKING:
    from jupyter_server.serverapp import ServerApp

    from studio.tracking.service import TrackingService
    from tests.conftest import StudioFetch

call = asyncio.to_thread
CLIENT_TIMEOUT = 1.0
HOP_HEADERS = {"host", "content-length", "connection", "transfer-encoding"}


class FaultyProxy(ThreadingHTTPServer):
    """Forwards every request; a batch POST whose turn has a fault reaches the server, and
    then its answer is lost: 'drop' closes the connection, '502' answers Bad Gateway, 'late'
    answers after the client's timeout."""

    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        super().__init__(("127.0.0.1", 0), _Forward)
        self.upstream = upstream
        self.faults: list[str | None] = []  # one per batch POST, in order; then none
        self.batches_forwarded = 0
        self.faults_done: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Forward(BaseHTTPRequestHandler):
    server: FaultyProxy

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: pytest shows stderr of failing tests only, and this is noise

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request = urllib.request.Request(
            self.server.upstream + self.path,
            data=self.rfile.read(length) if length else None,
            method=self.command,
            headers={k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                status, content_type, payload = answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as error:
            status, content_type, payload = error.code, error.headers, error.read()
        fault = None
        if self.command == "POST" and self.path.split("?")[0].endswith("/batch"):
            self.server.batches_forwarded += 1
            fault = self.server.faults.pop(0) if self.server.faults else None
        if fault is not None:
            self.server.faults_done.append(fault)
        if fault == "drop":
            self.close_connection = True
            return
        if fault == "502":
            payload = b'{"message": "bad gateway", "reason": null}'
            status = 502
        if fault == "late":
            time.sleep(CLIENT_TIMEOUT + 0.5)
        self.send_response(status)
        self.send_header("Content-Type", content_type.get("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward


@pytest.fixture
def proxy(
    jp_serverapp: ServerApp, http_server: Any, jp_http_port: int, jp_base_url: str
) -> Iterator[FaultyProxy]:
    server = FaultyProxy(f"http://127.0.0.1:{jp_http_port}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def client(proxy: FaultyProxy, jp_serverapp: ServerApp, jp_base_url: str) -> RestTrackingClient:
    token = jp_serverapp.identity_provider.token
    return RestTrackingClient(f"{proxy.url}{jp_base_url}", token, timeout=CLIENT_TIMEOUT)


def _write_through_writer(client: RestTrackingClient, rows: list[Any]) -> None:
    writer = BatchWriter(client.write_metrics, interval=60)
    for row in rows:
        writer.add(row)
    writer.close()  # flushes: the one batch, retried until it is answered


@pytest.mark.parametrize("fault", ["drop", "502", "late"])
async def test_a_batch_stored_but_not_answered_is_not_stored_again(
    client: RestTrackingClient, proxy: FaultyProxy, studio_tracking: TrackingService, fault: str
) -> None:
    run = studio_tracking.create_run(studio_tracking.create_experiment("e").id)
    rows = [(run.id, "loss", 1.0 / (1 + step), step, 1000 + step) for step in range(200)]
    proxy.faults = [fault]
    await call(_write_through_writer, client, rows)

    assert proxy.faults_done == [fault]
    assert proxy.batches_forwarded == 2  # the first attempt reached the server too
    history = studio_tracking.get_metric_history(run.id, "loss")
    assert history.total == len(rows)
    assert history.steps == list(range(200))
    assert studio_tracking.get_run(run.id).metrics["loss"].count == len(rows)


async def test_a_retry_resends_every_chunk_with_its_id(
    client: RestTrackingClient, proxy: FaultyProxy, studio_tracking: TrackingService
) -> None:
    """A run's rows beyond the batch limit go as two batches; the second is stored but
    unanswered. The writer's retry sends both again: the server skips both."""
    run = studio_tracking.create_run(studio_tracking.create_experiment("e").id)
    count = MAX_BATCH_METRICS + 100
    rows = [(run.id, "acc", step / count, step, 1000 + step) for step in range(count)]
    proxy.faults = [None, "drop"]
    await call(_write_through_writer, client, rows)

    assert proxy.faults_done == ["drop"]
    assert proxy.batches_forwarded == 4
    assert studio_tracking.get_metric_history(run.id, "acc").total == count


async def test_a_duplicate_post_is_stored_once(
    studio_fetch: StudioFetch, studio_tracking: TrackingService
) -> None:
    experiment = studio_tracking.create_experiment("e")
    run, other = (studio_tracking.create_run(experiment.id) for _ in range(2))
    body = {
        "metrics": [{"key": "loss", "value": 0.5, "step": s, "timestamp": s} for s in range(10)],
        "tags": {"stage": "dev"},
        "batch_id": "0123456789abcdef0123456789abcdef-0",
    }
    for _ in range(2):
        assert (await studio_fetch("POST", f"runs/{run.id}/batch", body=body)).code == 204
    assert studio_tracking.get_metric_history(run.id, "loss").total == 10
    (await studio_fetch("POST", f"runs/{other.id}/batch", body=body)).error(409, "another run")
    assert studio_tracking.get_metric_history(other.id, "loss").total == 0
    for bad in ("", "a" * 65, "a/b"):
        answer = await studio_fetch("POST", f"runs/{run.id}/batch", body={**body, "batch_id": bad})
        assert answer.code in (400, 422), answer.json
    assert studio_tracking.get_metric_history(run.id, "loss").total == 10
