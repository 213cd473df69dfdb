"""A run's series of other kinds over the REST API (/studio/api/runs/{run_id}/series...): the
routes themselves, and `RestTrackingClient.series` against a real server, which must answer
as the local interface does."""

from __future__ import annotations

import asyncio
import math
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from studio.errors import InvalidInput, NotFound
from studio.tracking.rest import RestTrackingClient
from studio.tracking.series_api import iter_pages
from studio.tracking.validation import (
    MAX_HISTORY_POINTS,
    MAX_SERIES_APPEND_POINTS,
    MAX_SERIES_APPEND_SERIES,
)

if TYPE_CHECKING:
    from jupyter_server.serverapp import ServerApp

    from studio.tracking.entities import MetricHistory
    from studio.tracking.service import TrackingService
    from tests.conftest import StudioCreate, StudioFetch

call = asyncio.to_thread


async def new_run(create: StudioCreate) -> str:
    run_id: str = (await create("runs", {"experiment_name": "exp"}))["id"]
    return run_id


def series(key: str, steps: list[int], values: list[Any]) -> dict[str, Any]:
    return {"key": key, "steps": steps, "timestamps": [s * 10 for s in steps], "values": values}


async def test_append_list_and_read_over_rest(
    studio_fetch: StudioFetch, studio_create: StudioCreate, studio_tracking: TrackingService
) -> None:
    run_id = await new_run(studio_create)
    body = {
        "kind": "tensor",
        "series": [
            series("fc.weight/mean", [0, 10, 20], [0.5, "NaN", "-Infinity"]),
            series("fc.weight/max", [0, 10, 20], [1, 2, 3]),
        ],
    }
    answer = await studio_fetch("POST", f"runs/{run_id}/series/points", body=body)
    assert answer.code == 204, answer.json
    stored = studio_tracking.series.read(run_id, "tensor", "fc.weight/mean")
    assert stored.steps == [0, 10, 20]
    assert stored.timestamps == [0, 100, 200]
    assert stored.values[0] == 0.5
    assert math.isnan(stored.values[1])
    assert stored.values[2] == -math.inf

    listed = await studio_fetch("GET", f"runs/{run_id}/series", params={"kind": "tensor"})
    assert listed.json == {
        "series": [
            {"key": "fc.weight/max", "count": 3, "min_step": 0, "max_step": 20},
            {"key": "fc.weight/mean", "count": 3, "min_step": 0, "max_step": 20},
        ],
        "next_page_token": None,
    }
    paged = await studio_fetch(
        "GET", f"runs/{run_id}/series", params={"kind": "tensor", "max_results": 1}
    )
    assert [s["key"] for s in paged.json["series"]] == ["fc.weight/max"]
    rest = await studio_fetch(
        "GET",
        f"runs/{run_id}/series",
        params={"kind": "tensor", "page_token": paged.json["next_page_token"]},
    )
    assert [s["key"] for s in rest.json["series"]] == ["fc.weight/mean"]

    points = await studio_fetch(
        "GET",
        f"runs/{run_id}/series/points",
        params={"kind": "tensor", "key": "fc.weight/mean", "min_step": 5},
    )
    assert points.json["steps"] == [10, 20]
    assert points.json["values"] == ["NaN", "-Infinity"]
    assert points.json["total"] == 3
    assert not points.json["downsampled"]

    several = await studio_fetch(
        "POST",
        f"runs/{run_id}/series/read",
        body={"kind": "tensor", "keys": ["fc.weight/max", "none"], "max_points": 4},
    )
    assert [(s["key"], s["values"]) for s in several.json["series"]] == [
        ("fc.weight/max", [1.0, 2.0, 3.0]),
        ("none", []),
    ]


async def test_bad_series_requests_are_refused(
    studio_fetch: StudioFetch, studio_create: StudioCreate, studio_tracking: TrackingService
) -> None:
    run_id = await new_run(studio_create)
    path = f"runs/{run_id}/series/points"
    one = series("k", [1], [1.0])

    async def refused(status: int, method: str, where: str, *fragments: str, **kw: Any) -> None:
        answer = await studio_fetch(method, where, **kw)
        assert answer.code == status, answer.json
        answer.error(status, *fragments)

    await refused(
        404,
        "POST",
        "runs/nosuchrun/series/points",
        "No run",
        body={"kind": "tensor", "series": [one]},
    )
    await refused(404, "GET", "runs/nosuchrun/series", "No run", params={"kind": "tensor"})
    await refused(
        404, "GET", "runs/bad%20id/series/points", "No run", params={"kind": "tensor", "key": "k"}
    )
    await refused(400, "POST", path, "log_metric", body={"kind": "metric", "series": [one]})
    await refused(422, "POST", path, "kind", body={"kind": "Tensor", "series": [one]})
    mismatch = {"key": "k", "steps": [1, 2], "timestamps": [1], "values": [1.0]}
    await refused(422, "POST", path, "one length", body={"kind": "tensor", "series": [mismatch]})
    once = {"kind": "tensor", "series": [one], "batch_id": "once"}
    for _ in range(2):
        assert (await studio_fetch("POST", path, body=once)).code == 204
    assert studio_tracking.series.read(run_id, "tensor", "k").total == 1
    await refused(422, "POST", path, "batch_id", body={**once, "batch_id": "a b"})
    twice = {"kind": "tensor", "series": [one, one]}
    await refused(422, "POST", path, "once", body=twice)
    too_long = MAX_SERIES_APPEND_POINTS // 2 + 1
    big = series("a", list(range(too_long)), [0.0] * too_long)
    await refused(
        422, "POST", path, "at most", body={"kind": "tensor", "series": [big, {**big, "key": "b"}]}
    )
    too_many = [series(f"k{n}", [], []) for n in range(MAX_SERIES_APPEND_SERIES + 1)]
    await refused(422, "POST", path, "at most", body={"kind": "tensor", "series": too_many})
    await refused(
        422, "POST", path, "steps", body={"kind": "tensor", "series": [series("k", [1.5], [1.0])]}
    )  # type: ignore[list-item]
    await refused(
        422, "GET", path, "max_points", params={"kind": "tensor", "key": "k", "max_points": 1}
    )
    await refused(
        422,
        "GET",
        path,
        "min_step",
        params={"kind": "tensor", "key": "k", "min_step": 5, "max_step": 4},
    )
    await refused(
        422,
        "POST",
        f"runs/{run_id}/series/read",
        "max_points",
        body={"kind": "tensor", "keys": ["a", "b"], "max_points": MAX_HISTORY_POINTS},
    )
    assert [s.key for s in studio_tracking.series.list_series(run_id, "tensor")] == ["k"]


