"""The debugger's REST routes (/studio/api/runs/{run_id}/debugger/..., /studio/api/debugger/
alerts) against a real Jupyter server, on SQLite and on PostgreSQL (STUDIO_TEST_DB_URL)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from studio.debugger.entities import Finding, RuleState, RuleStatus
from studio.debugger.schemas import MAX_STATS_TENSORS
from studio.debugger.stats import STATS
from tests.test_auth import READ_ONLY_HEADER, DenyOnHeader

if TYPE_CHECKING:
    from jupyter_server.serverapp import ServerApp
    from traitlets.config import Config

    from studio.debugger.service import DebuggerService
    from tests.conftest import StudioCreate, StudioFetch

TENSORS = ("weights/fc1.weight", "gradients/fc1.weight")


@pytest.fixture
def jp_server_config(jp_server_config: Config) -> Config:
    """An authorizer that refuses writes to the resource a request's header names."""
    jp_server_config.ServerApp.authorizer_class = DenyOnHeader
    return jp_server_config


@pytest.fixture
def debugger(jp_serverapp: ServerApp) -> DebuggerService:
    """The running server's own DebuggerService, to store what the routes read."""
    service: DebuggerService = jp_serverapp.web_app.settings["studio_debugger"]
    return service


async def new_run(create: StudioCreate, name: str = "train") -> str:
    run_id: str = (await create("runs", {"experiment_name": "exp", "name": name}))["id"]
    return run_id


def query(**params: Any) -> list[tuple[str, str]]:
    """Query parameters, a list value as a repeated parameter."""
    return [
        (name, str(item))
        for name, value in params.items()
        for item in (value if isinstance(value, list) else [value])
    ]


def append(debugger: DebuggerService, run_id: str, points: dict[str, Any]) -> None:
    columns = {
        key: (np.asarray(steps), np.asarray(steps) * 10, np.asarray(values, dtype=float))
        for key, (steps, values) in points.items()
    }
    debugger.series.append(run_id, "tensor", columns)


async def test_tensors_list_what_is_stored_of_each(
    studio_fetch: StudioFetch, studio_create: StudioCreate, debugger: DebuggerService
) -> None:
    run_id = await new_run(studio_create)
    values = np.arange(2 * len(TENSORS) * len(STATS), dtype=float).reshape(2, len(TENSORS), -1)
    debugger.save_tensor_stats(run_id, "train", [0, 10], TENSORS, values)
    debugger.save_tensor_stats(
        run_id, "eval", [10], TENSORS[:1], values[0, :1, :2], stats=STATS[:2]
    )
    append(
        debugger,
        run_id,
        {
            "train/weights/fc1.weight/hist[0]": ([0], [3]),
            "train/weights/fc1.weight/edge[0]": ([0], [-1]),
            "train/activations/fc1/active[0]": ([0], [0.5]),
            "train/activations/fc1/active[1]": ([0], [0.0]),
            "train/step/skipped": ([0], [1]),
            "elsewhere/not-a-mode/l2": ([0], [1]),  # not the debugger's: left out
        },
    )
    answer = await studio_fetch("GET", f"runs/{run_id}/debugger/tensors")
    assert answer.code == 200, answer.json
    body = answer.json
    assert body["modes"] == ["train", "eval"]
    assert body["scalars"] == [{"mode": "train", "names": ["skipped"]}]
    by_key = {(t["mode"], t["name"]): t for t in body["tensors"]}
    assert set(by_key) == {
        ("train", "weights/fc1.weight"),
        ("train", "gradients/fc1.weight"),
        ("eval", "weights/fc1.weight"),
        ("train", "activations/fc1"),
    }
    weights = by_key[("train", "weights/fc1.weight")]
    assert weights["stats"] == list(STATS)
    assert weights["histogram"] is True
    assert (weights["collection"], weights["module"]) == ("weights", "fc1")
    assert by_key[("eval", "weights/fc1.weight")]["stats"] == list(STATS[:2])
    activations = by_key[("train", "activations/fc1")]
    assert activations["vectors"] == ["active"]
    assert activations["stats"] == []

    only_eval = await studio_fetch(
        "GET", f"runs/{run_id}/debugger/tensors", params={"mode": "eval"}
    )
    assert [t["name"] for t in only_eval.json["tensors"]] == ["weights/fc1.weight"]
    (await studio_fetch("GET", f"runs/{run_id}/debugger/tensors", params={"mode": "x"})).error(
        422, "mode"
    )
    (await studio_fetch("GET", "runs/nope/debugger/tensors")).error(404, "nope")


