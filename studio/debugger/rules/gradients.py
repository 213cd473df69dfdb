"""Rules on gradients and weights: VanishingGradient, PoorWeightInitialization,
WeightUpdateRatio."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from studio.debugger.rules.base import Rule
from studio.debugger.rules.selection import Episodes, figure, frozen, listed

if TYPE_CHECKING:
    from studio.debugger.entities import Finding
    from studio.debugger.record import StepRecord

__all__ = ["PoorWeightInitialization", "VanishingGradient", "WeightUpdateRatio"]

NORMAL_P5_TO_P95 = 3.2897072539029457
"""The distance from the 5th to the 95th percentile of a normal distribution, in standard
deviations (2 x 1.6448536...)."""


def _finite(record: StepRecord, tensor: str) -> bool:
    return record.stat(tensor, "nan") + record.stat(tensor, "inf") == 0


class VanishingGradient(Rule):
    """Fires when the mean absolute value of a gradient (L1 norm / element count) drops below
    `threshold`. Non-finite gradients are ExplodingTensor's to report."""

    collections = ("gradients",)

    def __init__(self, threshold: float = 1e-07, **options: Any) -> None:
        super().__init__(threshold=threshold, **options)
        self.threshold = threshold
        self._episodes: Episodes[str] = Episodes()

    def observe(self, record: StepRecord) -> Sequence[Finding]:
        checked = [
            tensor
            for tensor in record.in_collection("gradients")
            if record.stat(tensor, "count") > 0 and _finite(record, tensor)
        ]
        abs_mean = {t: record.stat(t, "l1") / record.stat(t, "count") for t in checked}
        vanished = [tensor for tensor in checked if abs_mean[tensor] < self.threshold]
        new = self._episodes.begin(checked, vanished)
        if not new:
            return []
        parts = [f"{tensor} ({figure(abs_mean[tensor])})" for tensor in new]
        message = (
            f"The mean absolute gradient of {listed(parts)} is below the threshold "
            f"{figure(self.threshold)}: the gradients are vanishing."
        )
        values = {"abs_mean": {t: abs_mean[t] for t in new}, "threshold": self.threshold}
        return [self.finding(record, new, message, values)]


class PoorWeightInitialization(Rule):
    """Fires, within the first `steps` training steps, when the initial weights look poor:

    - the variance of the ReLU layers' inputs differs across layers by a ratio (largest over
      smallest) above `threshold`;
    - a gradient's spread, its 5th to 95th percentile, is below `distribution_range`;
    - the loss reaches no new minimum for `patience` steps.

    [Studio choice] Studio keeps statistics, not values: a gradient's spread is estimated
    as 3.29 standard deviations, the 5th-to-95th-percentile distance of a normal
    distribution. The ReLU layers are the activations that carry the "active" summary
    (hooks compute it for ReLU modules), whose variance, for inputs centred on zero, is a
    fixed fraction of their inputs' variance, so the ratio is the same. A given
    `activation_inputs_regex` selects activation tensors by name instead. [Studio choice]
    The loss check needs `patience` saved losses without a new minimum, besides `patience`
    steps: saved every 5 steps, "no new minimum for 5 steps" would be one batch's loss not
    below another's, which batch noise decides half the time.
    """

    collections = ("activations", "gradients", "losses")
    modes = ("train",)

    def __init__(
        self,
        activation_inputs_regex: str | None = None,
        threshold: float = 10.0,
        distribution_range: float = 0.001,
        patience: int = 5,
        steps: int = 10,
        **options: Any,
    ) -> None:
        super().__init__(
            activation_inputs_regex=activation_inputs_regex,
            threshold=threshold,
            distribution_range=distribution_range,
            patience=patience,
            steps=steps,
            **options,
        )
        self.pattern = (
            None if activation_inputs_regex is None else re.compile(activation_inputs_regex)
        )
        self.threshold = threshold
        self.distribution_range = distribution_range
        self.patience = patience
        self.steps = steps
        self._fired: set[str] = set()
        self._best: tuple[int, float] | None = None
        self._since_best = 0  # saved losses since the best

    def observe(self, record: StepRecord) -> Sequence[Finding]:
        if record.step >= self.steps:
            return []
        checks = (self._variance, self._spread, self._loss)
        return [finding for check in checks for finding in check(record)]

    def _layers(self, record: StepRecord) -> list[str]:
        if self.pattern is not None:
            pattern = self.pattern
            return [t for t in record.in_collection("activations") if pattern.search(t)]
        return [
            t for t in record.in_collection("activations") if "active" in record.vectors.get(t, {})
        ]

    def _variance(self, record: StepRecord) -> list[Finding]:
        layers = [t for t in self._layers(record) if _finite(record, t)]
        if "variance" in self._fired or len(layers) < 2:
            return []
        variance = {tensor: record.stat(tensor, "std") ** 2 for tensor in layers}
        low = min(layers, key=variance.__getitem__)
        high = max(layers, key=variance.__getitem__)
        ratio = variance[high] / variance[low] if variance[low] > 0 else math.inf
        if not ratio > self.threshold:
            return []
        self._fired.add("variance")
        message = (
            f"The variance of the ReLU layers' activations ranges from {figure(variance[low])} "
            f"({low}) to {figure(variance[high])} ({high}), a ratio of {figure(ratio)} above "
            f"the threshold {figure(self.threshold)}: the weights are poorly initialised."
        )
        values = {"variance": variance, "ratio": ratio, "threshold": self.threshold}
        return [self.finding(record, (low, high), message, values)]

    def _spread(self, record: StepRecord) -> list[Finding]:
        if "spread" in self._fired:
            return []
        spread = {
            tensor: NORMAL_P5_TO_P95 * record.stat(tensor, "std")
            for tensor in record.in_collection("gradients")
            if record.stat(tensor, "count") > 1 and _finite(record, tensor)
        }
        narrow = [tensor for tensor, value in spread.items() if value < self.distribution_range]
        if not narrow:
            return []
        self._fired.add("spread")
        parts = [f"{tensor} ({figure(spread[tensor])})" for tensor in narrow]
        message = (
            f"The gradients of {listed(parts)} spread less than distribution_range "
            f"{figure(self.distribution_range)} from their 5th to their 95th percentile "
            "(estimated as 3.29 standard deviations): the weights are poorly initialised."
        )
        values = {
            "spread": {t: spread[t] for t in narrow},
            "distribution_range": self.distribution_range,
        }
        return [self.finding(record, narrow, message, values)]

    def _loss(self, record: StepRecord) -> list[Finding]:
        losses = [t for t in record.in_collection("losses") if _finite(record, t)]
        if "loss" in self._fired or not losses:
            return []
        loss = record.stat(losses[0], "mean")
        if self._best is None or loss < self._best[1]:
            self._best = (record.step, loss)
            self._since_best = 0
            return []
        self._since_best += 1
        best_step, best = self._best
        if record.step - best_step < self.patience or self._since_best < self.patience:
            return []
        self._fired.add("loss")
        message = (
            f"The loss {losses[0]} has reached no new minimum for {record.step - best_step} "
            f"steps (patience {self.patience}) since {figure(best)} at step {best_step}, "
            f"within the first {self.steps} steps: the weights are poorly initialised."
        )
        values = {"loss": loss, "best": best, "best_step": best_step, "patience": self.patience}
        return [self.finding(record, losses[:1], message, values)]


