"""DeadRelu and SaturatedActivation on synthetic records: they read the per-unit "active"
and "saturated" summaries of activations."""

from __future__ import annotations

import numpy as np
import pytest

from studio.debugger.rules import DeadRelu, SaturatedActivation
from tests.debugger.rules.synthetic import make_record, run


def _relu(step: int, dead_units: int, units: int = 10):
    active = np.r_[np.zeros(dead_units), np.full(units - dead_units, 0.4)]
    vectors = {
        "activations/relu1": {"active": active},
        "activations/relu2": {"active": np.full(4, 0.5)},
    }
    return make_record(step, {"activations/relu1": np.ones((32, units))}, vectors=vectors)


def test_dead_relu_fires_when_more_than_half_the_units_are_dead() -> None:
    findings = run(DeadRelu(), [_relu(0, 6), _relu(1, 6)])
    assert [(f.step, f.tensors) for f in findings] == [(0, ("activations/relu1",))]
    assert findings[0].values["percent_dead"]["activations/relu1"] == 60.0
    assert "relu1" in findings[0].message
    assert "50%" in findings[0].message
    assert run(DeadRelu(), [_relu(0, 5)]) == []  # 50% is not more than 50%
    assert run(DeadRelu(threshold_layer=70), [_relu(0, 6)]) == []
    assert run(DeadRelu(tensor_regex="relu2"), [_relu(0, 6)]) == []


def test_dead_relu_counts_a_unit_active_for_less_than_threshold_inactivity_percent() -> None:
    vectors = {"activations/relu": {"active": np.full(10, 0.005)}}  # 0.5% of the batch
    record = make_record(0, {"activations/relu": np.ones(10)}, vectors=vectors)
    assert len(run(DeadRelu(), [record])) == 1
    assert run(DeadRelu(threshold_inactivity=0.1), [record]) == []


def test_saturated_activation_fires_when_most_units_are_saturated() -> None:
    saturated = {"activations/sig": {"saturated": np.r_[np.ones(8), np.zeros(2)]}}
    findings = run(SaturatedActivation(), [make_record(3, vectors=saturated)])
    assert [(f.step, f.tensors) for f in findings] == [(3, ("activations/sig",))]
    assert findings[0].values["percent_saturated"]["activations/sig"] == 80.0
    healthy = {"activations/sig": {"saturated": np.r_[np.ones(4), np.full(6, 0.2)]}}
    assert run(SaturatedActivation(), [make_record(3, vectors=healthy)]) == []


def test_saturated_activation_refuses_bounds_the_hooks_do_not_compute() -> None:
    with pytest.raises(ValueError, match="saturation"):
        SaturatedActivation(threshold_tanh_max=5.0)
