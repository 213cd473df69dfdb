"""Batch logging and metric history through the REST API: every point kept, NaN and the
infinities round-tripped, histories downsampled or paged, and bad input refused."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from studio.tracking.service import MAX_BATCH_METRICS

if TYPE_CHECKING:
    from studio.tracking.service import TrackingService
    from tests.conftest import StudioCreate, StudioFetch


async def new_run(create: StudioCreate, **fields: Any) -> dict[str, Any]:
    return await create("runs", {"experiment_name": "exp", **fields})


# Batch logging ---------------------------------------------------------------------------------


async def test_batch_logs_params_tags_and_metrics(
    studio_fetch: StudioFetch, studio_tracking: TrackingService, studio_create: StudioCreate
) -> None:
    run = await new_run(studio_create)
    answer = await studio_fetch(
        "POST",
        f"runs/{run['id']}/batch",
        body={
            "params": {"lr": 0.1, "optimizer": "adam"},
            "tags": {"stage": "dev"},
            "metrics": [
                {"key": "train/loss", "value": 1.0, "step": 0, "timestamp": 1000},
                {"key": "train/loss", "value": 0.5, "step": 1, "timestamp": 2000},
                {"key": "accuracy", "value": 0.75, "step": 1},
            ],
        },
    )
    assert answer.code == 204
    stored = studio_tracking.get_run(run["id"])
    assert stored.params == {"lr": "0.1", "optimizer": "adam"}
    assert stored.tags == {"stage": "dev"}
    assert stored.metrics["train/loss"].last == 0.5
    assert stored.metrics["train/loss"].max == 1.0
    assert stored.metrics["accuracy"].last_timestamp > 1_600_000_000_000  # defaulted to now

    shown = (await studio_fetch("GET", f"runs/{run['id']}")).json
    assert shown["metrics"]["train/loss"] == {
        "key": "train/loss",
        "last": 0.5,
        "last_step": 1,
        "last_timestamp": 2000,
        "min": 0.5,
        "max": 1.0,
        "count": 2,
    }


async def test_rejected_batches_store_nothing(
    studio_fetch: StudioFetch, studio_tracking: TrackingService, studio_create: StudioCreate
) -> None:
    run = await new_run(studio_create, params={"seed": 1})
    url = f"runs/{run['id']}/batch"
    point = {"key": "loss", "value": 1.0, "step": 0, "timestamp": 1}

    too_many = [{**point, "step": i} for i in range(MAX_BATCH_METRICS + 1)]
    (await studio_fetch("POST", url, body={"metrics": too_many})).error(413, str(MAX_BATCH_METRICS))
    # One bad point spoils its batch: none of the good ones is stored.
    (
        await studio_fetch(
            "POST", url, body={"metrics": [point, {**point, "key": "bad key!"}], "tags": {"t": 1}}
        )
    ).error(400, "bad key!")
    (await studio_fetch("POST", url, body={"metrics": [point], "params": {"seed": 2}})).error(
        409, "seed"
    )
    for value in ("abc", True, None, [1]):
        (await studio_fetch("POST", url, body={"metrics": [{**point, "value": value}]})).error(
            422, "body.metrics.0.value"
        )
    (await studio_fetch("POST", url, body={"metrics": [{**point, "step": 1.5}]})).error(
        422, "body.metrics.0.step"
    )
    (await studio_fetch("POST", url, body={"metrics": [{**point, "step": 2**63}]})).error(
        422, "body.metrics.0.step"
    )
    (await studio_fetch("POST", url, body=b'{"metrics": [}')).error(400, "JSON")
    (await studio_fetch("POST", "runs/nope/batch", body={"metrics": [point]})).error(404)

    stored = studio_tracking.get_run(run["id"])
    assert stored.metrics == {}
    assert stored.tags == {}
    assert stored.params == {"seed": "1"}
    assert studio_tracking.get_metric_history(run["id"], "loss").total == 0


async def test_nan_and_infinity_round_trip(
    studio_fetch: StudioFetch, studio_create: StudioCreate
) -> None:
    run = await new_run(studio_create)
    values: list[Any] = [1.5, "NaN", "Infinity", "-Infinity", -2]
    metrics = [
        {"key": "odd", "value": value, "step": step, "timestamp": 1}
        for step, value in enumerate(values)
    ]
    answer = await studio_fetch("POST", f"runs/{run['id']}/batch", body={"metrics": metrics})
    assert answer.code == 204
    # Python's json (and JavaScript's JSON5 readers) write bare NaN; it is accepted too.
    raw = b'{"metrics": [{"key": "odd", "value": NaN, "step": 5, "timestamp": 1}]}'
    assert (await studio_fetch("POST", f"runs/{run['id']}/batch", body=raw)).code == 204

    answer = await studio_fetch("GET", f"runs/{run['id']}/metrics/history", params={"key": "odd"})
    assert answer.code == 200
    # Strict JSON: no bare NaN or Infinity tokens in what the server writes.
    json.loads(answer.body, parse_constant=lambda token: pytest.fail(f"bare {token}"))
    assert answer.json["values"] == [1.5, "NaN", "Infinity", "-Infinity", -2.0, "NaN"]
    assert answer.json["steps"] == [0, 1, 2, 3, 4, 5]

    summary = (await studio_fetch("GET", f"runs/{run['id']}")).json["metrics"]["odd"]
    assert summary["last"] == "NaN"
    assert summary["min"] == "-Infinity"
    assert summary["max"] == "Infinity"


# Metric history --------------------------------------------------------------------------------


async def test_metric_history_downsampling_keeps_a_spike(
    studio_fetch: StudioFetch, studio_tracking: TrackingService, studio_create: StudioCreate
) -> None:
    run = await new_run(studio_create)
    points = [("val/loss", 1.0 / (1 + step), step, 1000 + step) for step in range(10_000)]
    points[5_123] = ("val/loss", 1000.0, 5_123, 1000 + 5_123)
    studio_tracking.log_batch(run["id"], metrics=points)
    url = f"runs/{run['id']}/metrics/history"

    full = (await studio_fetch("GET", url, params={"key": "val/loss"})).json
    assert full["total"] == 10_000
    assert full["downsampled"] is False
    assert len(full["values"]) == 10_000

    answer = await studio_fetch("GET", url, params={"key": "val/loss", "max_points": 100})
    assert answer.code == 200
    small = answer.json
    assert small["key"] == "val/loss"
    assert small["total"] == 10_000
    assert small["downsampled"] is True
    assert 2 <= len(small["values"]) <= 100
    assert len(small["steps"]) == len(small["timestamps"]) == len(small["values"])
    assert small["steps"] == sorted(small["steps"])
    assert 1000.0 in small["values"]
    assert small["steps"][small["values"].index(1000.0)] == 5_123
    assert min(small["values"]) == pytest.approx(1 / 10_000)

    assert (await studio_fetch("GET", url, params={"key": "absent"})).json["total"] == 0


async def test_full_metric_history_comes_in_pages(
    studio_fetch: StudioFetch, studio_tracking: TrackingService, studio_create: StudioCreate
) -> None:
    run = await new_run(studio_create)
    # Three points per step, two of them at one timestamp: pages end inside such groups.
    points = [("m", float(i), i // 3, 1000 + (i % 3 > 0)) for i in range(50)]
    studio_tracking.log_batch(run["id"], metrics=points)
    url = f"runs/{run['id']}/metrics/history"
    steps: list[int] = []
    values: list[float] = []
    params: dict[str, Any] = {"key": "m", "max_results": 4}
    pages = 0
    while True:
        page = (await studio_fetch("GET", url, params=params)).json
        pages += 1
        assert len(page["values"]) <= 4
        assert page["total"] == 50
        steps += page["steps"]
        values += page["values"]
        if page["next_page_token"] is None:
            break
        params["page_token"] = page["next_page_token"]
    assert pages == 13
    assert sorted(values) == [float(i) for i in range(50)]
    assert steps == sorted(steps)
    whole = studio_tracking.get_metric_history(run["id"], "m")
    assert (steps, sorted(values)) == (whole.steps, sorted(whole.values))

    # The page size is bounded, and declared so.
    (await studio_fetch("GET", url, params={"key": "m", "max_results": 0})).error(
        422, "query.max_results"
    )
    (await studio_fetch("GET", url, params={"key": "m", "max_results": 100_001})).error(
        422, "query.max_results"
    )
    (await studio_fetch("GET", url, params={"key": "m", "page_token": "nope"})).error(
        400, "page_token"
    )
    (
        await studio_fetch(
            "GET", url, params={"key": "m", "max_points": 10, "page_token": params["page_token"]}
        )
    ).error(422, "no page_token")
    # Downsampling is one answer, never paged.
    small = (await studio_fetch("GET", url, params={"key": "m", "max_points": 10})).json
    assert small["downsampled"] is True
    assert small["next_page_token"] is None


async def test_metric_history_bad_input(
    studio_fetch: StudioFetch, studio_create: StudioCreate
) -> None:
    run = await new_run(studio_create)
    url = f"runs/{run['id']}/metrics/history"
    (await studio_fetch("GET", url)).error(422, "query.key")
    (await studio_fetch("GET", url, params={"key": "a", "max_points": 1})).error(422, "max_points")
    too_many = {"key": "a", "max_points": 100_001}
    (await studio_fetch("GET", url, params=too_many)).error(422, "max_points")
    (await studio_fetch("GET", url, params={"key": "a", "max_points": "x"})).error(422)
    reversed_range = {"key": "a", "min_step": 5, "max_step": 4}
    (await studio_fetch("GET", url, params=reversed_range)).error(422, "max_step")
    (await studio_fetch("GET", url, params={"key": "a", "min_step": 2**63})).error(422, "min_step")
    (await studio_fetch("GET", "runs/nope/metrics/history", params={"key": "a"})).error(404)


async def test_metric_history_of_a_step_range(
    studio_fetch: StudioFetch, studio_tracking: TrackingService, studio_create: StudioCreate
) -> None:
    run = await new_run(studio_create)
    studio_tracking.log_batch(run["id"], metrics=[("m", s * 0.5, s, s) for s in range(1_000)])
    url = f"runs/{run['id']}/metrics/history"
    exact = (
        await studio_fetch("GET", url, params={"key": "m", "min_step": 250, "max_step": 260})
    ).json
    assert exact["steps"] == list(range(250, 261))
    assert exact["values"] == [s * 0.5 for s in range(250, 261)]
    assert (exact["total"], exact["downsampled"]) == (1_000, False)
    params = {"key": "m", "min_step": 100, "max_step": 899, "max_points": 40}
    small = (await studio_fetch("GET", url, params=params)).json
    assert small["downsampled"] is True
    assert len(small["steps"]) <= 40
    assert (small["steps"][0], small["steps"][-1]) == (100, 899)
    assert (min(small["values"]), max(small["values"])) == (50.0, 449.5)
