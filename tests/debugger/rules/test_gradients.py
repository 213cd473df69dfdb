"""VanishingGradient, PoorWeightInitialization and WeightUpdateRatio on synthetic records."""

from __future__ import annotations

import numpy as np
import pytest

from studio.debugger.rules import PoorWeightInitialization, VanishingGradient, WeightUpdateRatio
from tests.debugger.rules.synthetic import losses, make_record, run

RNG = np.random.default_rng(1)


def test_vanishing_gradient_fires_below_the_threshold_once() -> None:
    tiny = RNG.normal(scale=1e-9, size=(8, 4))
    healthy = RNG.normal(scale=1e-3, size=(8, 4))
    records = [
        make_record(s, {"gradients/fc1.weight": tiny, "gradients/fc2.weight": healthy})
        for s in range(3)
    ]
    findings = run(VanishingGradient(), records)
    assert [(f.step, f.tensors) for f in findings] == [(0, ("gradients/fc1.weight",))]
    assert findings[0].values["abs_mean"]["gradients/fc1.weight"] == pytest.approx(
        np.abs(tiny).mean()
    )
    assert "gradients/fc1.weight" in findings[0].message
    assert "1e-07" in findings[0].message
    assert run(VanishingGradient(threshold=1e-10), records) == []


def test_vanishing_gradient_leaves_non_finite_gradients_to_exploding_tensor() -> None:
    record = make_record(0, {"gradients/fc1.weight": np.full(4, np.nan)})
    assert run(VanishingGradient(), [record]) == []


def _layers(step: int, scales: list[float], gradient_scale: float = 0.1, loss: float = 1.0):
    tensors = {
        f"activations/relu{i}": np.maximum(RNG.normal(scale=s, size=(64, 16)), 0)
        for i, s in enumerate(scales)
    }
    tensors |= {"gradients/fc.weight": RNG.normal(scale=gradient_scale, size=(16, 16))}
    tensors |= {"losses/loss": np.array([loss])}
    vectors = {f"activations/relu{i}": {"active": np.full(16, 0.5)} for i in range(len(scales))}
    return make_record(step, tensors, vectors=vectors)


def test_poor_weight_initialization_fires_on_a_large_variance_ratio_across_layers() -> None:
    findings = run(PoorWeightInitialization(), [_layers(0, [1.0, 0.01], loss=1.0)])
    assert [f.tensors for f in findings] == [("activations/relu1", "activations/relu0")]
    assert findings[0].values["ratio"] > 10
    assert run(PoorWeightInitialization(), [_layers(0, [1.0, 0.5])]) == []
    assert run(PoorWeightInitialization(threshold=1e5), [_layers(0, [1.0, 0.01])]) == []
    # A regex picks the layers by name instead of by their "active" summary.
    assert (
        run(PoorWeightInitialization(activation_inputs_regex="relu0"), [_layers(0, [1.0, 0.01])])
        == []
    )


def test_poor_weight_initialization_fires_on_narrow_gradients() -> None:
    findings = run(PoorWeightInitialization(), [_layers(0, [1.0, 1.0], gradient_scale=1e-5)])
    assert [f.tensors for f in findings] == [("gradients/fc.weight",)]
    assert findings[0].values["spread"]["gradients/fc.weight"] < 1e-3


def test_poor_weight_initialization_fires_when_the_loss_stalls_early_and_only_early() -> None:
    stalled = [_layers(s, [1.0, 1.0], loss=1.0 if s else 0.9) for s in range(8)]
    findings = run(PoorWeightInitialization(), stalled)
    assert [(f.step, f.tensors) for f in findings] == [(5, ("losses/loss",))]
    decreasing = [_layers(s, [1.0, 1.0], loss=1.0 - 0.01 * s) for s in range(10)]
    assert run(PoorWeightInitialization(), decreasing) == []
    late = [_layers(s, [1.0, 0.01], loss=1.0) for s in range(10, 20)]
    assert run(PoorWeightInitialization(), late) == []  # after the first `steps` steps


def _weights(step: int, update_scale: float, **scalars: float):
    weight = RNG.normal(size=(8, 8))
    tensors = {
        "weights/fc1.weight": weight,
        "updates/fc1.weight": RNG.normal(scale=update_scale, size=(8, 8)),
        "weights/fc2.weight": weight,
        "updates/fc2.weight": RNG.normal(scale=1e-3, size=(8, 8)),
    }
    return make_record(step, tensors, scalars=scalars)


@pytest.mark.parametrize(
    ("scale", "how"), [(1e-3, None), (0.0, "small"), (1e-10, "small"), (100.0, "large")]
)
def test_weight_update_ratio_fires_outside_its_range(scale: float, how: str | None) -> None:
    findings = run(WeightUpdateRatio(), [_weights(0, scale), _weights(1, scale)])
    if how is None:
        assert findings == []
        return
    assert [(f.step, f.tensors) for f in findings] == [
        (0, ("weights/fc1.weight", "updates/fc1.weight"))
    ]
    assert f"{how}_threshold" in findings[0].message


def test_weight_update_ratio_skips_steps_amp_skipped() -> None:
    assert run(WeightUpdateRatio(), [_weights(0, 0.0, skipped=1.0)]) == []


def test_weight_update_ratio_leaves_weights_frozen_on_purpose_alone() -> None:
    weight = {"weights/fc1.weight": RNG.normal(size=(8, 8)), "updates/fc1.weight": np.zeros((8, 8))}
    other_gradient = {"gradients/fc2.weight": np.ones((8, 8))}  # fc1 has none: requires_grad=False
    assert run(WeightUpdateRatio(), [make_record(0, weight | other_gradient)]) == []
    left_out = weight | {"gradients/fc1.weight": np.ones((8, 8))}  # out of the optimizer
    assert len(run(WeightUpdateRatio(), [make_record(0, left_out)])) == 1


def test_poor_weight_initialization_waits_patience_saved_losses_for_a_new_minimum() -> None:
    stuck = [2.30, 2.31, 2.30, 2.32, 2.31, 2.30, 2.31]
    [finding] = run(PoorWeightInitialization(), losses(stuck))
    assert (finding.step, finding.values["best_step"]) == (5, 0)
    assert "no new minimum for 5 steps" in finding.message
    # Saved every 5 steps, one batch's loss not below another's is noise, not a verdict.
    assert run(PoorWeightInitialization(), losses(stuck[:2], every=5)) == []
