"""The small per-unit and per-class summaries some rules need beyond the 10 statistics.

- "active": for the output of a ReLU-like module (its class name contains "ReLU"), the
  fraction of the batch where each unit (dimension 1) is positive: DeadRelu.
- "saturated": for a Sigmoid or Tanh module, the fraction of the batch where each unit's
  input lies outside `rules.activations.SATURATION_BOUNDS` (SageMaker's SaturatedActivation
  defaults: where the derivative is below 1e-7): SaturatedActivation.
- "count" per class of the labels and of the predictions (the arg-max of 2-D logits), and
  "correct" per true class on the predictions: ClassImbalance.

All on the tensor's device, with float operations only (on the CPU build comparisons into
boolean tensors cost several times more), and no host synchronisation: `bincount` would read
its input's maximum back to the host, so counts are scatter-adds into `num_classes` slots.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from studio.debugger.rules.activations import SATURATION_BOUNDS

__all__ = [
    "activation_vectors",
    "class_counts",
    "output_tensor",
]


def output_tensor(output: Any) -> torch.Tensor | None:
    """A module's output tensor: the output itself, or the first tensor of a tuple, list or
    mapping (an LSTM's output before its states)."""
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, (tuple, list)):
        return next((o for o in output if isinstance(o, torch.Tensor)), None)
    if isinstance(output, Mapping):
        return next((o for o in output.values() if isinstance(o, torch.Tensor)), None)
    return None


def _unit_fraction(indicator: torch.Tensor) -> torch.Tensor:
    """The mean of a 0/1 tensor over every dimension but the units' (dimension 1)."""
    dims = [d for d in range(indicator.ndim) if d != 1]
    return indicator.mean(dim=dims)


def _above(values: torch.Tensor, threshold: float) -> torch.Tensor:
    """1 where values > threshold, else 0 (NaN stays NaN)."""
    return torch.sign(values - threshold).clamp_(min=0.0)


_SATURATING: dict[type[nn.Module], str] = {nn.Sigmoid: "sigmoid", nn.Tanh: "tanh"}


def _outside(values: torch.Tensor, low: float, high: float) -> torch.Tensor:
    """1 where values < low or values > high, else 0."""
    return _above(low - values, 0.0) + _above(values, high)


def activation_vectors(
    module: nn.Module, inputs: Sequence[Any], output: torch.Tensor
) -> dict[str, torch.Tensor]:
    """The vector summaries of one module's output (see the module); none for 0-d or 1-d
    outputs, which have no unit dimension."""
    if output.ndim < 2 or not output.is_floating_point():
        return {}
    if "ReLU" in type(module).__name__:
        return {"active": _unit_fraction(_above(_float(output), 0.0))}
    kind = (
        "sigmoid"
        if isinstance(module, nn.Sigmoid)
        else "tanh"
        if isinstance(module, nn.Tanh)
        else None
    )
    x = inputs[0] if inputs and isinstance(inputs[0], torch.Tensor) else None
    if kind is None or x is None or x.shape != output.shape:
        return {}
    low, high = SATURATION_BOUNDS[kind]
    return {"saturated": _unit_fraction(_outside(_float(x.detach()), low, high))}


def _float(values: torch.Tensor) -> torch.Tensor:
    return values if values.dtype in (torch.float32, torch.float64) else values.float()


def _per_class(classes: torch.Tensor, weights: torch.Tensor, num_classes: int) -> torch.Tensor:
    slots = classes.reshape(-1).long().clamp(0, num_classes - 1)
    counts = torch.zeros(num_classes, dtype=torch.float64, device=classes.device)
    return counts.scatter_add_(0, slots, weights.reshape(-1).to(torch.float64))


def class_counts(
    labels: torch.Tensor | None, predictions: torch.Tensor | None, num_classes: int
) -> dict[str, dict[str, torch.Tensor]]:
    """Per-class counts of the labels and of the predicted classes (see the module)."""
    out: dict[str, dict[str, torch.Tensor]] = {}
    if labels is not None and not labels.is_floating_point():
        out["labels"] = {
            "count": _per_class(labels, torch.ones_like(labels, dtype=torch.float64), num_classes)
        }
    if predictions is None:
        return out
    if predictions.is_floating_point() and predictions.ndim >= 2:
        classes = predictions.detach().argmax(dim=-1)
    elif not predictions.is_floating_point():
        classes = predictions.detach()
    else:
        return out
    ones = torch.ones_like(classes, dtype=torch.float64)
    vectors = {"count": _per_class(classes, ones, num_classes)}
    if labels is not None and not labels.is_floating_point() and labels.shape == classes.shape:
        correct = (classes == labels).to(torch.float64)
        vectors["correct"] = _per_class(labels, correct, num_classes)
    out["predictions"] = vectors
    return out
