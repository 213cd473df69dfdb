"""The tracking REST API through HTTP (jp_fetch): every route, and bad input on each."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from studio.errors import InvalidInput
from studio.tracking.search import parse_filter

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


async def test_experiment_list_comes_in_pages(
    studio_fetch: StudioFetch, studio_create: StudioCreate
) -> None:
    for name in ("a", "b", "c", "d", "e"):
        await studio_create("experiments", {"name": name})
    names: list[str] = []
    params: dict[str, Any] = {"max_results": 2}
    while True:
        page = (await studio_fetch("GET", "experiments", params=params)).json
        assert len(page["experiments"]) <= 2
        names += [experiment["name"] for experiment in page["experiments"]]
        if page["next_page_token"] is None:
            break
        params["page_token"] = page["next_page_token"]
    assert names == ["e", "d", "c", "b", "a"]
    (await studio_fetch("GET", "experiments", params={"max_results": 1001})).error(
        422, "query.max_results"
    )
    (await studio_fetch("GET", "experiments", params={"page_token": "%%"})).error(400, "page_token")


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


async def test_a_missing_body_is_refused_never_taken_as_empty(
    studio_fetch: StudioFetch, studio_tracking: TrackingService, studio_create: StudioCreate
) -> None:
    run = await new_run(studio_create)
    for method, path in (
        ("POST", "runs"),
        ("POST", "experiments"),
        ("POST", "runs/search"),
        ("POST", f"runs/{run['id']}/batch"),
        ("PATCH", f"runs/{run['id']}"),
    ):
        (await studio_fetch(method, path, body=b"")).error(400, "request body is missing")
    # Only the run made above: the empty POST /runs created none.
    assert [r.id for r in studio_tracking.search_runs().runs] == [run["id"]]


async def test_run_times_are_refused_out_of_order_or_range(
    studio_fetch: StudioFetch, studio_create: StudioCreate
) -> None:
    (
        await studio_fetch(
            "POST", "runs", body={"start_time": 2000, "end_time": 1000, "status": "FINISHED"}
        )
    ).error(422, "end_time (1000) must not be before start_time (2000)")
    # A start at INT64_MIN and an end at INT64_MAX once made duration_ms 2**64 - 1.
    for field in ("start_time", "end_time"):
        (await studio_fetch("POST", "runs", body={field: -(2**63)})).error(422, f"body.{field}")
    (await studio_fetch("POST", "runs", body={"end_time": 2**63})).error(422, "body.end_time")
    run = await new_run(studio_create)
    (await studio_fetch("PATCH", f"runs/{run['id']}", body={"end_time": -1})).error(
        422, "body.end_time"
    )

    longest = await new_run(studio_create, start_time=0, end_time=2**63 - 1, status="FINISHED")
    assert longest["start_time"] == 0  # 0 is a time, not "now"
    assert longest["duration_ms"] == 2**63 - 1
    instant = await new_run(studio_create, start_time=5, end_time=5, status="KILLED")
    assert instant["duration_ms"] == 0


async def test_experiment_ids_past_their_32_bit_column_are_refused(
    studio_fetch: StudioFetch,
) -> None:
    # PostgreSQL's INTEGER refuses them outright ("integer out of range" was a 500 there).
    too_big = 2**31
    (await studio_fetch("GET", f"experiments/{too_big}")).error(404)
    (await studio_fetch("POST", "runs", body={"experiment_id": too_big})).error(
        422, "body.experiment_id"
    )
    (await studio_fetch("POST", "runs/search", body={"experiment_ids": [too_big]})).error(
        422, "body.experiment_ids"
    )
    (await studio_fetch("GET", "runs", params={"experiment_id": -1})).error(
        422, "query.experiment_id"
    )


async def test_an_empty_experiment_id_is_refused(studio_fetch: StudioFetch) -> None:
    for value in ("", "1,", ",2", "1,,2"):
        (await studio_fetch("GET", "runs", params={"experiment_id": value})).error(
            422, "query.experiment_id"
        )


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