async def test_stats_are_downsampled_keeping_extremes_with_nan_encoded(
    studio_fetch: StudioFetch, studio_create: StudioCreate, debugger: DebuggerService
) -> None:
    run_id = await new_run(studio_create)
    steps = np.arange(0, 2000, 2)
    l2 = np.sin(steps / 50.0)
    l2[777] = 40.0  # a spike a downsampled view must keep
    l2[1234 // 2] = -40.0
    mean = np.full(len(steps), 0.5)
    mean[3] = math.nan
    append(
        debugger,
        run_id,
        {
            "train/gradients/fc1.weight/l2": (steps, l2),
            "train/gradients/fc1.weight/mean": (steps, mean),
            "train/weights/fc1.weight/l2": (steps, l2 * 2),
        },
    )
    params = query(
        tensor=["gradients/fc1.weight", "weights/fc1.weight"], stat=["l2", "mean"], max_points=50
    )
    answer = await studio_fetch("GET", f"runs/{run_id}/debugger/stats", params=params)
    assert answer.code == 200, answer.json
    series = answer.json["series"]
    assert [(s["tensor"], s["stat"]) for s in series] == [
        ("gradients/fc1.weight", "l2"),
        ("gradients/fc1.weight", "mean"),
        ("weights/fc1.weight", "l2"),
        ("weights/fc1.weight", "mean"),
    ]
    gradient = series[0]
    assert gradient["downsampled"] is True
    assert gradient["total"] == len(steps)
    assert len(gradient["steps"]) <= 50
    assert max(gradient["values"]) == 40.0
    assert min(gradient["values"]) == -40.0
    assert gradient["mode"] == "train"
    assert "NaN" in series[1]["values"]
    assert series[3]["values"] == []
    assert series[3]["total"] == 0

    zoomed = await studio_fetch(
        "GET",
        f"runs/{run_id}/debugger/stats",
        params={
            "tensor": "gradients/fc1.weight",
            "stat": "l2",
            "min_step": "100",
            "max_step": "200",
        },
    )
    (only,) = zoomed.json["series"]
    assert only["steps"] == list(range(100, 201, 2))
    assert only["downsampled"] is False


BAD_STATS_QUERIES: list[tuple[dict[str, Any], str]] = [
    ({"tensor": "a", "stat": "median"}, "stat"),
    ({"tensor": "a", "mode": "training"}, "mode"),
    ({"tensor": "a", "min_step": "-1"}, "min_step"),
    ({"tensor": "a", "min_step": "9", "max_step": "3"}, "min_step"),
    ({"tensor": [f"t{i}" for i in range(MAX_STATS_TENSORS + 1)]}, "tensor"),
    ({"tensor": [f"t{i}" for i in range(20)], "max_points": "1000"}, "max_points"),
    ({}, "tensor"),
]


async def test_stats_refuse_bad_queries_and_missing_runs(
    studio_fetch: StudioFetch, studio_create: StudioCreate
) -> None:
    run_id = await new_run(studio_create)
    for params, fragment in BAD_STATS_QUERIES:
        answer = await studio_fetch("GET", f"runs/{run_id}/debugger/stats", params=query(**params))
        answer.error(422, fragment)
    answer = await studio_fetch("GET", "runs/abc/debugger/stats", params={"tensor": "a"})
    answer.error(404, "abc")


async def test_histograms_over_steps_are_thinned_evenly(
    studio_fetch: StudioFetch, studio_create: StudioCreate, debugger: DebuggerService
) -> None:
    run_id = await new_run(studio_create)
    steps = np.arange(0, 500, 10)  # 50 steps, 4 bins
    points: dict[str, Any] = {
        f"train/weights/fc1.weight/hist[{b}]": (steps, steps + b) for b in range(4)
    }
    points |= {f"train/weights/fc1.weight/edge[{e}]": ([0], [e - 2.0]) for e in range(5)}
    # Another tensor whose name extends this one's must not mix in.
    points["train/weights/fc1.weight/x/hist[0]"] = ([0], [99])
    append(debugger, run_id, points)

    params = {"tensor": "weights/fc1.weight", "max_steps": "5"}
    answer = await studio_fetch("GET", f"runs/{run_id}/debugger/histograms", params=params)
    assert answer.code == 200, answer.json
    body = answer.json
    assert body["edges"] == [-2.0, -1.0, 0.0, 1.0, 2.0]
    assert body["total_steps"] == 50
    assert body["steps"][0] == 0
    assert body["steps"][-1] == 490
    assert len(body["steps"]) == 5
    assert len(body["counts"]) == 5
    assert all(
        row == [step + b for b in range(4)]
        for step, row in zip(body["steps"], body["counts"], strict=True)
    )

    ranged = await studio_fetch(
        "GET",
        f"runs/{run_id}/debugger/histograms",
        params={"tensor": "weights/fc1.weight", "min_step": "100", "max_step": "130"},
    )
    assert ranged.json["steps"] == [100, 110, 120, 130]
    (await studio_fetch("GET", f"runs/{run_id}/debugger/histograms", params={})).error(
        422, "tensor"
    )
    bad = {"tensor": "weights/fc1.weight", "max_steps": "0"}
    (await studio_fetch("GET", f"runs/{run_id}/debugger/histograms", params=bad)).error(422)


async def test_findings_post_then_page_with_after_id(
    studio_fetch: StudioFetch, studio_create: StudioCreate, debugger: DebuggerService
) -> None:
    run_id = await new_run(studio_create)
    posted = {
        "findings": [
            {
                "rule": "ExplodingTensor",
                "step": 30,
                "tensors": ["gradients/fc1.weight"],
                "message": "NaN in gradients",
                "values": {"nan": "NaN", "max": "Infinity", "per_unit": [1, "-Infinity"]},
            },
            {"rule": "LossNotDecreasing", "step": 40, "mode": "eval"},
        ]
    }
    answer = await studio_fetch("POST", f"runs/{run_id}/debugger/findings", body=posted)
    assert answer.code == 201, answer.json
    first, second = answer.json["findings"]
    assert first["values"] == {"nan": "NaN", "max": "Infinity", "per_unit": [1, "-Infinity"]}
    stored = debugger.get_findings(run_id)
    assert math.isnan(stored[0].values["nan"])
    assert stored[0].values["max"] == math.inf
    assert stored[1].mode == "eval"

    listed = await studio_fetch("GET", f"runs/{run_id}/debugger/findings")
    assert [f["id"] for f in listed.json["findings"]] == [first["id"], second["id"]]
    after = await studio_fetch(
        "GET", f"runs/{run_id}/debugger/findings", params={"after_id": str(first["id"])}
    )
    assert [f["rule"] for f in after.json["findings"]] == ["LossNotDecreasing"]
    by_rule = await studio_fetch(
        "GET", f"runs/{run_id}/debugger/findings", params={"rule": "ExplodingTensor"}
    )
    assert [f["step"] for f in by_rule.json["findings"]] == [30]

    path = f"runs/{run_id}/debugger/findings"
    (await studio_fetch("POST", path, body={"findings": []})).error(422, "findings")
    (await studio_fetch("POST", path, body={"findings": [{"rule": "R", "step": -1}]})).error(422)
    bad_mode = {"findings": [{"rule": "R", "step": 1, "mode": "x"}]}
    (await studio_fetch("POST", path, body=bad_mode)).error(422, "mode")
    huge = {"findings": [{"rule": "R", "step": 1, "values": {"a": "x" * 70_000}}]}
    (await studio_fetch("POST", path, body=huge)).error(422, "bytes")
    (await studio_fetch("POST", "runs/gone/debugger/findings", body=posted)).error(404, "gone")
    assert len(debugger.get_findings(run_id)) == 2


async def test_rule_states_put_and_get(
    studio_fetch: StudioFetch, studio_create: StudioCreate, debugger: DebuggerService
) -> None:
    run_id = await new_run(studio_create)
    debugger.record_findings(run_id, [Finding("AllZero", 5)])
    body = {
        "rules": [
            {"rule": "AllZero", "status": "ok", "parameters": {"threshold": 0.5}, "last_step": 9},
            {"rule": "Overfit", "parameters": {"ratio": "Infinity"}},
        ]
    }
    answer = await studio_fetch("PUT", f"runs/{run_id}/debugger/rules", body=body)
    assert answer.code == 200, answer.json
    rules = answer.json["rules"]
    assert [r["rule"] for r in rules] == ["AllZero", "Overfit"]
    assert rules[0]["findings"] == 1  # the store's count, kept
    assert rules[0]["status"] == "ok"
    assert rules[0]["last_step"] == 9
    assert rules[1]["status"] == "not_evaluated"
    assert rules[1]["parameters"] == {"ratio": "Infinity"}
    got = await studio_fetch("GET", f"runs/{run_id}/debugger/rules")
    assert got.json == answer.json
    stored = {s.rule: s for s in debugger.get_rule_states(run_id)}
    assert stored["Overfit"].parameters == {"ratio": math.inf}

    twice = {"rules": [{"rule": "A"}, {"rule": "A"}]}
    (await studio_fetch("PUT", f"runs/{run_id}/debugger/rules", body=twice)).error(422, "once")
    bad = {"rules": [{"rule": "A", "status": "burning"}]}
    (await studio_fetch("PUT", f"runs/{run_id}/debugger/rules", body=bad)).error(422, "status")
    (await studio_fetch("GET", "runs/gone/debugger/rules")).error(404)
    assert debugger.get_rule_states(run_id)[0] == RuleState(
        "AllZero", RuleStatus.OK, {"threshold": 0.5}, 9, 1, stored["AllZero"].updated_at
    )


async def test_alerts_across_runs_newest_first_after_an_id(
    studio_fetch: StudioFetch, studio_create: StudioCreate, debugger: DebuggerService
) -> None:
    first_run = await new_run(studio_create, "first")
    second_run = await new_run(studio_create, "second")
    empty = await studio_fetch("GET", "debugger/alerts")
    assert empty.json == {"alerts": [], "last_id": None}

    debugger.record_findings(first_run, [Finding("AllZero", 1), Finding("AllZero", 2)])
    debugger.record_findings(second_run, [Finding("Overfit", 3, message="gap")])
    answer = await studio_fetch("GET", "debugger/alerts")
    alerts = answer.json["alerts"]
    assert [(a["run_name"], a["step"]) for a in alerts] == [
        ("second", 3),
        ("first", 2),
        ("first", 1),
    ]
    assert alerts[0]["run_id"] == second_run
    assert alerts[0]["message"] == "gap"
    assert isinstance(alerts[0]["experiment_id"], int)
    last_id = answer.json["last_id"]
    assert last_id == alerts[0]["id"]

    nothing_new = await studio_fetch("GET", "debugger/alerts", params={"after_id": str(last_id)})
    assert nothing_new.json == {"alerts": [], "last_id": last_id}
    debugger.record_findings(first_run, [Finding("AllZero", 4)])
    fresh = await studio_fetch("GET", "debugger/alerts", params={"after_id": str(last_id)})
    assert [a["step"] for a in fresh.json["alerts"]] == [4]
    one = await studio_fetch("GET", "debugger/alerts", params={"max_results": "1"})
    assert [a["step"] for a in one.json["alerts"]] == [4]
    (await studio_fetch("GET", "debugger/alerts", params={"max_results": "0"})).error(422)
    (await studio_fetch("GET", "debugger/alerts", params={"after_id": "-3"})).error(422)


async def test_routes_need_a_token_and_are_authorized_as_the_debugger(
    studio_fetch: StudioFetch, studio_create: StudioCreate, debugger: DebuggerService
) -> None:
    run_id = await new_run(studio_create)
    anonymous = {"Authorization": ""}
    for path in (f"runs/{run_id}/debugger/rules", "debugger/alerts"):
        answer = await studio_fetch("GET", path, headers=anonymous)
        assert answer.code in (401, 403), answer
    body = {"rules": [{"rule": "AllZero", "status": "ok"}]}
    path = f"runs/{run_id}/debugger/rules"
    # Writes to "studio.debugger" refused; reading it, and writing tracking, still allowed.
    refused = await studio_fetch(
        "PUT", path, body=body, headers={READ_ONLY_HEADER: "studio.debugger"}
    )
    assert refused.code == 403
    assert debugger.get_rule_states(run_id) == []
    read = await studio_fetch("GET", path, headers={READ_ONLY_HEADER: "studio.debugger"})
    assert read.code == 200
    allowed = await studio_fetch(
        "PUT", path, body=body, headers={READ_ONLY_HEADER: "studio.tracking"}
    )
    assert allowed.code == 200
