"""Planted pathologies: real PyTorch trainings under `TorchHook` where each built-in rule
must fire, and healthy trainings of the same models where none does (the default rules).

Tiny models on the CPU, seeded: four Gaussian blobs in 20 dimensions, 4 classes, batches of
128, statistics saved every 5 steps, an evaluation pass every 10 steps. Each pathological
training runs once for the module; several rules judge it.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from studio.debugger import TorchHook, rules  # noqa: E402

if TYPE_CHECKING:
    from studio.debugger.entities import Finding
    from studio.debugger.rules import Rule

Data = tuple["torch.Tensor", "torch.Tensor"]

EVERY = 5
BATCH = 128


@pytest.fixture(scope="module", autouse=True)
def _one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def blobs(n: int, seed: int, noise: float = 2.0, weights: Sequence[float] | None = None) -> Data:
    """n samples of 4 Gaussian blobs (their centres fixed), labels drawn uniformly or by
    `weights`."""
    generator = torch.Generator().manual_seed(seed)
    centres = torch.randn(4, 20, generator=torch.Generator().manual_seed(99)) * 2.0
    if weights is None:
        labels = torch.randint(0, 4, (n,), generator=generator)
    else:
        labels = torch.multinomial(torch.tensor(weights), n, replacement=True, generator=generator)
    return centres[labels] + noise * torch.randn(n, 20, generator=generator), labels


def mlp(
    widths: Sequence[int],
    activation: type[nn.Module] = nn.ReLU,
    init: Callable[[torch.Tensor], object] | None = None,
) -> nn.Sequential:
    """Linear layers of `widths` with `activation` between them; Kaiming-initialised weights
    unless `init` says otherwise."""
    layers: list[nn.Module] = []
    for index, (fan_in, fan_out) in enumerate(itertools.pairwise(widths)):
        linear = nn.Linear(fan_in, fan_out)
        (init or (lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu")))(linear.weight)
        layers.append(linear)
        if index < len(widths) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


def train(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    data: Data,
    *,
    steps: int = 30,
    validation: Data | None = None,
    batch: int = BATCH,
    every: int = EVERY,
    extra: Sequence[Rule] = (),
    pause: tuple[int, float] | None = None,
) -> list[Finding]:
    """Train with the default rules (and `extra` in place of the default of the same name);
    evaluate every 10 steps on `validation`; sleep `pause` = (after step, seconds)."""
    names = {rule.name for rule in extra}
    chosen = [rule for rule in rules.default_rules() if rule.name not in names] + list(extra)
    inputs, labels = data
    loss_fn = nn.CrossEntropyLoss()
    with TorchHook(model, optimizer=optimizer, every=every, rules=chosen) as hook:
        for step in range(steps):
            start = step * batch % len(inputs)
            x, y = inputs[start : start + batch], labels[start : start + batch]
            scores = model(x)
            loss = loss_fn(scores, y)
            hook.record_loss(loss)
            hook.record_batch(labels=y, predictions=scores)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if pause is not None and step == pause[0]:
                time.sleep(pause[1])
            if validation is not None and step % 10 == 9:
                hook.set_mode("eval")
                with torch.no_grad():
                    for start in range(0, len(validation[0]), 256):
                        x, y = (
                            validation[0][start : start + 256],
                            validation[1][start : start + 256],
                        )
                        scores = model(x)
                        hook.record_loss(loss_fn(scores, y))
                        hook.record_batch(labels=y, predictions=scores)
                hook.set_mode("train")
    return hook.findings


# SageMaker's own example of TensorVariance's bounds (it has none by default).
def weight_variance() -> Rule:
    return rules.TensorVariance(collection_names="weights", max_threshold=10, min_threshold=1e-5)


def _adam(model: nn.Module, lr: float = 1e-2) -> torch.optim.Optimizer:
    return torch.optim.Adam(model.parameters(), lr)


def healthy_mlp() -> list[Finding]:
    torch.manual_seed(0)
    model = mlp([20, 32, 32, 4])
    return train(
        model, _adam(model), blobs(2560, 0), validation=blobs(512, 1), extra=[weight_variance()]
    )


def healthy_sigmoid() -> list[Finding]:
    torch.manual_seed(0)
    model = mlp([20, 32, 32, 4], nn.Sigmoid, nn.init.xavier_normal_)
    return train(
        model, _adam(model), blobs(2560, 0), validation=blobs(512, 1), extra=[weight_variance()]
    )


def healthy_deep() -> list[Finding]:
    torch.manual_seed(0)
    model = mlp([20, *[32] * 6, 4])
    return train(
        model,
        _adam(model, 3e-3),
        blobs(2560, 0),
        validation=blobs(512, 1),
        extra=[weight_variance()],
    )


def healthy_fine_tuning() -> list[Finding]:
    """The healthy MLP with its first layer frozen on purpose (`requires_grad=False`)."""
    torch.manual_seed(0)
    model = mlp([20, 32, 32, 4])
    model[0].requires_grad_(False)
    trained = [p for p in model.parameters() if p.requires_grad]
    data, validation = blobs(2560, 0), blobs(512, 1)
    return train(model, torch.optim.Adam(trained, 1e-2), data, validation=validation)


def learning_rate_blows_up() -> list[Finding]:
    torch.manual_seed(0)
    model = mlp([20, 32, 32, 4])
    return train(model, torch.optim.SGD(model.parameters(), lr=1e4), blobs(2560, 0), steps=15)


def sigmoid_huge_weights() -> list[Finding]:
    torch.manual_seed(0)
    model = mlp([20, 32, 32, 4], nn.Sigmoid, lambda w: nn.init.normal_(w, std=100.0))
    return train(model, _adam(model), blobs(2560, 0), steps=15, extra=[weight_variance()])


def deep_tiny_weights() -> list[Finding]:
    torch.manual_seed(0)
    model = mlp([20, *[32] * 6, 4], init=lambda w: nn.init.normal_(w, std=1e-2))
    return train(model, torch.optim.SGD(model.parameters(), lr=1e-2), blobs(2560, 0), steps=25)


def relu_negative_bias() -> list[Finding]:
    torch.manual_seed(0)
    model = mlp([20, 32, 32, 4])
    nn.init.constant_(model[0].bias, -100.0)
    return train(model, _adam(model), blobs(2560, 0), steps=15)


def frozen_layer() -> list[Finding]:
    torch.manual_seed(0)
    model = mlp([20, 32, 32, 4])
    # The classic slip: a layer left out of the optimizer.
    trained = [p for name, p in model.named_parameters() if not name.startswith("2.")]
    return train(model, torch.optim.Adam(trained, 1e-2), blobs(2560, 0), steps=15)


def memorising() -> list[Finding]:
    """Random labels on 64 samples: the training loss falls to nothing (and stops improving)
    while the validation loss rises; saved at every step so that every evaluation pass is."""
    torch.manual_seed(0)
    model = mlp([20, 256, 256, 4])
    inputs, _ = blobs(64, 0)
    random_labels = torch.randint(0, 4, (64,), generator=torch.Generator().manual_seed(5))
    data, validation = (inputs, random_labels), blobs(512, 1)
    return train(model, _adam(model, 1e-3), data, steps=120, validation=validation, every=1)


def imbalanced_labels() -> list[Finding]:
    torch.manual_seed(0)
    model = mlp([20, 32, 32, 4])
    data = blobs(2560, 0, weights=[0.96, 0.02, 0.01, 0.01])
    return train(model, _adam(model), data, steps=25)


STALL_SECONDS = 1.0
PAUSED_AFTER = 4


def stalls() -> list[Finding]:
    torch.manual_seed(0)
    model = mlp([20, 32, 32, 4])
    stalled = rules.StalledTraining(threshold=STALL_SECONDS)
    pause = (PAUSED_AFTER, 2.5 * STALL_SECONDS)
    return train(
        model, _adam(model), blobs(2560, 0), steps=8, every=1, extra=[stalled], pause=pause
    )


PATHOLOGY_OF: dict[str, Callable[[], list[Finding]]] = {
    "VanishingGradient": deep_tiny_weights,
    "ExplodingTensor": learning_rate_blows_up,
    "PoorWeightInitialization": deep_tiny_weights,
    "SaturatedActivation": sigmoid_huge_weights,
    "DeadRelu": relu_negative_bias,
    "LossNotDecreasing": deep_tiny_weights,
    "Overfit": memorising,
    "Overtraining": memorising,
    "TensorVariance": sigmoid_huge_weights,
    "UnchangedTensor": frozen_layer,
    "AllZero": relu_negative_bias,
    "WeightUpdateRatio": frozen_layer,
    "ClassImbalance": imbalanced_labels,
    "StalledTraining": stalls,
}


@pytest.fixture(scope="module")
def trained() -> Callable[[Callable[[], list[Finding]]], list[Finding]]:
    """Each training run once for the module, its findings kept."""
    done: dict[str, list[Finding]] = {}

    def findings_of(training: Callable[[], list[Finding]]) -> list[Finding]:
        if training.__name__ not in done:
            done[training.__name__] = training()
        return done[training.__name__]

    return findings_of


def _of(findings: list[Finding], rule: str) -> list[Finding]:
    return [finding for finding in findings if finding.rule == rule]


def test_every_built_in_rule_has_a_pathology() -> None:
    assert set(PATHOLOGY_OF) == {rule.__name__ for rule in rules.BUILT_IN}


@pytest.mark.parametrize("rule", list(PATHOLOGY_OF))
def test_the_rule_fires_on_its_pathology(rule: str, trained: Callable) -> None:
    findings = trained(PATHOLOGY_OF[rule])
    assert _of(findings, rule), f"{rule} did not fire on {PATHOLOGY_OF[rule].__name__}"


@pytest.mark.parametrize(
    "training", [healthy_mlp, healthy_sigmoid, healthy_deep, healthy_fine_tuning]
)
def test_no_rule_fires_on_a_healthy_training(training: Callable[[], list[Finding]]) -> None:
    findings = training()
    assert findings == [], [f"{f.rule}: {f.message}" for f in findings]


def test_exploding_names_the_first_module_whose_output_turned_non_finite(trained: Callable) -> None:
    [first] = _of(trained(learning_rate_blows_up), "ExplodingTensor")[:1]
    assert first.values["first_module"] == "0"  # the first Linear layer
    assert first.tensors[0] == "activations/0"


def test_the_findings_name_the_layers_at_fault(trained: Callable) -> None:
    dead = _of(trained(relu_negative_bias), "DeadRelu")[0]
    assert (dead.step, dead.tensors) == (0, ("activations/1",))  # after the biased layer
    assert dead.values["percent_dead"]["activations/1"] == 100.0
    assert "activations/1" in _of(trained(relu_negative_bias), "AllZero")[0].tensors
    [unchanged] = _of(trained(frozen_layer), "UnchangedTensor")
    assert set(unchanged.tensors) == {"weights/2.weight", "biases/2.bias"}
    [ratio] = _of(trained(frozen_layer), "WeightUpdateRatio")
    assert ratio.values["ratio"] == {"weights/2.weight": 0.0}
    saturated = _of(trained(sigmoid_huge_weights), "SaturatedActivation")[0]
    assert "activations/1" in saturated.tensors
    imbalance = _of(trained(imbalanced_labels), "ClassImbalance")[0]
    assert imbalance.values["ratio"] > 10


def test_overfitting_is_seen_at_an_evaluation_pass(trained: Callable) -> None:
    [overfit] = _of(trained(memorising), "Overfit")
    assert overfit.mode == "eval"
    assert overfit.values["validation"] > 1.1 * overfit.values["training"]


def test_stalled_training_fires_once_during_the_pause(trained: Callable) -> None:
    stalled = _of(trained(stalls), "StalledTraining")
    # Records arrive a step late: the last before the pause is that of the step before it
    # (or of its own step, when read at once). A loaded machine may add a slow start.
    during = [f for f in stalled if f.values["last_step"] in (PAUSED_AFTER - 1, PAUSED_AFTER)]
    assert len(during) == 1, [f.message for f in stalled]
    assert during[0].values["seconds"] > STALL_SECONDS
