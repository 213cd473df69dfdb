"""LossNotDecreasing, Overfit and Overtraining on synthetic loss records."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from studio.debugger.rules import LossNotDecreasing, Overfit, Overtraining, Rule, RuleEngine
from tests.debugger.rules.synthetic import losses, make_record, run

if TYPE_CHECKING:
    from studio.debugger.entities import Finding
    from studio.debugger.record import StepRecord


def test_loss_not_decreasing_compares_with_the_newest_step_num_steps_back() -> None:
    # smdebug's own test: saved every 4 steps, first fires at step 12 (0.30 against step 0).
    records = losses([0.30, 0.33, 0.31, 0.30, 0.28], every=4)
    findings = run(LossNotDecreasing(), records)
    assert [(f.step, f.values["previous_step"]) for f in findings] == [(12, 0)]
    assert "did not decrease" in findings[0].message
    assert "0.1%" in findings[0].message


def test_loss_not_decreasing_stays_quiet_while_the_loss_decreases() -> None:
    assert run(LossNotDecreasing(), losses(list(0.9 ** np.arange(40)))) == []
    slow = losses(list(1.0 - 0.00001 * np.arange(40)))
    assert len(run(LossNotDecreasing(), slow)) == 1  # 0.01% in 10 steps: not 0.1%
    assert run(LossNotDecreasing(diff_percent=0.001), slow) == []


def test_loss_not_decreasing_reports_an_increase_beyond_its_threshold() -> None:
    findings = run(LossNotDecreasing(), losses([1.0] * 10 + [1.2]))
    assert [f.step for f in findings] == [10]
    assert findings[0].values["change_percent"] == pytest.approx(20.0)
    assert "increased by 20%" in findings[0].message
    assert (
        "not decrease"
        in run(LossNotDecreasing(increase_threshold_percent=30), losses([1.0] * 10 + [1.2]))[
            0
        ].message
    )


def test_loss_not_decreasing_judges_the_train_loss_unless_told() -> None:
    records = losses(list(0.9 ** np.arange(12))) + losses([1.0] * 12, mode="eval")
    assert run(LossNotDecreasing(), records) == []
    assert [f.mode for f in run(LossNotDecreasing(mode="EVAL"), records)] == ["eval"]
    assert [f.mode for f in run(LossNotDecreasing(mode="GLOBAL"), records)] == ["eval"]


def _epoch(train: float, evals: list[float], start: int) -> list[StepRecord]:
    """Five train steps from `start`, then an evaluation pass of `evals` (one eval step
    each, counted from start // 10 * len(evals))."""
    records = [make_record(s, {"losses/loss": np.array([train])}) for s in range(start, start + 5)]
    first = start // 10 * len(evals)
    return records + [
        make_record(first + i, {"losses/loss": np.array([value])}, mode="eval")
        for i, value in enumerate(evals)
    ]


def _finished(rule: Rule, records: list[StepRecord]) -> list[Finding]:
    engine = RuleEngine([rule])
    found = [finding for record in records for finding in engine.observe(record)]
    return found + engine.finish()


def test_overfit_fires_when_validation_exceeds_training_by_the_ratio() -> None:
    findings = _finished(Overfit(), _epoch(0.5, [0.6, 0.6], 0) + _epoch(0.5, [0.6], 10))
    assert [(f.step, f.mode) for f in findings] == [(1, "eval")]  # the first pass's last step
    assert findings[0].values["ratio"] == pytest.approx(0.2)
    assert "overfitting" in findings[0].message
    assert "eval steps 0 to 1" in findings[0].message
    assert _finished(Overfit(), _epoch(0.5, [0.52], 0)) == []
    assert _finished(Overfit(ratio_threshold=0.3), _epoch(0.5, [0.6], 0)) == []
    assert _finished(Overfit(start_step=20), _epoch(0.5, [0.6], 10)) == []


def test_overfit_takes_a_pass_as_one_evaluation_and_waits_for_patience() -> None:
    assert _finished(Overfit(), _epoch(0.5, [0.7, 0.46, 0.46], 0)) == []  # mean 0.54
    passes = _epoch(0.5, [0.6], 0) + _epoch(0.5, [0.6], 10)
    assert [f.step for f in _finished(Overfit(patience=2), passes)] == [1]
    assert [f.step for f in _finished(Overfit(patience=1), passes)] == [0]  # one a streak
    broken = _epoch(0.5, [0.6], 0) + _epoch(0.5, [0.5], 10) + _epoch(0.5, [0.6], 20)
    assert _finished(Overfit(patience=2), broken) == []
    # The last pass is judged when the training finishes.
    assert len(_finished(Overfit(), _epoch(0.5, [0.5], 0) + _epoch(0.5, [0.6], 10))) == 1


def test_overtraining_fires_when_the_training_loss_stops_improving_by_delta() -> None:
    records = losses([1.0, 0.9, 0.8] + [0.795] * 8)
    findings = run(Overtraining(), records)
    assert [(f.step, f.mode) for f in findings] == [(7, "train")]
    assert findings[0].values["best_step"] == 2
    assert "patience_train 5" in findings[0].message
    assert run(Overtraining(), losses(list(1.0 - 0.02 * np.arange(30)))) == []
    assert run(Overtraining(patience_train=9), records) == []


def test_overtraining_waits_patience_validation_evaluation_passes() -> None:
    records = [
        record
        for epoch in range(12)
        for record in _epoch(1.0 - 0.05 * epoch, [0.5 if epoch else 0.6] * 2, 10 * epoch)
    ]
    findings = _finished(Overtraining(), records)
    assert [(f.step, f.mode) for f in findings] == [(23, "eval")]  # the 12th pass
    assert "10 evaluations" in findings[0].message
    assert _finished(Overtraining(patience_validation=11), records) == []
