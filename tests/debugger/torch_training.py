"""A tiny training loop under a `TorchHook`, and an in-memory sink, for the hook's tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from studio.debugger.torch_hook import TorchHook

if TYPE_CHECKING:
    from studio.debugger.entities import Finding, RuleState
    from studio.debugger.record import StepRecord

Step = Callable[[TorchHook, nn.Module, torch.optim.Optimizer, int], None]


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

    def steps(self, mode: str = "train") -> list[int]:
        return [r.step for r in self.records if r.mode == mode]


def mlp(*hidden: nn.Module) -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 8), *(hidden or (nn.ReLU(),)), nn.Linear(8, 3))


def batch(seed: int, size: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(size, 6, generator=generator)
    return inputs, torch.randint(0, 3, (size,), generator=generator)


def plain_step(hook: TorchHook, model: nn.Module, optimizer: torch.optim.Optimizer, i: int) -> None:
    inputs, labels = batch(i)
    loss = nn.functional.cross_entropy(model(inputs), labels)
    hook.record_loss(loss)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()


def train(
    steps: int, step: Step = plain_step, model: nn.Module | None = None, **options: Any
) -> tuple[TorchHook, MemorySink]:
    """Train `model` (the MLP by default) for `steps` steps under a hook (no rules unless
    given) that keeps its records in a `MemorySink`."""
    model = model if model is not None else mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    sink = MemorySink()
    options.setdefault("rules", None)
    with TorchHook(model, optimizer, sink=sink, **options) as hook:
        for i in range(steps):
            step(hook, model, optimizer, i)
    return hook, sink
