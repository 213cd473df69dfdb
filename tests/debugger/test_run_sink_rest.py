"""RunSink and `studio.Client`'s debugger reads over a Studio server's REST API (a real
jupyter_server on a loopback port; the blocking clients run in threads)."""

from __future__ import annotations

import asyncio
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

import studio
from studio.config import TOKEN_ENV
from studio.debugger.entities import Finding, RuleState, RuleStatus
from studio.debugger.rest import RestDebuggerClient
from studio.debugger.run_sink import RunSink
from studio.errors import InvalidInput, NotFound
from studio.tracking import backends
from studio.tracking.backends import Connection
from studio.tracking.fluent import Run
from studio.tracking.rest import RestTrackingClient
from tests.debugger.test_run_sink import TENSORS, record

if TYPE_CHECKING:
    from collections.abc import Iterator

    from jupyter_server.serverapp import ServerApp

    from studio.debugger.service import DebuggerService

call = asyncio.to_thread


@pytest.fixture
def url(jp_serverapp: ServerApp, http_server: Any, jp_http_port: int, jp_base_url: str) -> str:
    return f"http://127.0.0.1:{jp_http_port}{jp_base_url}"


@pytest.fixture
def connection(url: str, jp_serverapp: ServerApp) -> Iterator[Connection]:
    """A kernel's connection to the server, by its URL and token."""
    client = RestTrackingClient(url, jp_serverapp.identity_provider.token)
    connected = Connection(client, url)
    yield connected
    connected.writer.close()


@pytest.fixture
def debugger(jp_serverapp: ServerApp) -> DebuggerService:
    service: DebuggerService = jp_serverapp.web_app.settings["studio_debugger"]
    return service


def new_run(connection: Connection) -> Run:
    backend = connection.backend
    experiment = backend.get_or_create_experiment("remote")
    return Run(connection, backend.create_run(experiment.id, name="train"))


def log(run: Run) -> RunSink:
    sink = RunSink(run, records_per_append=10)
    for step in range(15):
        sink.write(record(step), (), ())
    finding = Finding("ExplodingTensor", 3, (TENSORS[1],), "NaN", values={"nan": math.nan})
    sink.write(None, [finding], [RuleState("ExplodingTensor", RuleStatus.FIRING, {"t": 1.5}, 3)])
    sink.close()
    return sink


async def test_a_sink_writes_through_the_rest_api(
    connection: Connection, debugger: DebuggerService
) -> None:
    run = await call(new_run, connection)
    sink = await call(log, run)
    assert isinstance(sink.debugger, RestDebuggerClient)
    assert sink.appends <= 3

    frame = debugger.get_tensor_stats(run.id, mode="train")
    assert frame[frame.tensor == TENSORS[0]]["step"].tolist() == list(range(15))
    counts = {info.key: info.count for info in debugger.series.list_series(run.id, "tensor")}
    assert counts["train/weights/fc1.weight/hist[1]"] == 15
    assert counts["train/weights/fc1.weight/edge[2]"] == 1
    assert counts["train/step/skipped"] == 15
    (finding,) = debugger.get_findings(run.id)
    assert math.isnan(finding.values["nan"])
    (state,) = debugger.get_rule_states(run.id)
    assert (state.status, state.parameters, state.findings) == (RuleStatus.FIRING, {"t": 1.5}, 1)


async def test_the_rest_client_pages_findings_and_refuses_before_sending(
    connection: Connection, debugger: DebuggerService
) -> None:
    run = await call(new_run, connection)
    client = RestDebuggerClient(connection.backend)  # type: ignore[arg-type]
    stored = await call(client.record_findings, run.id, [Finding("R", s) for s in range(7)])
    assert [f.id for f in stored] == [f.id for f in debugger.get_findings(run.id)]
    page = await call(client.get_findings, run.id, after_id=stored[1].id, max_results=3)
    assert [f.step for f in page] == [2, 3, 4]
    assert [f.step for f in await call(client.get_findings, run.id)] == list(range(7))
    with pytest.raises(InvalidInput, match="step"):
        await call(client.record_findings, run.id, [Finding("R", -1)])
    with pytest.raises(NotFound):
        await call(client.get_rule_states, "missing")


async def test_the_client_reads_statistics_and_findings_over_rest(
    connection: Connection,
    url: str,
    jp_serverapp: ServerApp,
    debugger: DebuggerService,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run = await call(new_run, connection)
    await call(log, run)
    monkeypatch.setenv(TOKEN_ENV, jp_serverapp.identity_provider.token)
    try:
        client = await call(studio.Client, url)
        frame = await call(client.get_tensor_stats, run.id, TENSORS[1], ["l2", "nan"], "train")
        local = debugger.get_tensor_stats(run.id, TENSORS[1], ["l2", "nan"], "train")
        assert frame.equals(local)
        assert np.isnan(frame[frame.step == 3]["nan"].item())
        findings = await call(client.get_findings, run.id)
        assert [(f.rule, f.step) for f in findings] == [("ExplodingTensor", 3)]
    finally:
        opened = backends._connections.pop(url, None)
        if opened is not None:
            opened.writer.close()


async def test_whole_series_are_read_many_at_once_and_long_ones_in_pages(
    connection: Connection, debugger: DebuggerService
) -> None:
    run = await call(new_run, connection)
    lengths = {"a": 1, "b": 5, "c": 300, "d": 60_000, "e": 60_000, "f": 120_000}
    for key, length in lengths.items():
        for start in range(0, length, 100_000):  # one append's most
            steps = np.arange(start, min(length, start + 100_000))
            debugger.series.append(run.id, "tensor", {key: (steps, steps, np.sin(steps))})
    client = RestDebuggerClient(connection.backend)  # type: ignore[arg-type]
    keys = ["f", "missing", "a", "b", "c", "d", "e"]
    found = await call(client.series.read_many, run.id, "tensor", keys)
    local = debugger.series.read_many(run.id, "tensor", keys)
    assert list(found) == keys
    for key in keys:
        assert found[key].steps == local[key].steps, key
        assert found[key].values == local[key].values, key
        assert not found[key].downsampled
    ranged = await call(client.series.read_many, run.id, "tensor", ["f", "c"], min_step=250)
    assert ranged["f"].steps == list(range(250, 120_000))
    assert ranged["c"].steps == list(range(250, 300))
