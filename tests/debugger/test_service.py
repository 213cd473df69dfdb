"""DebuggerService: tensor statistics as series of their run, findings and rule states, on
SQLite and on PostgreSQL (STUDIO_TEST_DB_URL)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
from sqlalchemy import func, select

from studio.debugger.entities import Finding, RuleState, RuleStatus
from studio.debugger.orm import SqlFinding, SqlRuleState
from studio.debugger.service import TENSOR_KIND, DebuggerService, parse_key, series_key
from studio.debugger.stats import STATS, numpy_stats
from studio.errors import InvalidInput, NotFound
from studio.tracking.service import TrackingService
from studio.tracking.store import TrackingStore

if TYPE_CHECKING:
    from studio.db.engine import Database

TENSORS = ("encoder.layers.0/weight", "encoder.layers.0/weight.grad", "head.bias")


@pytest.fixture
def tracking(database: Database, tmp_path: Path) -> TrackingService:
    return TrackingService(TrackingStore(database, str(tmp_path / "artifacts")))


@pytest.fixture
def debugger(database: Database) -> DebuggerService:
    return DebuggerService(database, None)


@pytest.fixture
def run_id(tracking: TrackingService) -> str:
    experiment = tracking.create_experiment("exp").id
    return tracking.create_run(experiment, name="train").id


def _values(steps: int, seed: int = 0) -> np.ndarray:
    """steps x tensors x stats, the statistics of random tensors."""
    rng = np.random.default_rng(seed)
    return np.stack([numpy_stats([rng.normal(size=50) for _ in TENSORS]) for _ in range(steps)])


def test_a_key_splits_back_whatever_the_tensor_name_holds() -> None:
    for tensor in TENSORS:
        assert parse_key(series_key("eval", tensor, "l2")) == ("eval", tensor, "l2")


def test_statistics_read_back_as_a_wide_frame(debugger: DebuggerService, run_id: str) -> None:
    values = _values(4)
    debugger.save_tensor_stats(run_id, "train", [10, 20, 30, 40], TENSORS, values)
    debugger.save_tensor_stats(run_id, "eval", [20], TENSORS, values[1])
    frame = debugger.get_tensor_stats(run_id)
    assert list(frame.columns) == ["tensor", "mode", "step", "timestamp", *STATS]
    assert len(frame) == 3 * 4 + 3
    row = frame[(frame.tensor == TENSORS[1]) & (frame["mode"] == "train") & (frame.step == 30)]
    np.testing.assert_array_equal(row[list(STATS)].to_numpy()[0], values[2, 1])
    # Sorted by tensor, mode and step: a tensor's history reads in order.
    train = frame[(frame.tensor == TENSORS[0]) & (frame["mode"] == "train")]
    assert train.step.tolist() == [10, 20, 30, 40]
    assert set(debugger.list_tensors(run_id)) == {
        (m, t) for m in ("train", "eval") for t in TENSORS
    }


def test_reading_chooses_tensors_statistics_mode_and_steps(
    debugger: DebuggerService, run_id: str
) -> None:
    values = _values(3)
    debugger.save_tensor_stats(run_id, "train", [1, 2, 3], TENSORS, values)
    debugger.save_tensor_stats(run_id, "eval", [3], TENSORS, values[2])
    one = debugger.get_tensor_stats(run_id, tensor=TENSORS[0], stats=["l2", "nan"], mode="train")
    assert list(one.columns) == ["tensor", "mode", "step", "timestamp", "l2", "nan"]
    assert one.tensor.unique().tolist() == [TENSORS[0]]
    np.testing.assert_array_equal(one.l2, values[:, 0, STATS.index("l2")])
    two = debugger.get_tensor_stats(run_id, tensor=TENSORS[1:], stats="mean", min_step=2)
    assert sorted(set(zip(two.tensor, two["mode"], strict=True))) == sorted(
        (t, m) for t in TENSORS[1:] for m in ("eval", "train")
    )
    assert two.step.min() == 2
    assert debugger.get_tensor_stats(run_id, tensor="absent").empty
    empty = debugger.get_tensor_stats(run_id, mode="predict", stats=["min"])
    assert empty.empty
    assert list(empty.columns) == ["tensor", "mode", "step", "timestamp", "min"]


def test_non_finite_statistics_are_kept(debugger: DebuggerService, run_id: str) -> None:
    values = numpy_stats([np.array([1.0, np.nan, np.inf]), np.array([])])
    debugger.save_tensor_stats(run_id, "train", [5], ["a", "b"], values, stats=STATS)
    frame = debugger.get_tensor_stats(run_id).set_index("tensor")
    assert frame.loc["a", "nan"] == 1.0
    assert frame.loc["a", "inf"] == 1.0
    assert math.isnan(frame.loc["b", "mean"])


def test_bad_input_is_refused(debugger: DebuggerService, run_id: str) -> None:
    values = _values(1)
    with pytest.raises(InvalidInput, match="mode"):
        debugger.save_tensor_stats(run_id, "TRAINING", [1], TENSORS, values)
    with pytest.raises(InvalidInput, match="shape"):
        debugger.save_tensor_stats(run_id, "train", [1, 2], TENSORS, values)
    with pytest.raises(InvalidInput, match="tensor"):
        debugger.save_tensor_stats(run_id, "train", [1], ["a", "b", "w[0]"], values)
    with pytest.raises(InvalidInput, match="statistics"):
        debugger.get_tensor_stats(run_id, stats=["median"])
    with pytest.raises(NotFound):
        debugger.save_tensor_stats("nope", "train", [1], TENSORS, values)
    assert debugger.get_tensor_stats(run_id).empty


def test_tensor_statistics_are_not_metrics(
    debugger: DebuggerService, tracking: TrackingService, run_id: str
) -> None:
    debugger.save_tensor_stats(run_id, "train", [1, 2], TENSORS, _values(2))
    assert tracking.get_run(run_id).metrics == {}
    assert len(tracking.series.list_series(run_id, TENSOR_KIND)) == len(TENSORS) * len(STATS)


def test_findings_and_rule_states(debugger: DebuggerService, run_id: str) -> None:
    assert debugger.get_findings(run_id) == []
    debugger.save_rule_states(
        run_id,
        [
            RuleState("ExplodingTensor", parameters={"only_nan": False}),
            RuleState("VanishingGradient", RuleStatus.OK, {"threshold": 1e-7}, last_step=10),
        ],
    )
    stored = debugger.record_findings(
        run_id,
        [
            Finding(
                "ExplodingTensor",
                12,
                ("encoder.layers.0/weight.grad",),
                "NaN in a gradient",
                values={"nan": np.float64(3.0), "max": math.inf},
            ),
            Finding("ExplodingTensor", 14, ("head.bias",), "again", mode="eval"),
            Finding("DeadRelu", 14, ("relu1",), "90% of units dead", values={"dead": [0.9]}),
        ],
    )
    assert [finding.id for finding in stored] == sorted(f.id for f in stored)
    found = debugger.get_findings(run_id)
    assert [(f.rule, f.step, f.mode) for f in found] == [
        ("ExplodingTensor", 12, "train"),
        ("ExplodingTensor", 14, "eval"),
        ("DeadRelu", 14, "train"),
    ]
    assert found[0].values == {"nan": 3.0, "max": math.inf}
    assert found[0].tensors == ("encoder.layers.0/weight.grad",)
    assert found[0].created_at is not None
    assert [f.step for f in debugger.get_findings(run_id, rule="DeadRelu")] == [14]
    states = {state.rule: state for state in debugger.get_rule_states(run_id)}
    assert states["ExplodingTensor"].findings == 2
    assert states["ExplodingTensor"].parameters == {"only_nan": False}
    assert states["VanishingGradient"] == RuleState(
        "VanishingGradient",
        RuleStatus.OK,
        {"threshold": 1e-7},
        10,
        0,
        states["VanishingGradient"].updated_at,
    )
    # A rule that fired without a state first gets one, firing.
    assert states["DeadRelu"].status is RuleStatus.FIRING
    assert states["DeadRelu"].findings == 1
    # Saving a state again keeps its findings count.
    debugger.save_rule_states(run_id, [RuleState("ExplodingTensor", RuleStatus.FIRING)])
    again = {state.rule: state for state in debugger.get_rule_states(run_id)}
    assert again["ExplodingTensor"].findings == 2
    assert again["ExplodingTensor"].status is RuleStatus.FIRING


def test_bad_findings_store_nothing(debugger: DebuggerService, run_id: str) -> None:
    good = Finding("AllZero", 1, ("w",), "all zero")
    with pytest.raises(InvalidInput):
        debugger.record_findings(run_id, [good, Finding("AllZero", 2, ("w",), "x", mode="fit")])
    with pytest.raises(InvalidInput):
        debugger.record_findings(run_id, [good, Finding("AllZero", 2, values={"x": object()})])
    with pytest.raises(NotFound):
        debugger.record_findings("nope", [good])
    assert debugger.get_findings(run_id) == []
    assert debugger.get_rule_states(run_id) == []


def test_deleting_a_run_deletes_its_statistics_findings_and_states(
    debugger: DebuggerService, tracking: TrackingService, database: Database, run_id: str
) -> None:
    experiment = tracking.get_run(run_id).experiment_id
    kept = tracking.create_run(experiment, name="kept").id
    for run in (run_id, kept):
        debugger.save_tensor_stats(run, "train", [1], TENSORS, _values(1))
        debugger.record_findings(run, [Finding("AllZero", 1, ("w",), "all zero")])
        debugger.save_rule_states(run, [RuleState("Overfit")])
    tracking.delete_run(run_id)
    with pytest.raises(NotFound):
        debugger.get_tensor_stats(run_id)
    with database.session() as session:
        for table in (SqlFinding, SqlRuleState):
            count = select(func.count()).select_from(table).where(table.run_id == run_id)
            assert session.execute(count).scalar_one() == 0
    assert len(debugger.get_findings(kept)) == 1
    assert len(debugger.get_tensor_stats(kept)) == len(TENSORS)
    tracking.delete_experiment(experiment)
    with database.session() as session:
        for table in (SqlFinding, SqlRuleState):
            assert session.execute(select(func.count()).select_from(table)).scalar_one() == 0


def test_statistics_at_different_steps_line_up_on_the_steps(
    debugger: DebuggerService, run_id: str
) -> None:
    values = _values(2)
    debugger.save_tensor_stats(run_id, "train", [1, 2], TENSORS, values)
    # Only the norm at step 3, and step 2's norm recorded again.
    debugger.save_tensor_stats(run_id, "train", [3], TENSORS[:1], [[7.0]], stats=["l2"])
    debugger.save_tensor_stats(run_id, "train", [2], TENSORS[:1], [[9.0]], stats=["l2"])
    frame = debugger.get_tensor_stats(run_id, tensor=TENSORS[0])
    assert frame.step.tolist() == [1, 2, 3]
    assert frame.l2.tolist()[1:] == [9.0, 7.0]
    assert frame["mean"].iloc[1] == values[1, 0, STATS.index("mean")]
    assert math.isnan(frame["mean"].iloc[2])
    assert list(frame.columns) == ["tensor", "mode", "step", "timestamp", *STATS]


def test_the_whole_frame_is_sorted_by_tensor_mode_and_step(
    debugger: DebuggerService, run_id: str
) -> None:
    """Rows in (tensor, mode, step) order whatever order tensors, modes and steps came in,
    a tensor whose statistics do not share their steps included."""
    names = ["z.weight", "a.bias", "m/fc.weight"]
    values = np.arange(2 * 3 * len(STATS), dtype=np.float64).reshape(2, 3, len(STATS))
    debugger.save_tensor_stats(run_id, "train", [30, 40], names, values)
    debugger.save_tensor_stats(run_id, "eval", [35], names, values[0])
    debugger.save_tensor_stats(run_id, "train", [10], names, values[1])
    debugger.save_tensor_stats(run_id, "train", [20], ["a.bias"], [[1.0]], stats=["l2"])
    frame = debugger.get_tensor_stats(run_id)
    expected = frame.sort_values(["tensor", "mode", "step"], kind="stable", ignore_index=True)
    assert frame.tensor.tolist()[:5] == ["a.bias"] * 5
    assert list(zip(frame["mode"], frame.step, strict=True))[:5] == [
        ("eval", 35),
        ("train", 10),
        ("train", 20),
        ("train", 30),
        ("train", 40),
    ]
    assert frame.equals(expected)
    assert math.isnan(frame.loc[2, "mean"])
    assert frame.loc[2, "l2"] == 1.0
