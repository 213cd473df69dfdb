"""RestTrackingClient against a real Jupyter server (pytest-jupyter's, on a loopback port).

The server runs on the test's event loop, so the blocking client runs in a thread
(`asyncio.to_thread`). Its answers are compared with what the server's own TrackingService
returns for the same store: the remote backend must be indistinguishable from the local one.
"""

from __future__ import annotations

import asyncio
import math
import socket
import subprocess
import sys
import textwrap
from typing import TYPE_CHECKING, Any

import pytest

from studio.errors import Conflict, InvalidInput, NotFound, StoreError, TooLarge
from studio.tracking.entities import RunStatus
from studio.tracking.rest import RestTrackingClient
from studio.tracking.rest_batches import chunks
from studio.tracking.search import parse_filter
from studio.tracking.service import MAX_BATCH_METRICS

if TYPE_CHECKING:
    from pathlib import Path

    from jupyter_server.serverapp import ServerApp

    from studio.tracking.service import TrackingService

call = asyncio.to_thread


@pytest.fixture
def client(
    jp_serverapp: ServerApp, http_server: Any, jp_http_port: int, jp_base_url: str
) -> RestTrackingClient:
    """A client of the running server, by its URL and token, as a kernel would have them."""
    token = jp_serverapp.identity_provider.token
    return RestTrackingClient(f"http://127.0.0.1:{jp_http_port}{jp_base_url}", token)


async def test_experiments(client: RestTrackingClient, studio_tracking: TrackingService) -> None:
    created = await call(client.create_experiment, "iris", "trees", {"team": "a"})
    assert created == studio_tracking.get_experiment(created.id)
    assert await call(client.get_experiment, created.id) == created
    assert await call(client.get_experiment_by_name, "iris") == created
    assert await call(client.get_experiment_by_name, "iri") is None
    assert await call(client.get_or_create_experiment, "iris") == created

    other = await call(client.get_or_create_experiment, "digits")
    assert studio_tracking.get_experiment_by_name("digits") == other
    archived = await call(client.update_experiment, other.id, archived=True, tags={"x": "y"})
    assert archived.archived
    assert archived.tags == {"x": "y"}
    assert await call(client.list_experiments) == studio_tracking.list_experiments()
    everything = await call(client.list_experiments, include_archived=True)
    assert {e.name for e in everything} == {"iris", "digits"}
    # Found by exact name even when archived, as the local service does.
    assert await call(client.get_experiment_by_name, "digits") == archived
    assert [e.name for e in await call(client.list_experiments, name_contains="IR")] == ["iris"]

    with pytest.raises(Conflict, match="already exists"):
        await call(client.create_experiment, "iris")
    await call(client.delete_experiment, other.id)
    with pytest.raises(NotFound):
        await call(client.get_experiment, other.id)
    with pytest.raises(NotFound):
        await call(client.delete_experiment, other.id)


async def test_runs(client: RestTrackingClient, studio_tracking: TrackingService) -> None:
    experiment = await call(client.create_experiment, "exp")
    parent = await call(
        client.create_run,
        experiment.id,
        name="parent",
        source="train.ipynb",
        params={"lr": 0.1, "layers": [64, 32], "seed": None, "gamma": math.inf},
        tags={"team": "a"},
    )
    assert parent == studio_tracking.get_run(parent.id)
    # Params become the same text as with the local service.
    local = studio_tracking.create_run(
        experiment.id, params={"lr": 0.1, "layers": [64, 32], "seed": None, "gamma": math.inf}
    )
    assert parent.params == local.params
    assert parent.source == "train.ipynb"

    child = await call(
        client.create_run,
        experiment.id,
        run_id="child-1",
        parent_run_id=parent.id,
        metrics=[("score", 0.5, 0, 1000), ("score", 0.7, 1, 2000)],
        status=RunStatus.FINISHED,
        start_time=500,
        end_time=2500,
    )
    assert child.id == "child-1"
    assert child.duration_ms == 2000
    assert child.metrics["score"].last == 0.7
    assert child == studio_tracking.get_run("child-1")

    ended = await call(client.update_run, parent.id, status=RunStatus.KILLED, name="p2")
    assert ended.status is RunStatus.KILLED
    assert ended.name == "p2"
    assert ended.end_time is not None
    assert ended == await call(client.get_run, parent.id)

    await call(client.delete_run, parent.id)
    for run_id in (parent.id, "child-1"):
        with pytest.raises(NotFound, match=run_id):
            await call(client.get_run, run_id)


