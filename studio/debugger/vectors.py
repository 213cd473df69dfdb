"""The small per-unit and per-class summaries some rules need beyond the 10 statistics.

- "active": for the output of a ReLU-like module (its class name contains "ReLU"), the
  fraction of the batch where each unit (dimension 1) is positive: DeadRelu.
- "saturated": for the output of a Sigmoid, the fraction where each unit is below 0.03 or
  above 0.97; of a Tanh, where its magnitude is above 0.97 (SageMaker's SaturatedActivation
  defaults): SaturatedActivation.
- "count" per class of the labels and of the predictions (the arg-max of 2-D logits), and
  "correct" per true class on the predictions: ClassImbalance.

All on the tensor's device, with float operations only (on the CPU build comparisons into
boolean tensors cost several times more), and no host synchronisation: `bincount` would read
its input's maximum back to the host, so counts are scatter-adds into `num_classes` slots.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["SIGMOID_SATURATION", "TANH_SATURATION", "activation_vectors", "class_counts"]

SIGMOID_SATURATION = 0.03
"""A sigmoid output below this or above 1 minus this is saturated (SageMaker's default)."""

TANH_SATURATION = 0.97
"""A tanh output whose magnitude is above this is saturated (SageMaker's default)."""


def _unit_fraction(indicator: torch.Tensor) -> torch.Tensor:
    """The mean of a 0/1 tensor over every dimension but the units' (dimension 1)."""
    dims = [d for d in range(indicator.ndim) if d != 1]
    return indicator.mean(dim=dims)


def _above(values: torch.Tensor, threshold: float) -> torch.Tensor:
    """1 where values > threshold, else 0 (NaN stays NaN)."""
    return torch.sign(values - threshold).clamp_(min=0.0)


def activation_vectors(module: nn.Module, output: torch.Tensor) -> dict[str, torch.Tensor]:
    """The vector summaries of one module's output (see the module); none for 0-d or 1-d
    outputs, which have no unit dimension."""
    if output.ndim < 2 or not output.is_floating_point():
        return {}
    kind = type(module).__name__
    values = output.float() if output.dtype != torch.float64 else output
    if "ReLU" in kind:
        return {"active": _unit_fraction(_above(values, 0.0))}
    if isinstance(module, nn.Sigmoid):
        distance = (values - 0.5).abs_()
        return {"saturated": _unit_fraction(_above(distance, 0.5 - SIGMOID_SATURATION))}
    if isinstance(module, nn.Tanh):
        return {"saturated": _unit_fraction(_above(values.abs(), TANH_SATURATION))}
    return {}


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
