"""TorchHook: what it saves, when, and the values, checked against numpy on the same tensors."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from studio.debugger.stats import numpy_stats

torch = pytest.importorskip("torch")
nn = torch.nn

from studio.debugger.session import DebugSession  # noqa: E402
from studio.debugger.torch_hook import TorchHook  # noqa: E402

if TYPE_CHECKING:
    from studio.debugger.entities import Finding, RuleState
    from studio.debugger.record import StepRecord


class MemorySink:
    """A `session.Sink` that keeps what it is given, as the run's sink would store it."""

    def __init__(self) -> None:
        self.records: list[StepRecord] = []
        self.findings: list[Finding] = []
        self.closed = False

    def write(
        self, record: StepRecord | None, findings: Sequence[Finding], states: Sequence[RuleState]
    ) -> None:
        if record is not None:
            self.records.append(record)
        self.findings += findings

    def flush(self, timeout: float | None = None) -> None:
        pass

    def close(self) -> None:
        self.closed = True


def mlp() -> Any:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))


def batch(seed: int) -> tuple[Any, Any]:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(16, 6, generator=generator), torch.randint(0, 3, (16,), generator=generator)


def hooked(
    steps: int,
    *,
    model: Any = None,
    step: Callable[[Any, Any, Any, int], None] | None = None,
    **options: Any,
) -> tuple[TorchHook, MemorySink]:
    """Train `model` (the MLP) `steps` steps under a hook with an in-memory sink."""
    model = model or mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    sink = MemorySink()
    session = DebugSession(rules=options.pop("rules", None), sink=sink)
    with TorchHook(model, optimizer, session=session, **options) as hook:
        for i in range(steps):
            inputs, labels = batch(i)
            if step is not None:
                step(hook, model, optimizer, i)
                continue
            out = model(inputs)
            loss = nn.functional.cross_entropy(out, labels)
            hook.record_loss(loss)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
    return hook, sink


def test_weights_biases_gradients_and_losses_are_the_tensors_statistics_at_the_step() -> None:
    seen: dict[int, dict[str, np.ndarray]] = {}

    def step(hook: TorchHook, model: Any, optimizer: Any, i: int) -> None:
        inputs, labels = batch(i)
        loss = nn.functional.cross_entropy(model(inputs), labels)
        hook.record_loss(loss)
        loss.backward()
        seen[i] = {
            f"weights/{n}": p.detach().numpy().copy()
            for n, p in model.named_parameters()
            if "weight" in n
        }
        seen[i] |= {
            f"biases/{n}": p.detach().numpy().copy()
            for n, p in model.named_parameters()
            if "bias" in n
        }
        seen[i] |= {f"gradients/{n}": p.grad.numpy().copy() for n, p in model.named_parameters()}
        seen[i]["losses/loss"] = loss.detach().numpy().copy()
        optimizer.step()
        optimizer.zero_grad()

    _, sink = hooked(
        5, step=step, every=2, collections=["weights", "biases", "gradients", "losses"]
    )
    assert [r.step for r in sink.records] == [0, 2, 4]
    for record in sink.records:
        want = seen[record.step]
        assert set(record.tensors) == set(want)
        expected = numpy_stats([want[name] for name in record.tensors])
        np.testing.assert_allclose(record.stats, expected, rtol=1e-5, atol=1e-7)
        assert record.mode == "train"
    assert sink.closed