async def test_search_runs(client: RestTrackingClient, studio_tracking: TrackingService) -> None:
    experiment = studio_tracking.create_experiment("search")
    for index in range(9):
        studio_tracking.create_run(
            experiment.id,
            name=f"run-{index}",
            params={"depth": str(index % 3)},
            metrics=[("accuracy", index / 10, 0, 1000)],
        )
    search: dict[str, Any] = {
        "filter": "metrics.accuracy > 0.15 and params.depth != '0'",
        "order_by": ["metrics.accuracy DESC"],
        "max_results": 2,
    }
    remote = await call(client.search_runs, [experiment.id], **search)
    assert remote == studio_tracking.search_runs([experiment.id], **search)
    names = [run.name for run in remote.runs]
    while remote.next_page_token:
        remote = await call(
            client.search_runs, [experiment.id], page_token=remote.next_page_token, **search
        )
        names += [run.name for run in remote.runs]
    assert names == ["run-8", "run-7", "run-5", "run-4", "run-2"]

    bad = "metrics.accuracy >>> 1"
    with pytest.raises(InvalidInput) as parser:
        parse_filter(bad)
    with pytest.raises(InvalidInput) as answered:
        await call(client.search_runs, filter=bad)
    assert answered.value.message == parser.value.message


async def test_log_batch_keeps_nan_and_infinity(
    client: RestTrackingClient, studio_tracking: TrackingService
) -> None:
    run = await call(client.create_run, (await call(client.create_experiment, "e")).id)
    values = [1.0, math.nan, math.inf, -math.inf, 0.25]
    await call(
        client.log_batch,
        run.id,
        metrics=[("odd", value, step, 1000 + step) for step, value in enumerate(values)],
        params={"optimizer": "adam"},
        tags={"stage": "dev"},
    )
    history = await call(client.get_metric_history, run.id, "odd")
    assert history.total == 5
    assert history.steps == [0, 1, 2, 3, 4]
    assert history.values[0] == 1.0
    assert math.isnan(history.values[1])
    assert history.values[2:] == [math.inf, -math.inf, 0.25]
    assert history.timestamps == studio_tracking.get_metric_history(run.id, "odd").timestamps

    stored = await call(client.get_run, run.id)
    assert stored.params == {"optimizer": "adam"}
    assert stored.tags == {"stage": "dev"}
    assert stored.metrics["odd"].max == math.inf
    assert stored.metrics["odd"].min == -math.inf


async def test_rejected_batches_raise_the_local_errors(
    client: RestTrackingClient, studio_tracking: TrackingService
) -> None:
    run = await call(client.create_run, (await call(client.create_experiment, "e")).id)
    await call(client.log_batch, run.id, params={"seed": 1})
    too_many = [("loss", 1.0, step, 1) for step in range(MAX_BATCH_METRICS + 1)]
    with pytest.raises(TooLarge, match=str(MAX_BATCH_METRICS)):
        await call(client.log_batch, run.id, metrics=too_many)
    with pytest.raises(Conflict, match="seed"):
        await call(client.log_batch, run.id, metrics=[("loss", 1.0, 0, 1)], params={"seed": 2})
    with pytest.raises(InvalidInput, match="must be a number"):
        await call(client.log_batch, run.id, metrics=[("loss", "high", 0, 1)])
    with pytest.raises(InvalidInput, match="may only contain"):
        await call(client.log_batch, run.id, metrics=[("bad key!", 1.0, 0, 1)])
    with pytest.raises(NotFound):
        await call(client.log_batch, "nope", metrics=[("loss", 1.0, 0, 1)])
    # What the wire models refuse fails before sending, as InvalidInput too.
    with pytest.raises(InvalidInput, match="step"):
        await call(client.log_batch, run.id, metrics=[("loss", 1.0, 2**63, 1)])
    with pytest.raises(InvalidInput, match="run_id"):
        await call(client.create_run, run.experiment_id, run_id="../../elsewhere")
    assert studio_tracking.get_metric_history(run.id, "loss").total == 0


async def test_write_metrics_sends_batches_per_run(
    client: RestTrackingClient, studio_tracking: TrackingService
) -> None:
    experiment = studio_tracking.create_experiment("w")
    first = studio_tracking.create_run(experiment.id)
    second = studio_tracking.create_run(experiment.id)
    # Interleaved rows of two runs, as the batching writer hands them over.
    rows = [
        (run.id, "loss", float(step), step, 1000 + step)
        for step in range(MAX_BATCH_METRICS + 7)
        for run in (first, second)
    ]
    await call(client.write_metrics, rows)
    for run in (first, second):
        history = studio_tracking.get_metric_history(run.id, "loss")
        assert history.total == MAX_BATCH_METRICS + 7
        assert history.values == [float(step) for step in range(MAX_BATCH_METRICS + 7)]

    # A run that does not exist fails the call, as with the local store.
    with pytest.raises(NotFound):
        await call(client.write_metrics, [("nope", "loss", 1.0, 0, 1)])


def test_chunks_fit_the_servers_limit() -> None:
    rows = [("a", "loss", 1.0, step, 1) for step in range(MAX_BATCH_METRICS + 1)]
    rows += [("b", "loss", 2.0, 0, 1)]
    found = list(chunks(rows))
    assert [(run_id, len(points)) for run_id, points in found] == [
        ("a", MAX_BATCH_METRICS),
        ("a", 1),
        ("b", 1),
    ]
    assert found[1][1] == [("loss", 1.0, MAX_BATCH_METRICS, 1)]


