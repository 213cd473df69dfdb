"""ExplodingTensor, TensorVariance, UnchangedTensor and AllZero on synthetic records."""

from __future__ import annotations

import numpy as np
import pytest

from studio.debugger.rules import AllZero, ExplodingTensor, TensorVariance, UnchangedTensor
from tests.debugger.rules.synthetic import make_record, run

RNG = np.random.default_rng(0)
HEALTHY = {
    "weights/fc1.weight": RNG.normal(size=(8, 4)),
    "gradients/fc1.weight": RNG.normal(scale=1e-2, size=(8, 4)),
    "activations/fc1": RNG.normal(size=(16, 8)),
    "activations/fc2": RNG.normal(size=(16, 2)),
    "losses/loss": np.array([0.7]),
}


def test_exploding_tensor_names_the_first_module_whose_output_turned_non_finite() -> None:
    broken = np.full((16, 2), np.inf)
    later = HEALTHY["activations/fc2"].copy()
    later[0, 0] = np.nan
    records = [
        make_record(0, HEALTHY),
        make_record(1, HEALTHY | {"activations/fc1": broken, "activations/fc2": later}),
        make_record(2, HEALTHY | {"activations/fc1": broken, "activations/fc2": later}),
    ]
    findings = run(ExplodingTensor(), records)
    assert len(findings) == 1  # one finding while it stays non-finite
    finding = findings[0]
    assert finding.step == 1
    assert finding.tensors[0] == "activations/fc1"
    assert finding.values["first_module"] == "fc1"
    assert finding.values["inf"]["activations/fc1"] == 32
    assert "module fc1" in finding.message
    assert "first module" in finding.message


def test_exploding_tensor_stays_quiet_on_finite_tensors_and_on_nan_only_when_inf() -> None:
    assert run(ExplodingTensor(), [make_record(s, HEALTHY) for s in range(3)]) == []
    grads = np.full((8, 4), np.inf)
    record = make_record(0, HEALTHY | {"gradients/fc1.weight": grads})
    assert run(ExplodingTensor(only_nan=True), [record]) == []
    assert run(ExplodingTensor(), [record])[0].tensors == ("gradients/fc1.weight",)


def test_exploding_tensor_ignores_the_gradients_of_a_step_amp_skipped() -> None:
    grads = HEALTHY | {"gradients/fc1.weight": np.full((8, 4), np.inf)}
    skipped = make_record(0, grads, scalars={"skipped": 1.0})
    assert run(ExplodingTensor(), [skipped]) == []
    assert run(ExplodingTensor(collection_names="weights"), [make_record(0, grads)]) == []


@pytest.mark.parametrize(
    ("rule", "fires"),
    [
        (TensorVariance(collection_names="weights", max_threshold=10, min_threshold=1e-5), False),
        (TensorVariance(collection_names="weights", max_threshold=0.5), True),
        (TensorVariance(tensor_regex="^weights/", min_threshold=2.0), True),
        (TensorVariance(), False),
    ],
)
def test_tensor_variance_fires_outside_its_bounds(rule: TensorVariance, fires: bool) -> None:
    findings = run(rule, [make_record(0, HEALTHY)])
    assert bool(findings) is fires
    if fires:
        assert findings[0].tensors == ("weights/fc1.weight",)
        variance = float(np.var(HEALTHY["weights/fc1.weight"]))
        assert findings[0].values["variance"]["weights/fc1.weight"] == pytest.approx(variance)


def test_unchanged_tensor_fires_after_num_steps_unchanged_saves() -> None:
    frozen = HEALTHY["weights/fc1.weight"]
    records = [
        make_record(step, {"weights/fc1.weight": frozen, "weights/fc2.weight": RNG.normal(size=4)})
        for step in (0, 10, 20, 30)
    ]
    findings = run(UnchangedTensor(), records)
    assert [(f.step, f.tensors) for f in findings] == [(20, ("weights/fc1.weight",))]
    assert "steps 0 to 20" in findings[0].message
    assert run(UnchangedTensor(num_steps=5), records) == []
    # A step AMP skipped changes nothing by design.
    skipped = [make_record(s, {"weights/w": frozen}, scalars={"skipped": 1}) for s in range(3)]
    assert run(UnchangedTensor(), skipped) == []


def test_unchanged_tensor_tolerates_what_rtol_allows() -> None:
    base = np.linspace(1, 2, 10)
    records = [make_record(s, {"weights/w": base * (1 + 1e-3 * s)}) for s in range(3)]
    assert run(UnchangedTensor(), records) == []
    assert len(run(UnchangedTensor(rtol=0.01), records)) == 1


def test_all_zero_fires_on_an_all_zero_tensor() -> None:
    zero = HEALTHY | {"gradients/fc1.weight": np.zeros((8, 4))}
    findings = run(AllZero(), [make_record(0, zero), make_record(1, zero)])
    assert [(f.step, f.tensors) for f in findings] == [(0, ("gradients/fc1.weight",))]
    assert findings[0].values["percent_zero"]["gradients/fc1.weight"] == 100.0
    assert run(AllZero(), [make_record(0, HEALTHY)]) == []


def test_all_zero_default_leaves_biases_and_labels_alone_and_takes_a_threshold() -> None:
    records = [make_record(0, {"biases/fc1.bias": np.zeros(4), "labels": np.zeros(8)})]
    assert run(AllZero(), records) == []
    half = {"activations/fc1": np.array([0.0, 0.0, 1.0, 2.0])}
    assert run(AllZero(threshold=50), [make_record(0, half)])[0].tensors == ("activations/fc1",)
    assert run(AllZero(threshold=60), [make_record(0, half)]) == []


def test_parameters_frozen_on_purpose_are_not_unchanged_tensors() -> None:
    frozen = HEALTHY["weights/fc1.weight"]
    tensors = {"weights/fc1.weight": frozen, "gradients/fc2.weight": np.ones(4)}
    records = [make_record(step, tensors) for step in range(4)]  # no gradient of fc1
    assert run(UnchangedTensor(), records) == []
    with_gradient = tensors | {"gradients/fc1.weight": np.ones((8, 4))}
    records = [make_record(step, with_gradient) for step in range(4)]  # left out of the optimizer
    assert [f.tensors for f in run(UnchangedTensor(), records)] == [("weights/fc1.weight",)]
