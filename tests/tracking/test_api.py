"""The tracking REST API through HTTP (jp_fetch): every route, and bad input on each."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from studio.errors import InvalidInput
from studio.tracking.search import parse_filter
from studio.tracking.service import MAX_BATCH_METRICS

if TYPE_CHECKING:
    from studio.tracking.service import TrackingService
    from tests.conftest import Answer, StudioCreate, StudioFetch


async def new_run(create: StudioCreate, **fields: Any) -> dict[str, Any]:
    return await create("runs", {"experiment_name": "exp", **fields})


# Experiments -----------------------------------------------------------------------------------


async def test_experiment_lifecycle(studio_fetch: StudioFetch, studio_create: StudioCreate) -> None:
    experiment = await studio_create(
        "experiments",
        {"name": "iris", "description": "first try", "tags": {"team": "a"}},
    )
    assert experiment["name"] == "iris"
    assert experiment["description"] == "first try"
    assert experiment["tags"] == {"team": "a"}
    assert experiment["archived"] is False
    assert experiment["run_count"] == 0
    key = experiment["id"]

    answer = await studio_fetch("GET", f"experiments/{key}")
    assert answer.code == 200
    assert answer.json == experiment

    answer = await studio_fetch(
        "PATCH",
        f"experiments/{key}",
        body={"name": "iris-v2", "description": "renamed", "tags": {"owner": "me"}},
    )
    assert answer.code == 200
    assert answer.json["name"] == "iris-v2"
    assert answer.json["description"] == "renamed"
    assert answer.json["tags"] == {"team": "a", "owner": "me"}

    answer = await studio_fetch("PATCH", f"experiments/{key}", body={"archived": True})
    assert answer.json["archived"] is True
    assert answer.json["name"] == "iris-v2"  # fields left out are kept

    answer = await studio_fetch("DELETE", f"experiments/{key}")
    assert answer.code == 204
    assert answer.body == b""
    (await studio_fetch("GET", f"experiments/{key}")).error(404)


async def test_experiment_list_filters(
    studio_fetch: StudioFetch, studio_create: StudioCreate
) -> None:
    for name in ("Iris-trees", "iris-linear", "digits"):
        await studio_create("experiments", {"name": name})
    archived = await studio_create("experiments", {"name": "iris-old"})
    await studio_fetch("PATCH", f"experiments/{archived['id']}", body={"archived": True})

    def names(answer: Answer) -> set[str]:
        assert answer.code == 200
        return {experiment["name"] for experiment in answer.json["experiments"]}

    assert names(await studio_fetch("GET", "experiments")) == {
        "Iris-trees",
        "iris-linear",
        "digits",
    }
    assert names(await studio_fetch("GET", "experiments", params={"name": "IRIS"})) == {
        "Iris-trees",
        "iris-linear",
    }
    everything = await studio_fetch(
        "GET", "experiments", params={"name": "iris", "include_archived": "true"}
    )
    assert names(everything) == {"Iris-trees", "iris-linear", "iris-old"}


async def test_experiment_bad_input(studio_fetch: StudioFetch, studio_create: StudioCreate) -> None:
    await studio_create("experiments", {"name": "taken"})
    (await studio_fetch("POST", "experiments", body={"name": "taken"})).error(409, "already exists")
    (await studio_fetch("POST", "experiments", body=b'{"name": "x",')).error(400, "not valid JSON")
    (await studio_fetch("POST", "experiments", body={})).error(422, "body.name")
    (await studio_fetch("POST", "experiments", body={"name": 3})).error(422, "body.name")
    (await studio_fetch("POST", "experiments", body=[1, 2])).error(422)
    (await studio_fetch("POST", "experiments", body={"name": "x", "colour": "red"})).error(
        422, "colour"
    )
    (await studio_fetch("POST", "experiments", body={"name": "  "})).error(400, "name")
    (await studio_fetch("GET", "experiments", params={"include_archived": "perhaps"})).error(
        422, "query.include_archived"
    )
    (await studio_fetch("GET", "experiments/999")).error(404, "experiment")
    (await studio_fetch("GET", "experiments/abc")).error(404, "abc")
    (await studio_fetch("GET", f"experiments/{10**20}")).error(404)
    (await studio_fetch("PATCH", "experiments/999", body={"name": "y"})).error(404)
    (await studio_fetch("DELETE", "experiments/999")).error(404)
    (await studio_fetch("PATCH", "experiments/1", body={"archived": "yes"})).error(
        422, "body.archived"
    )
    # Nothing bad input did changed what is stored.
    listed = await studio_fetch("GET", "experiments", params={"include_archived": "true"})
    assert [e["name"] for e in listed.json["experiments"]] == ["taken"]
    assert listed.json["experiments"][0]["archived"] is False


# Runs ------------------------------------------------------------------------------------------


async def test_run_lifecycle(studio_fetch: StudioFetch, studio_create: StudioCreate) -> None:
    experiment = await studio_create("experiments", {"name": "exp"})
    run = await studio_create(
        "runs",
        {
            "experiment_id": experiment["id"],
            "name": "first",
            "params": {"max_depth": 3, "criterion": "gini", "bootstrap": True},
            "tags": {"team": "a"},
            "source": "train.ipynb",
        },
    )
    assert run["experiment_id"] == experiment["id"]
    assert run["name"] == "first"
    assert run["status"] == "RUNNING"
    assert run["end_time"] is None
    # Params are text, as a local client stores them.
    assert run["params"] == {"max_depth": "3", "criterion": "gini", "bootstrap": "True"}
    assert run["tags"] == {"team": "a"}
    assert run["source"] == "train.ipynb"

    answer = await studio_fetch("GET", f"runs/{run['id']}")
    assert answer.code == 200
    assert answer.json == run

    answer = await studio_fetch(
        "PATCH", f"runs/{run['id']}", body={"status": "FINISHED", "name": "renamed"}
    )
    assert answer.code == 200
    assert answer.json["status"] == "FINISHED"
    assert answer.json["name"] == "renamed"
    assert answer.json["end_time"] >= run["start_time"]
    assert answer.json["duration_ms"] == answer.json["end_time"] - run["start_time"]

    answer = await studio_fetch("DELETE", f"runs/{run['id']}")
    assert answer.code == 204
    (await studio_fetch("GET", f"runs/{run['id']}")).error(404, run["id"])


async def test_run_created_by_experiment_name(
    studio_fetch: StudioFetch, studio_tracking: TrackingService, studio_create: StudioCreate
) -> None:
    run = await studio_create("runs", {"experiment_name": "new-one"})
    experiment = studio_tracking.get_experiment_by_name("new-one")
    assert experiment is not None
    assert run["experiment_id"] == experiment.id
    again = await studio_create("runs", {"experiment_name": "new-one"})
    assert again["experiment_id"] == experiment.id

    default = await studio_create("runs", {})
    assert studio_tracking.get_experiment(default["experiment_id"]).name == "Default"


async def test_run_with_parent_and_finished_metrics(
    studio_fetch: StudioFetch, studio_create: StudioCreate
) -> None:
    parent = await new_run(studio_create)
    child = await new_run(
        studio_create,
        parent_run_id=parent["id"],
        status="FINISHED",
        metrics=[{"key": "score", "value": 0.5, "step": 0, "timestamp": 1000}],
    )
    assert child["parent_run_id"] == parent["id"]
    assert child["status"] == "FINISHED"
    assert child["end_time"] is not None
    assert child["metrics"]["score"]["last"] == 0.5

    answer = await studio_fetch("GET", "runs", params={"parent_run_id": parent["id"]})
    assert [r["id"] for r in answer.json["runs"]] == [child["id"]]

    # Deleting the parent deletes its children.
    await studio_fetch("DELETE", f"runs/{parent['id']}")
    (await studio_fetch("GET", f"runs/{child['id']}")).error(404)


async def test_run_bad_input(
    studio_fetch: StudioFetch, studio_tracking: TrackingService, studio_create: StudioCreate
) -> None:
    experiment = await studio_create("experiments", {"name": "exp"})
    (await studio_fetch("POST", "runs", body={"experiment_id": 999})).error(404, "999")
    (await studio_fetch("POST", "runs", body={"experiment_id": str(experiment["id"])})).error(
        422, "body.experiment_id"
    )
    # Numbers past SQL's 64-bit integers are bad input, not a database failure.
    (await studio_fetch("POST", "runs", body={"experiment_id": 10**20})).error(
        422, "body.experiment_id"
    )
    # A chosen run id becomes part of the run's artifact folder: it cannot hold a path.
    for run_id in ("../../outside", "a/b", "", "x" * 65):
        (await studio_fetch("POST", "runs", body={"run_id": run_id})).error(422, "body.run_id")
    (
        await studio_fetch(
            "POST", "runs", body={"experiment_id": experiment["id"], "experiment_name": "exp"}
        )
    ).error(422, "not both")
    (
        await studio_fetch(
            "POST", "runs", body={"experiment_id": experiment["id"], "status": "DONE"}
        )
    ).error(422, "body.status")
    (
        await studio_fetch(
            "POST", "runs", body={"experiment_id": experiment["id"], "params": {"": 1}}
        )
    ).error(400, "must not be empty")
    (
        await studio_fetch(
            "POST", "runs", body={"experiment_id": experiment["id"], "parent_run_id": "nope"}
        )
    ).error(404, "nope")
    assert studio_tracking.search_runs().runs == []

    run = await new_run(studio_create)
    (await studio_fetch("GET", "runs/no-such-run")).error(404, "no-such-run")
    (await studio_fetch("PATCH", "runs/no-such-run", body={"name": "x"})).error(404)
    (await studio_fetch("DELETE", "runs/no-such-run")).error(404)
    (await studio_fetch("PATCH", f"runs/{run['id']}", body={"status": 3})).error(422, "body.status")
    (await studio_fetch("PATCH", f"runs/{run['id']}", body=b"[nope")).error(400)
    assert studio_tracking.get_run(run["id"]).status.value == "RUNNING"


# Search ----------------------------------------------------------------------------------------


async def test_search_runs_filter_order_and_pages(
    studio_fetch: StudioFetch, studio_tracking: TrackingService
) -> None:
    experiment = studio_tracking.create_experiment("search")
    other = studio_tracking.create_experiment("other")
    for index in range(7):
        studio_tracking.create_run(
            experiment.id,
            name=f"run-{index}",
            params={"depth": index % 3},
            metrics=[("accuracy", index / 10, 0, 1000)],
        )
    studio_tracking.create_run(other.id, name="elsewhere", metrics=[("accuracy", 0.99, 0, 1000)])

    answer = await studio_fetch(
        "GET",
        "runs",
        params={
            "experiment_id": experiment.id,
            "filter": "metrics.accuracy >= 0.2",
            "order_by": "metrics.accuracy DESC",
            "max_results": 2,
        },
    )
    assert answer.code == 200
    page = answer.json
    assert [run["name"] for run in page["runs"]] == ["run-6", "run-5"]
    names = [run["name"] for run in page["runs"]]
    while page["next_page_token"]:
        page = (
            await studio_fetch(
                "GET",
                "runs",
                params={
                    "experiment_id": experiment.id,
                    "filter": "metrics.accuracy >= 0.2",
                    "order_by": "metrics.accuracy DESC",
                    "max_results": 2,
                    "page_token": page["next_page_token"],
                },
            )
        ).json
        names += [run["name"] for run in page["runs"]]
    assert names == ["run-6", "run-5", "run-4", "run-3", "run-2"]

    # Repeated and comma-separated lists; the POST form takes the same search as JSON.
    repeated = await studio_fetch(
        "GET",
        "runs",
        params=[
            ("experiment_id", experiment.id),
            ("experiment_id", other.id),
            ("order_by", "params.depth DESC"),
            ("order_by", "metrics.accuracy"),
        ],
    )
    comma = await studio_fetch(
        "GET",
        "runs",
        params={
            "experiment_id": f"{experiment.id},{other.id}",
            "order_by": "params.depth DESC, metrics.accuracy",
        },
    )
    posted = await studio_fetch(
        "POST",
        "runs/search",
        body={
            "experiment_ids": [experiment.id, other.id],
            "order_by": ["params.depth DESC", "metrics.accuracy"],
        },
    )
    expected = [
        run.name
        for run in studio_tracking.search_runs(
            [experiment.id, other.id], order_by=["params.depth DESC", "metrics.accuracy"]
        ).runs
    ]
    assert len(expected) == 8
    for answer in (repeated, comma, posted):
        assert answer.code == 200
        assert [run["name"] for run in answer.json["runs"]] == expected


async def test_search_bad_input(studio_fetch: StudioFetch) -> None:
    bad_filter = "metrics.accuracy >>> 0.9"
    with pytest.raises(InvalidInput) as parser:
        parse_filter(bad_filter)
    for answer in (
        await studio_fetch("GET", "runs", params={"filter": bad_filter}),
        await studio_fetch("POST", "runs/search", body={"filter": bad_filter}),
    ):
        assert answer.error(400) == parser.value.message

    (await studio_fetch("GET", "runs", params={"max_results": "many"})).error(422)
    (await studio_fetch("GET", "runs", params={"max_results": 0})).error(422, "max_results")
    (await studio_fetch("GET", "runs", params={"experiment_id": "x"})).error(422)
    (await studio_fetch("GET", "runs", params={"page_token": "garbage"})).error(400)
    (await studio_fetch("GET", "runs", params={"order_by": "colour"})).error(400)
    (await studio_fetch("POST", "runs/search", body={"experiment_ids": "1"})).error(
        422, "experiment_ids"
    )


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


async def test_metric_history_bad_input(
    studio_fetch: StudioFetch, studio_create: StudioCreate
) -> None:
    run = await new_run(studio_create)
    url = f"runs/{run['id']}/metrics/history"
    (await studio_fetch("GET", url)).error(422, "query.key")
    (await studio_fetch("GET", url, params={"key": "a", "max_points": 1})).error(400)
    (await studio_fetch("GET", url, params={"key": "a", "max_points": "x"})).error(422)
    (await studio_fetch("GET", "runs/nope/metrics/history", params={"key": "a"})).error(404)