async def test_metric_history_downsampled(
    client: RestTrackingClient, studio_tracking: TrackingService
) -> None:
    run = studio_tracking.create_run(studio_tracking.create_experiment("h").id)
    points = [("train/loss", 1.0 / (1 + s), s, s) for s in range(5000)]
    points[1234] = ("train/loss", 99.0, 1234, 1234)
    studio_tracking.log_batch(run.id, metrics=points)
    history = await call(client.get_metric_history, run.id, "train/loss", 50)
    assert history == studio_tracking.get_metric_history(run.id, "train/loss", 50)
    assert history.downsampled
    assert len(history.values) <= 50
    assert 99.0 in history.values
    with pytest.raises(InvalidInput, match="max_points"):
        await call(client.get_metric_history, run.id, "train/loss", 1)
    ranged = await call(
        client.get_metric_history, run.id, "train/loss", None, min_step=1230, max_step=1240
    )
    assert ranged == studio_tracking.get_metric_history(
        run.id, "train/loss", min_step=1230, max_step=1240
    )
    assert ranged.steps == list(range(1230, 1241))
    assert 99.0 in ranged.values


async def test_full_history_and_experiment_list_follow_the_servers_pages(
    client: RestTrackingClient, studio_tracking: TrackingService
) -> None:
    run = studio_tracking.create_run(studio_tracking.create_experiment("paged").id)
    # Steps logged several times at one timestamp: a page may end inside such a group.
    points = [("loss", float(i), i // 4, 1000 + i // 8) for i in range(1001)]
    studio_tracking.log_batch(run.id, metrics=points)
    for name in ("b", "c", "d", "e"):
        studio_tracking.create_experiment(name)
    client.history_page_size = 3
    client.experiment_page_size = 2

    history = await call(client.get_metric_history, run.id, "loss")
    assert history == studio_tracking.get_metric_history(run.id, "loss")
    assert len(history.values) == history.total == 1001
    assert history.next_page_token is None
    assert await call(client.list_experiments) == studio_tracking.list_experiments()
    assert len(await call(client.list_experiments)) == 5


async def test_artifacts(
    client: RestTrackingClient, studio_tracking: TrackingService, tmp_path: Path
) -> None:
    run = await call(client.create_run, (await call(client.create_experiment, "a")).id)
    model = tmp_path / "model.pkl"
    model.write_bytes(b"\x80pickle" * 1000)
    folder = tmp_path / "report"
    (folder / "plots").mkdir(parents=True)
    (folder / "index.html").write_text("<h1>hi</h1>")
    (folder / "plots" / "loss.png").write_bytes(b"\x89PNG")

    assert await call(client.log_artifact, run.id, model) == "model.pkl"
    assert await call(client.log_artifact, run.id, folder, "out/report") == "out/report"
    assert await call(client.upload_artifact, run.id, "notes.txt", b"n") == "notes.txt"

    listing = await call(client.list_artifacts, run.id)
    assert listing == studio_tracking.list_artifacts(run.id)
    assert [a.path for a in listing] == ["out", "model.pkl", "notes.txt"]
    assert [a.path for a in await call(client.list_artifacts, run.id, "out/report")] == [
        "out/report/plots",
        "out/report/index.html",
    ]

    stream, size = await call(client.open_artifact, run.id, "model.pkl")
    with stream:
        assert await call(stream.read) == model.read_bytes()
    assert size == model.stat().st_size

    target = tmp_path / "downloads"
    local = await call(client.download_artifacts, run.id, "model.pkl", target)
    assert local == target / "model.pkl"
    assert local.read_bytes() == model.read_bytes()
    local = await call(client.download_artifacts, run.id, "out/report", target)
    assert local == target / "report"
    assert (local / "index.html").read_text() == "<h1>hi</h1>"
    assert (local / "plots" / "loss.png").read_bytes() == b"\x89PNG"

    with pytest.raises(NotFound):
        await call(client.download_artifacts, run.id, "missing", target)
    with pytest.raises(NotFound):
        await call(client.open_artifact, run.id, "missing")
    with pytest.raises(InvalidInput, match="leaves the run"):
        await call(client.upload_artifact, run.id, "../escape", b"x")
    with pytest.raises(InvalidInput, match="does not exist"):
        await call(client.log_artifact, run.id, tmp_path / "absent")


async def test_refused_token(jp_http_port: int, jp_base_url: str, http_server: Any) -> None:
    intruder = RestTrackingClient(f"http://127.0.0.1:{jp_http_port}{jp_base_url}", "wrong")
    with pytest.raises(InvalidInput, match="refused"):
        await call(intruder.list_experiments)


def test_unreachable_server_is_a_store_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = RestTrackingClient(f"http://127.0.0.1:{port}/", "token", timeout=5)
    # A StoreError is what the batching writer retries.
    with pytest.raises(StoreError, match="Cannot reach"):
        client.list_experiments()


def test_remote_client_imports_no_server_and_no_store() -> None:
    code = textwrap.dedent(
        """
        import sys
        import studio.tracking.rest
        heavy = ("tornado", "jupyter_server", "sqlalchemy", "studio.tracking.store")
        loaded = sorted(m for m in sys.modules if m.startswith(heavy))
        assert not loaded, loaded
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
