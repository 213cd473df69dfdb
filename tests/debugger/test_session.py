"""DebugSession and RuleEngine: rules run on records as they arrive; actions; states; sinks."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pytest

from studio.debugger import DebugSession, Rule, RuleStatus, StopTraining
from studio.debugger.record import StepRecord, collection_of, module_of, tensor_name
from studio.debugger.rules import RuleEngine
from studio.debugger.stats import STATS, numpy_stats

if TYPE_CHECKING:
    from studio.debugger.entities import Finding, RuleState


def record(step: int, loss: float, mode: str = "train") -> StepRecord:
    values = np.array([[loss]])
    return StepRecord(step, mode, 0, ("losses/loss",), numpy_stats([values]))


class LossAbove(Rule):
    collections = ("losses",)

    def __init__(self, limit: float = 10.0, **options: object) -> None:
        super().__init__(limit=limit, **options)  # type: ignore[arg-type]
        self.limit = limit

    def observe(self, record: StepRecord) -> list[Finding]:
        value = record.stat("losses/loss", "mean")
        if value > self.limit:
            return [self.finding(record, ("losses/loss",), f"loss {value} > {self.limit}")]
        return []


class EvalOnly(LossAbove):
    modes = ("eval",)


class MemorySink:
    def __init__(self) -> None:
        self.written: list[tuple[StepRecord | None, tuple[Finding, ...], list[RuleState]]] = []
        self.closed = False

    def write(
        self, record: StepRecord | None, findings: Sequence[Finding], states: Sequence[RuleState]
    ) -> None:
        self.written.append((record, tuple(findings), list(states)))

    def flush(self, timeout: float | None = None) -> None:
        pass

    def close(self) -> None:
        self.closed = True


def test_tensor_names_split_into_collection_and_module() -> None:
    assert tensor_name("gradients", "encoder.0.weight") == "gradients/encoder.0.weight"
    assert tensor_name("labels") == "labels"
    assert collection_of("gradients/encoder.0.weight") == "gradients"
    assert module_of("gradients/encoder.0.weight") == "encoder.0"
    assert module_of("activations/encoder.1") == "encoder.1"
    assert module_of("labels") == ""
    with pytest.raises(ValueError, match="Unknown collection"):
        tensor_name("weight", "x")


def test_a_record_reads_statistics_by_name() -> None:
    rows = numpy_stats([np.array([1.0, -3.0]), np.array([0.0, np.nan])])
    found = StepRecord(5, "train", 0, ("weights/a", "weights/b"), rows)
    assert found.stat("weights/a", "l1") == 4.0
    assert found.stat("weights/b", "nan") == 1.0
    assert list(found.column("count")) == [2.0, 2.0]
    assert list(found.in_collection("weights")) == ["weights/a", "weights/b"]
    assert "weights/a" in found
    assert "weights/c" not in found
    assert found.stats.shape == (2, len(STATS))


def test_findings_alert_listeners_and_reach_the_sink() -> None:
    sink = MemorySink()
    session = DebugSession(rules=[LossAbove(limit=1.0)], sink=sink)
    heard: list[tuple[int | None, int]] = []
    session.listeners.append(lambda _s, rec, new: heard.append((rec and rec.step, len(new))))
    assert session.submit(record(1, 0.5)) == []
    new = session.submit(record(2, 3.0))
    assert [finding.step for finding in new] == [2]
    assert session.findings == new
    assert heard == [(1, 0), (2, 1)]
    assert [found for _, found, _ in sink.written] == [(), tuple(new)]
    assert not session.should_stop
    session.raise_if_stopped()
    session.close()
    last_record, _, states = sink.written[-1]
    assert last_record is None
    assert sink.closed
    assert states[0].status is RuleStatus.FIRING
    assert states[0].findings == 1
    assert states[0].last_step == 2
    assert states[0].parameters == {"limit": 1.0}


def test_a_stopping_rule_stops_at_the_next_boundary() -> None:
    session = DebugSession(rules=[LossAbove(limit=1.0, actions="stop")], sink=MemorySink())
    session.submit(record(1, 5.0))
    assert session.should_stop
    with pytest.raises(StopTraining, match="LossAbove at step 1"):
        session.raise_if_stopped()


def test_a_recording_rule_dumps_the_flight_recorder() -> None:
    dumped: list[Sequence[Finding]] = []

    class Recorder:
        def dump(self, findings: Sequence[Finding]) -> list[str]:
            dumped.append(findings)
            return ["debugger/flight/step-1.npz"]

    session = DebugSession(
        rules=[LossAbove(limit=1.0, actions=["record"]), EvalOnly(limit=0.0)],
        sink=MemorySink(),
        flight_recorder=Recorder(),
    )
    session.submit(record(1, 5.0))
    assert [[f.rule for f in found] for found in dumped] == [["LossAbove"]]
    assert not session.should_stop


def test_rules_of_one_mode_skip_the_others_and_states_say_so() -> None:
    engine = RuleEngine([EvalOnly(limit=0.0), LossAbove(limit=100.0)])
    assert engine.observe(record(1, 1.0)) == []
    states = {state.rule: state for state in engine.states()}
    assert states["EvalOnly"].status is RuleStatus.NOT_EVALUATED
    assert states["LossAbove"].status is RuleStatus.OK
    assert [f.rule for f in engine.observe(record(2, 1.0, "eval"))] == ["EvalOnly"]


def test_unknown_actions_and_repeated_rules_are_refused() -> None:
    with pytest.raises(ValueError, match="Unknown actions"):
        LossAbove(actions="page")
    with pytest.raises(ValueError, match="repeats"):
        RuleEngine([LossAbove(), LossAbove()])
    with pytest.raises(ValueError, match="default"):
        DebugSession(rules="all")


def test_a_failing_listener_or_recorder_never_ends_the_training() -> None:
    class Broken:
        def dump(self, findings: Sequence[Finding]) -> list[str]:
            raise OSError("disk full")

    session = DebugSession(
        rules=[LossAbove(limit=0.0, actions="record")], sink=MemorySink(), flight_recorder=Broken()
    )

    def fail(*_: object) -> None:
        raise RuntimeError("display gone")

    session.listeners.append(fail)
    assert len(session.submit(record(1, 1.0))) == 1


def test_submit_and_idle_may_race() -> None:
    class Silent(Rule):
        watchdog = True

        def idle(self, seconds: float, last_step: int | None) -> list[Finding]:
            return []

    session = DebugSession(rules=[Silent(), LossAbove(limit=0.5)], sink=MemorySink())
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            session.idle()

    thread = threading.Thread(target=poll)
    thread.start()
    for step in range(200):
        session.submit(record(step, 1.0))
    done.set()
    thread.join()
    assert session.records == 200
    assert len(session.findings) == 200
