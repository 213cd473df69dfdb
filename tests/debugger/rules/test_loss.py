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
    # smdebug's own test (saved every 4 steps, first fires at step 12 against step 0), on a
    # smooth loss: without noise a loss is compared saved step with saved step.
    records = losses([0.30, 0.30, 0.30, 0.30, 0.28], every=4)
    findings = run(LossNotDecreasing(), records)
    assert [(f.step, f.values["previous_step"]) for f in findings] == [(12, 0)]
    assert "did not decrease" in findings[0].message
    assert "0.1%" in findings[0].message


def test_loss_not_decreasing_stays_quiet_while_the_loss_decreases() -> None:
    assert run(LossNotDecreasing(), losses(list(0.9 ** np.arange(40)))) == []
    slow = losses(list(1.0 - 0.00001 * np.arange(40)))
    assert len(run(LossNotDecreasing(), slow)) == 1  # 0.01% in 10 steps: not 0.1%
    assert run(LossNotDecreasing(diff_percent=0.001), slow) == []


def _noisy(trend: np.ndarray, noise: float, seed: int = 0) -> np.ndarray:
    return trend + np.random.default_rng(seed).normal(scale=noise, size=trend.size)


def test_loss_not_decreasing_judges_a_noisy_minibatch_loss_beyond_its_noise() -> None:
    steps = np.arange(400)
    # A healthy minibatch loss: falling slowly, each batch some 30% off its trend.
    trend = 0.3 * np.exp(-steps / 400)
    for seed in range(5):
        healthy = trend * np.exp(np.random.default_rng(seed).normal(scale=0.3, size=400))
        assert run(LossNotDecreasing(), losses(list(healthy))) == []
    # Compared batch with batch, the same loss fires at once.
    single = [0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.36]
    assert run(LossNotDecreasing(), losses(single)) != []
    # A loss stuck at ln 4 with a little batch noise (2%) is not decreasing, over windows.
    stuck = run(LossNotDecreasing(), losses(list(_noisy(np.full(100, 1.386), 0.03))))[0]
    assert "did not decrease" in stuck.message
    assert "mean of steps" in stuck.message


def test_loss_not_decreasing_reports_an_increase_beyond_its_threshold() -> None:
    findings = run(LossNotDecreasing(), losses([1.0, 1.2], every=10))
    assert [f.step for f in findings] == [10]
    assert findings[0].values["change_percent"] == pytest.approx(20.0)
    assert "increased by 20%" in findings[0].message
    loose = LossNotDecreasing(increase_threshold_percent=30)
    assert "not decrease" in run(loose, losses([1.0, 1.2], every=10))[0].message
    # A noisy loss rising 20% over its batches' noise (2%) is increasing too.
    rising = _noisy(np.r_[np.full(10, 1.0), np.full(11, 1.2)], 0.02)
    assert [f.step for f in run(LossNotDecreasing(), losses(list(rising)))][:1] == [20]


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


def test_overfit_fires_when_the_validation_loss_pulls_away_from_the_training_loss() -> None:
    passes = _epoch(0.5, [0.52, 0.52], 0) + _epoch(0.5, [0.6], 10)
    findings = _finished(Overfit(), passes)
    assert [(f.step, f.mode) for f in findings] == [(1, "eval")]  # the second pass's step
    assert findings[0].values["ratio"] == pytest.approx(0.2)
    assert findings[0].values["best_validation"] == pytest.approx(0.52)
    assert "overfitting" in findings[0].message
    assert "eval steps 1 to 1" in findings[0].message
    assert _finished(Overfit(ratio_threshold=0.3), passes) == []
    assert _finished(Overfit(start_step=20), passes) == []


def test_overfit_leaves_the_gap_of_a_model_still_generalising_alone() -> None:
    # A steady 20% gap, the validation loss falling with the training loss: no overfitting.
    steady = [r for i in range(5) for r in _epoch(0.5 - 0.05 * i, [0.6 - 0.06 * i], 10 * i)]
    assert _finished(Overfit(), steady) == []
    # The first evaluation has no best to rise above.
    assert _finished(Overfit(), _epoch(0.1, [0.6], 0)) == []
    # A validation loss rising 10% or less above its best is noise, not a trend.
    assert _finished(Overfit(), _epoch(0.5, [0.6], 0) + _epoch(0.4, [0.65], 10)) == []


def test_overfit_takes_a_pass_as_one_evaluation_and_waits_for_patience() -> None:
    first = _epoch(0.5, [0.5], 0)
    assert _finished(Overfit(), first + _epoch(0.5, [0.7, 0.46, 0.46], 10)) == []  # mean 0.54
    passes = first + _epoch(0.5, [0.6], 10) + _epoch(0.5, [0.6], 20)
    assert [f.step for f in _finished(Overfit(patience=2), passes)] == [2]
    assert [f.step for f in _finished(Overfit(patience=1), passes)] == [1]  # one a streak
    broken = passes[:12] + _epoch(0.5, [0.5], 20) + _epoch(0.5, [0.6], 30)
    assert _finished(Overfit(patience=2), broken) == []
    # The last pass is judged when the training finishes.
    assert len(_finished(Overfit(), first + _epoch(0.5, [0.6], 10))) == 1


def test_overtraining_fires_when_the_training_loss_stops_improving_by_delta() -> None:
    # Each value for 10 saved steps: a span, the training loss's unit of patience.
    records = losses([v for v in [1.0, 0.9, 0.8] + [0.795] * 6 for _ in range(10)])
    findings = run(Overtraining(), records)
    assert [(f.step, f.mode) for f in findings] == [(79, "train")]
    assert findings[0].values["best_step"] == 29
    assert "patience_train 5" in findings[0].message
    assert run(Overtraining(), losses(list(1.0 - 0.002 * np.arange(300)))) == []
    assert run(Overtraining(patience_train=7), records) == []


def test_overtraining_takes_a_noisy_training_loss_as_means_of_spans() -> None:
    # Still learning (0.001 a step) under batch noise 10 times larger: no lucky best.
    steps = np.arange(300)
    noisy = 1.0 - 0.001 * steps + np.random.default_rng(0).normal(scale=0.01, size=300)
    assert run(Overtraining(), losses(list(noisy))) == []


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