class WeightUpdateRatio(Rule):
    """Fires when a weight's update is too large or too small for the weight: the ratio of
    the update's L2 norm to the weight's, `|Δw| / (|w| + epsilon)`, is above
    `large_threshold` or below `small_threshold`.

    [Studio choice] The norm is L2 (no public source gives it). The hook saves each saved
    step's own update ("updates/<name>": the weights after that optimizer step minus before),
    so the update is always one step's and `num_steps` (SageMaker's distance between the
    compared steps) is kept only so that a SageMaker configuration carries over. Steps that
    AMP's scaler skipped, and weights frozen on purpose (`requires_grad=False`: saved without
    a gradient), update nothing by design, and are left out.
    """

    collections = ("weights", "updates")

    def __init__(
        self,
        num_steps: int | None = None,
        large_threshold: float = 10.0,
        small_threshold: float = 1e-08,
        epsilon: float = 1e-09,
        **options: Any,
    ) -> None:
        super().__init__(
            num_steps=num_steps,
            large_threshold=large_threshold,
            small_threshold=small_threshold,
            epsilon=epsilon,
            **options,
        )
        self.large_threshold = large_threshold
        self.small_threshold = small_threshold
        self.epsilon = epsilon
        self._episodes: Episodes[str] = Episodes()

    def observe(self, record: StepRecord) -> Sequence[Finding]:
        if record.scalars.get("skipped"):
            return []
        ratio: dict[str, float] = {}
        unjudged = frozen(record)
        for update in record.in_collection("updates"):
            weight = "weights/" + update.partition("/")[2]
            if weight in unjudged or weight not in record:
                continue
            if _finite(record, update) and _finite(record, weight):
                norm = record.stat(weight, "l2") + self.epsilon
                ratio[weight] = record.stat(update, "l2") / norm
        outside = [
            tensor
            for tensor, value in ratio.items()
            if value > self.large_threshold or value < self.small_threshold
        ]
        new = self._episodes.begin(ratio, outside)
        if not new:
            return []
        large = [tensor for tensor in new if ratio[tensor] > self.large_threshold]
        small = [tensor for tensor in new if tensor not in large]
        sentences = []
        if large:
            parts = [f"{tensor} ({figure(ratio[tensor])})" for tensor in large]
            sentences.append(
                f"The update-to-weight ratio of {listed(parts)} is above large_threshold "
                f"{figure(self.large_threshold)}: the learning rate is likely too large."
            )
        if small:
            parts = [f"{tensor} ({figure(ratio[tensor])})" for tensor in small]
            sentences.append(
                f"The update-to-weight ratio of {listed(parts)} is below small_threshold "
                f"{figure(self.small_threshold)}: the weights barely move (frozen, or the "
                "learning rate is too small)."
            )
        message = " ".join(sentences)
        values = {
            "ratio": {t: ratio[t] for t in new},
            "large_threshold": self.large_threshold,
            "small_threshold": self.small_threshold,
        }
        tensors = [*new, *(f"updates/{t.partition('/')[2]}" for t in new)]
        return [self.finding(record, tensors, message, values)]
