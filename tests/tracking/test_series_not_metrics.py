"""A run's series of other kinds (the debugger's tensor statistics) never show up as its
metrics: not in search filters or order, not in the run's metric summaries (the runs table's
columns and compare read those), not in a metric's history; locally and over REST, on SQLite
and on PostgreSQL."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from studio.tracking.client import Client

if TYPE_CHECKING:
    from studio.tracking.service import TrackingService
    from tests.conftest import StudioFetch

STEPS = np.arange(3)


def fill(service: TrackingService) -> tuple[str, str]:
    """Run `low` logs loss 1.0 and run `high` loss 2.0; `low` also has tensor series named
    `loss` (values 100) and `gradnorm` (values 5), and a `rule` series `acc`."""
    experiment = service.create_experiment("exp").id
    low = service.create_run(experiment, name="low").id
    high = service.create_run(experiment, name="high").id
    for run_id, value in ((low, 1.0), (high, 2.0)):
        service.log_batch(run_id, metrics=[("loss", value, int(s), 1000) for s in STEPS])
    hundred = np.full(len(STEPS), 100.0)
    tensor = {"loss": (STEPS, STEPS, hundred), "gradnorm": (STEPS, STEPS, hundred / 20)}
    service.series.append(low, "tensor", tensor)
    service.series.append(low, "rule", {"acc": (STEPS, STEPS, hundred)})
    return low, high


def names(service: TrackingService, **search: object) -> list[str | None]:
    page = service.search_runs(None, **search)  # type: ignore[arg-type]
    return [run.name for run in page.runs]


def test_other_kinds_are_not_metrics_of_the_service(service: TrackingService) -> None:
    low, _high = fill(service)
    shown = service.get_run(low)
    assert set(shown.metrics) == {"loss"}
    summary = shown.metrics["loss"]
    assert (summary.last, summary.min, summary.max, summary.count) == (1.0, 1.0, 1.0, 3)

    assert names(service, filter="metrics.loss > 50") == []
    assert names(service, filter="metrics.gradnorm > 1") == []
    assert names(service, filter="metrics.acc > 1") == []
    assert names(service, filter="metrics.loss < 1.5") == ["low"]
    assert names(service, order_by=["metrics.loss DESC"]) == ["high", "low"]
    assert names(service, order_by=["metrics.loss ASC"]) == ["low", "high"]
    for run in service.search_runs(None).runs:
        assert set(run.metrics) == {"loss"}  # the runs table's metric columns

    history = service.get_metric_history(low, "loss")
    assert history.values == [1.0, 1.0, 1.0]
    assert history.total == 3
    assert service.get_metric_history(low, "loss", 10).values == [1.0, 1.0, 1.0]
    assert service.get_metric_history(low, "gradnorm").total == 0
    paged = service.get_metric_history(low, "loss", max_results=2)
    assert paged.values == [1.0, 1.0]
    assert paged.next_page_token is not None


def test_other_kinds_are_not_metrics_of_the_client(uri: str) -> None:
    client = Client(uri)
    low, _ = fill(client._backend)  # type: ignore[arg-type]
    assert set(client.get_run(low).metrics) == {"loss"}
    assert client.get_metric_history(low, "loss").values == [1.0, 1.0, 1.0]
    assert client.get_metric_history(low, "gradnorm").values == []
    assert [run.name for run in client.search_runs(filter="metrics.gradnorm >= 0")] == []


async def test_other_kinds_are_not_metrics_over_rest(
    studio_fetch: StudioFetch, studio_tracking: TrackingService
) -> None:
    low, _ = fill(studio_tracking)
    run = (await studio_fetch("GET", f"runs/{low}")).json
    assert set(run["metrics"]) == {"loss"}
    assert run["metrics"]["loss"]["max"] == 1.0

    async def search(**body: object) -> list[str]:
        answer = await studio_fetch("POST", "runs/search", body=body)
        assert answer.code == 200, answer.json
        return [found["name"] for found in answer.json["runs"]]

    assert await search(filter="metrics.loss > 50") == []
    assert await search(filter="metrics.gradnorm > 1") == []
    assert await search(order_by=["metrics.loss DESC"]) == ["high", "low"]
    listed = (await studio_fetch("GET", "runs", params={"filter": "metrics.acc > 0"})).json
    assert listed["runs"] == []

    for params in ({}, {"max_points": 10}, {"max_results": 2}):
        history = await studio_fetch(
            "GET", f"runs/{low}/metrics/history", params={"key": "loss", **params}
        )
        assert set(history.json["values"]) == {1.0}
    missing = await studio_fetch("GET", f"runs/{low}/metrics/history", params={"key": "gradnorm"})
    assert missing.json["total"] == 0
