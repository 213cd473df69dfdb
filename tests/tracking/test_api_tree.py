"""The run search's tree mode and offset through HTTP: what the runs table of nested runs asks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.tracking.entities import RunStatus
from studio.tracking.paging import MAX_OFFSET

if TYPE_CHECKING:
    from studio.tracking.service import TrackingService
    from tests.conftest import StudioFetch


async def test_a_tree_search_answers_each_runs_place_in_the_tree(
    studio_fetch: StudioFetch, studio_tracking: TrackingService
) -> None:
    experiment = studio_tracking.create_experiment("grid")
    finished = {"status": RunStatus.FINISHED, "start_time": 1, "end_time": 2}
    parent = studio_tracking.create_run(experiment.id, name="search", **finished)
    for index in range(3):
        studio_tracking.create_run(
            experiment.id,
            name=f"candidate-{index}",
            parent_run_id=parent.id,
            metrics=[("score", index / 10, 0, 1)],
            **finished,
        )
    studio_tracking.create_run(experiment.id, name="plain", **finished)

    answer = await studio_fetch(
        "POST",
        "runs/search",
        body={"experiment_ids": [experiment.id], "tree": True, "include_total": True},
    )
    assert answer.code == 200
    assert answer.json["total"] == 2
    tree = answer.json["tree"]
    by_name = {run["name"]: tree[run["id"]] for run in answer.json["runs"]}
    assert by_name == {
        "search": {"child_count": 3, "matched": True},
        "plain": {"child_count": 0, "matched": True},
    }

    filtered = await studio_fetch(
        "POST",
        "runs/search",
        body={"experiment_ids": [experiment.id], "tree": True, "filter": "metrics.score > 0.1"},
    )
    assert [run["name"] for run in filtered.json["runs"]] == ["search"]
    assert filtered.json["tree"][parent.id] == {"child_count": 1, "matched": False}

    children = await studio_fetch(
        "GET",
        "runs",
        params={"parent_run_id": parent.id, "tree": "true", "order_by": "metrics.score desc"},
    )
    assert [run["name"] for run in children.json["runs"]] == [
        "candidate-2",
        "candidate-1",
        "candidate-0",
    ]
    # A plain search has no tree.
    plain = await studio_fetch("POST", "runs/search", body={"experiment_ids": [experiment.id]})
    assert plain.json["tree"] is None
    assert len(plain.json["runs"]) == 5


async def test_an_offset_jumps_to_any_row_within_its_declared_limit(
    studio_fetch: StudioFetch, studio_tracking: TrackingService
) -> None:
    experiment = studio_tracking.create_experiment("long")
    for index in range(6):
        studio_tracking.create_run(experiment.id, name=f"run-{index}", start_time=index)
    page = await studio_fetch(
        "POST",
        "runs/search",
        body={"experiment_ids": [experiment.id], "offset": 4, "max_results": 5},
    )
    assert [run["name"] for run in page.json["runs"]] == ["run-1", "run-0"]

    (await studio_fetch("POST", "runs/search", body={"offset": MAX_OFFSET + 1})).error(
        422, "offset"
    )
    (await studio_fetch("GET", "runs", params={"offset": -1})).error(422, "offset")
    token = (await studio_fetch("GET", "runs", params={"max_results": 1})).json["next_page_token"]
    (await studio_fetch("POST", "runs/search", body={"offset": 1, "page_token": token})).error(400)
