"""Rules on activations: SaturatedActivation and DeadRelu.

Both need more than a tensor's scalar statistics: per-unit fractions of the batch, which the
hooks compute as `StepRecord.vectors` (and store as series, so that the rules can be re-run):

- "active": for each unit of a ReLU module's output, the fraction of the batch above 0;
- "saturated": for each unit of a tanh or sigmoid module, the fraction of the batch where
  the function is saturated (TorchHook's bounds: `studio.debugger.vectors`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from studio.debugger.rules.base import Rule
from studio.debugger.rules.selection import Episodes, TensorSelection, figure, listed

if TYPE_CHECKING:
    from studio.debugger.entities import Finding
    from studio.debugger.record import StepRecord

__all__ = ["SATURATION_BOUNDS", "DeadRelu", "SaturatedActivation"]

SATURATION_BOUNDS: dict[str, tuple[float, float]] = {
    "tanh": (-9.4999, 9.4999),
    "sigmoid": (-23.0, 16.99999),
}
"""SageMaker Debugger's `threshold_{tanh,sigmoid}_{min,max}` defaults: the inputs outside
which tanh and sigmoid count as saturated, where their derivative falls below 1e-7."""


def _layer_findings(
    rule: Rule,
    record: StepRecord,
    episodes: Episodes[str],
    fractions: dict[str, np.ndarray],
    threshold_inactivity: float,
    threshold_layer: float,
    what: str,
) -> list[Finding]:
    """The layers where more than `threshold_layer` percent of the units are active (`what`:
    not saturated, or alive) for less than `threshold_inactivity` percent of the batch."""
    percent = {
        tensor: 100.0 * float(np.mean(100.0 * active < threshold_inactivity))
        for tensor, active in fractions.items()
        if active.size
    }
    failing = [tensor for tensor, value in percent.items() if value > threshold_layer]
    new = episodes.begin(percent, failing)
    if not new:
        return []
    parts = [f"{tensor} ({figure(percent[tensor])}% of its units)" for tensor in new]
    message = (
        f"In {listed(parts)}, more than threshold_layer {figure(threshold_layer)}% of the "
        f"units are {what}: active for less than {figure(threshold_inactivity)}% of the batch."
    )
    values = {
        f"percent_{what}": {tensor: percent[tensor] for tensor in new},
        "threshold_inactivity": threshold_inactivity,
        "threshold_layer": threshold_layer,
    }
    return [rule.finding(record, new, message, values)]


class DeadRelu(Rule):
    """Fires when more than `threshold_layer` percent of a ReLU layer's units are dead:
    above zero for less than `threshold_inactivity` percent of the batch.

    [Studio choice] SageMaker's `tensor_regex` default ".*relu_output" names smdebug's
    tensors; Studio's default is every activation with the "active" summary, which hooks
    compute for ReLU modules. A given `tensor_regex` narrows them by name.
    """

    collections = ("activations",)

    def __init__(
        self,
        tensor_regex: str | Iterable[str] | None = None,
        threshold_inactivity: float = 1.0,
        threshold_layer: float = 50.0,
        **options: Any,
    ) -> None:
        super().__init__(
            tensor_regex=tensor_regex,
            threshold_inactivity=threshold_inactivity,
            threshold_layer=threshold_layer,
            **options,
        )
        self.selection = TensorSelection(None, tensor_regex)
        self.threshold_inactivity = threshold_inactivity
        self.threshold_layer = threshold_layer
        self._episodes: Episodes[str] = Episodes()

    def observe(self, record: StepRecord) -> Sequence[Finding]:
        active = {
            tensor: np.asarray(vectors["active"], dtype=np.float64)
            for tensor, vectors in record.vectors.items()
            if "active" in vectors and self.selection(tensor)
        }
        return _layer_findings(
            self,
            record,
            self._episodes,
            active,
            self.threshold_inactivity,
            self.threshold_layer,
            "dead",
        )


class SaturatedActivation(Rule):
    """Fires when more than `threshold_layer` percent of a tanh or sigmoid layer's units are
    saturated: inside the function's working range for less than `threshold_inactivity`
    percent of the batch.

    [Studio choice] The hooks compute the "saturated" summary (TorchHook's bounds are in
    `studio.debugger.vectors`) and the rule reads it: SageMaker's
    `threshold_{tanh,sigmoid}_{min,max}` are recorded with its parameters, and other
    values than their defaults (`SATURATION_BOUNDS`) are refused, since no hook computes
    another summary. Its default tensors are every activation with that summary
    (SageMaker's default regex ".*tanh_input|.*sigmoid_input" names smdebug's tensors);
    `collection_names` and `tensor_regex` narrow them.
    """

    collections = ("activations",)

    def __init__(
        self,
        collection_names: str | Iterable[str] | None = None,
        tensor_regex: str | Iterable[str] | None = None,
        threshold_tanh_min: float = -9.4999,
        threshold_tanh_max: float = 9.4999,
        threshold_sigmoid_min: float = -23.0,
        threshold_sigmoid_max: float = 16.99999,
        threshold_inactivity: float = 1.0,
        threshold_layer: float = 50.0,
        **options: Any,
    ) -> None:
        super().__init__(
            collection_names=collection_names,
            tensor_regex=tensor_regex,
            threshold_tanh_min=threshold_tanh_min,
            threshold_tanh_max=threshold_tanh_max,
            threshold_sigmoid_min=threshold_sigmoid_min,
            threshold_sigmoid_max=threshold_sigmoid_max,
            threshold_inactivity=threshold_inactivity,
            threshold_layer=threshold_layer,
            **options,
        )
        bounds = {
            "tanh": (threshold_tanh_min, threshold_tanh_max),
            "sigmoid": (threshold_sigmoid_min, threshold_sigmoid_max),
        }
        if bounds != SATURATION_BOUNDS:
            raise ValueError(
                "SaturatedActivation reads the hooks' saturation summary: bounds other than "
                f"SageMaker's defaults {SATURATION_BOUNDS} ({bounds}) are not supported."
            )
        self.selection = TensorSelection(collection_names, tensor_regex)
        self.threshold_inactivity = threshold_inactivity
        self.threshold_layer = threshold_layer
        self._episodes: Episodes[str] = Episodes()

    def observe(self, record: StepRecord) -> Sequence[Finding]:
        working = {
            tensor: 1.0 - np.asarray(vectors["saturated"], dtype=np.float64)
            for tensor, vectors in record.vectors.items()
            if "saturated" in vectors and self.selection(tensor)
        }
        return _layer_findings(
            self,
            record,
            self._episodes,
            working,
            self.threshold_inactivity,
            self.threshold_layer,
            "saturated",
        )