def test_the_openapi_document_declares_the_limits() -> None:
    from studio.app import all_routes
    from studio.openapi import build_document

    schemas = build_document(all_routes())["components"]["schemas"]
    append = schemas["SeriesAppendIn"]["properties"]["series"]
    assert append["maxItems"] == MAX_SERIES_APPEND_SERIES
    assert str(MAX_SERIES_APPEND_POINTS) in append["description"]
    points = schemas["SeriesPointsIn"]["properties"]
    assert points["values"]["maxItems"] == MAX_SERIES_APPEND_POINTS
    assert schemas["SeriesAppendIn"]["properties"]["kind"]["pattern"]


def same(remote: MetricHistory, local: MetricHistory) -> None:
    """Equal, NaN included."""
    np.testing.assert_array_equal(remote.values, local.values)
    assert replace(remote, values=[]) == replace(local, values=[])


@pytest.fixture
def client(
    jp_serverapp: ServerApp, http_server: Any, jp_http_port: int, jp_base_url: str
) -> RestTrackingClient:
    token = jp_serverapp.identity_provider.token
    return RestTrackingClient(f"http://127.0.0.1:{jp_http_port}{jp_base_url}", token)


async def test_the_rest_client_answers_as_the_local_interface(
    client: RestTrackingClient, studio_tracking: TrackingService, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = studio_tracking.create_run(studio_tracking.create_experiment("e").id).id
    steps = np.arange(30_000)
    values = np.sin(steps / 100.0)
    values[7] = math.nan
    points = {
        "w/mean": (steps, steps * 2, values),
        "w/max": (steps[:5], steps[:5], values[:5]),
    }
    # Smaller requests, so that one append takes several (each of whole series, or a slice).
    monkeypatch.setattr("studio.tracking.rest_series.MAX_SERIES_APPEND_POINTS", 7_000)
    await call(client.series.append, run_id, "tensor", points)
    local = studio_tracking.series
    assert await call(client.series.list_series, run_id, "tensor") == local.list_series(
        run_id, "tensor"
    )
    for key in points:
        remote = await call(client.series.read, run_id, "tensor", key)
        mine = local.read(run_id, "tensor", key)
        np.testing.assert_array_equal(remote.values, mine.values)
        assert (remote.steps, remote.timestamps, remote.total) == (
            mine.steps,
            mine.timestamps,
            mine.total,
        )
    same(
        await call(client.series.read, run_id, "tensor", "w/mean", 1000),
        local.read(run_id, "tensor", "w/mean", 1000),
    )
    ranged = {"min_step": 100, "max_step": 25_000}
    remote_many = await call(
        client.series.read_many, run_id, "tensor", ["w/max", "w/mean"], 500, **ranged
    )
    local_many = local.read_many(run_id, "tensor", ["w/max", "w/mean"], 500, **ranged)
    assert list(remote_many) == list(local_many) == ["w/max", "w/mean"]
    for key, history in remote_many.items():
        same(history, local_many[key])
    client.series.page_size = 4_000  # a full read follows several pages
    whole = await call(client.series.read, run_id, "tensor", "w/mean", **ranged)
    assert whole.steps == list(range(100, 25_001))
    pages = await call(
        lambda: list(iter_pages(client.series.read, run_id, "tensor", "w/mean", 9_000))
    )
    assert [len(page.steps) for page in pages] == [9_000, 9_000, 9_000, 3_000]

    retried = {"w/max": (steps[:5], steps[:5], values[:5])}
    for _ in range(2):  # a writer's retry of a stored append, each request with its id
        await call(client.series.append, run_id, "tensor", retried, batch_id="retry")
    assert local.read(run_id, "tensor", "w/max").total == 10

    with pytest.raises(NotFound):
        await call(client.series.append, "nosuchrun", "tensor", points)
    with pytest.raises(InvalidInput, match="log_metric"):
        await call(client.series.append, run_id, "metric", points)
    with pytest.raises(InvalidInput, match="one length"):
        await call(client.series.append, run_id, "tensor", {"k": ([1, 2], [1], [1.0])})
