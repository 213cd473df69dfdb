"""ClassImbalance, StalledTraining (and the session's watchdog thread), custom rules and the
default set."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

import numpy as np

from studio.debugger import DebugSession, Rule
from studio.debugger.entities import Finding, RuleStatus
from studio.debugger.rules import BUILT_IN, ClassImbalance, StalledTraining, default_rules
from tests.debugger.rules.synthetic import losses, make_record, run

if TYPE_CHECKING:
    from studio.debugger.record import StepRecord


def _batch(step: int, counts: list[float], correct: list[float] | None = None) -> StepRecord:
    vectors = {"labels": {"count": counts}}
    if correct is not None:
        vectors["predictions"] = {"count": counts, "correct": correct}
    return make_record(step, vectors=vectors)


def test_class_imbalance_fires_once_enough_samples_show_a_large_ratio() -> None:
    records = [_batch(step, [99, 9], [99, 9]) for step in range(6)]  # 108 a step
    findings = run(ClassImbalance(), records)
    assert [(f.step, f.values["ratio"]) for f in findings] == [(4, 11.0)]  # 540 >= 500
    assert "Class 0 has 11 times the samples of class 1" in findings[0].message
    assert run(ClassImbalance(threshold_imbalance=12), records) == []
    assert run(ClassImbalance(samples=1000), records) == []
    assert run(ClassImbalance(), [_batch(s, [60, 48], [60, 48]) for s in range(6)]) == []


def test_class_imbalance_fires_when_a_class_is_mostly_mispredicted() -> None:
    # 150 labels a step: windows of 4 steps (600 labels); judged from the second window on,
    # it fires when two windows in a row are judged mispredicted.
    records = [_batch(step, [50, 50, 0, 50], [45, 10, 0, 45]) for step in range(12)]
    findings = run(ClassImbalance(), records)
    assert [(f.step, f.values["class"]) for f in findings] == [(11, 1)]
    assert findings[0].values["misprediction"] == 0.8
    assert "Class 1 is mispredicted 80%" in findings[0].message
    # Class 2 is never seen: it is not a class of size 0.
    assert run(ClassImbalance(threshold_misprediction=0.85), records) == []
    # The first window has no earlier one; the second is one window's noise.
    assert run(ClassImbalance(), records[:8]) == []


def test_class_imbalance_waits_for_the_model_past_its_warm_up() -> None:
    # Class 1 learnt late: mispredicted 100%, then 90%, 80%... while the model improves.
    learning = [
        _batch(step, [50, 50], [50.0, 5.0 * (step // 4)]) for step in range(40)
    ]  # windows of 4 steps
    assert run(ClassImbalance(samples=400), learning) == []
    # Learnt first, then forgotten while the rest stays right: it fires.
    forgotten = [_batch(s, [50, 50], [50, 50] if s < 12 else [50, 5]) for s in range(24)]
    assert [f.step for f in run(ClassImbalance(samples=400), forgotten)] == [19]


def test_stalled_training_fires_on_silence_once_and_on_a_stored_gap() -> None:
    rule = StalledTraining(threshold=60)
    assert rule.idle(30, 5) == []
    [finding] = rule.idle(61, 5)
    assert (finding.rule, finding.step) == ("StalledTraining", 5)
    assert "No training step has arrived for 61 s since step 5" in finding.message
    assert rule.idle(120, 5) == []  # one finding a silence
    # Re-run on stored records: a gap between timestamps is a silence.
    records = [make_record(0, timestamp=0), make_record(1, timestamp=90_000)]
    assert [f.step for f in run(StalledTraining(threshold=60), records)] == [0]
    assert run(StalledTraining(threshold=100), records) == []


def test_stalled_training_may_stop_the_training() -> None:
    assert "stop" in StalledTraining(stop_training_on_fire=True).actions
    assert "stop" not in StalledTraining().actions


def test_a_session_watchdog_fires_stalled_training_when_steps_stop() -> None:
    fired = threading.Event()
    session = DebugSession(rules=[StalledTraining(threshold=0.2)])
    session.listeners.append(lambda _session, _record, new: new and fired.set())
    try:
        assert session.watchdog is not None
        assert session.watchdog.running
        for step in range(2):
            now = int(time.time() * 1000)
            session.submit(make_record(step, {"losses/loss": np.ones(1)}, timestamp=now))
        assert fired.wait(5)
        assert [f.step for f in session.findings] == [1]
        assert session.states()[0].status is RuleStatus.FIRING
    finally:
        session.close()
    assert not session.watchdog.running


def test_a_session_without_watchdog_rules_has_no_thread() -> None:
    before = threading.active_count()
    session = DebugSession(rules=[rule for rule in default_rules() if not rule.watchdog])
    assert session.watchdog is None
    assert threading.active_count() == before
    session.close()


def test_default_rules_are_every_built_in_with_its_defaults() -> None:
    rules = default_rules()
    assert [type(rule) for rule in rules] == list(BUILT_IN)
    assert len(rules) == 14
    stalled = next(rule for rule in rules if isinstance(rule, StalledTraining))
    assert stalled.threshold == 1800
    assert stalled.parameters["threshold"] == 1800
    session = DebugSession()
    try:
        started = time.monotonic()
        for record in losses(list(0.9 ** np.arange(5))):
            session.submit(record)
        assert session.findings == []
        assert time.monotonic() - started < 5
    finally:
        session.close()


class LossAbove(Rule):
    """A custom rule: the loss above a limit."""

    collections = ("losses",)

    def __init__(self, limit: float = 10.0, **options: object) -> None:
        super().__init__(limit=limit, **options)
        self.limit = limit

    def observe(self, record: StepRecord) -> list[Finding]:
        if "losses/loss" in record and record.stat("losses/loss", "mean") > self.limit:
            message = f"The loss is above {self.limit}."
            return [self.finding(record, ("losses/loss",), message, {"limit": self.limit})]
        return []


def test_a_custom_rule_runs_beside_the_built_in_ones_and_can_stop_training() -> None:
    session = DebugSession(rules=[*default_rules(), LossAbove(limit=2.0, actions="stop")])
    try:
        for record in losses([1.0, 1.5, 3.0]):
            session.submit(record)
        assert [(f.rule, f.step) for f in session.findings] == [("LossAbove", 2)]
        assert session.should_stop
        state = next(s for s in session.states() if s.rule == "LossAbove")
        assert (state.status, state.parameters) == (RuleStatus.FIRING, {"limit": 2.0})
    finally:
        session.close()
