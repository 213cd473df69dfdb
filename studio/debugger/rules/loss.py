"""The loss's own rule, LossNotDecreasing, and what the loss rules share (Overfit and
Overtraining, which compare evaluation passes, are in `validation`).

A loss is a tensor of the "losses" collection (e.g. "losses/loss"); its value at a step is
its `mean` statistic. Losses come in the "train" and "eval" modes, each counting its own
steps: an eval step is one batch of an evaluation pass.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from studio.debugger.rules.base import Rule
from studio.debugger.rules.selection import Episodes, TensorSelection, figure, name_list

if TYPE_CHECKING:
    from studio.debugger.entities import Finding
    from studio.debugger.record import StepRecord

__all__ = ["LossNotDecreasing", "loss_values"]

Names = str | Iterable[str] | None


@dataclass
class StepMean:
    """A loss at one step: the mean of its values there."""

    step: int
    total: float = 0.0
    count: int = 0

    @property
    def value(self) -> float:
        return self.total / self.count

    def add(self, value: float) -> None:
        self.total += value
        self.count += 1


def loss_values(record: StepRecord, selection: TensorSelection) -> dict[str, float]:
    """The selected losses of a record that have a finite value."""
    found: dict[str, float] = {}
    for tensor in selection.among(record.tensors):
        value = record.stat(tensor, "mean")
        if record.stat(tensor, "count") > 0 and math.isfinite(value):
            found[tensor] = value
    return found


class LossNotDecreasing(Rule):
    """Fires when a loss did not decrease by at least `diff_percent` percent over
    `num_steps` steps, or increased by more than `increase_threshold_percent` percent.

    Every `num_steps` steps, the loss at step s is compared with the loss at the newest
    saved step p <= s - num_steps (SageMaker's lookback); the next comparison is at the first
    saved step >= s + num_steps. [Studio choice] Not decreasing and increasing are reported
    as two conditions.

    [Studio choice] A minibatch loss jumps from batch to batch (0.07 then 0.155 on a healthy
    training): two single batches compare the noise, not the training. So the noise of one
    saved loss about its trend is estimated (from the second differences of the last 100
    saved losses, which a falling loss's trend leaves out; zero for a smooth loss such as
    scikit-learn's epoch losses), and
    - increasing: the mean of the losses saved over (s - num_steps, s] against that over
      (p - num_steps, p] must exceed the threshold by three standard errors of their
      difference;
    - not decreasing: the losses are averaged over the last n saved steps up to s against the
      n saved steps up to p (or before the first of those, when they would overlap), n being
      the fewest saved steps whose means differ by a standard error of at most 1% of the
      loss. A smooth loss, or one saved every `num_steps` steps or more with little noise,
      has n = 1: SageMaker's comparison. A loss too noisy for 100 saved steps to reach that
      is not judged flat: within its noise it may be decreasing.
    Without `mode` the train loss is judged (SageMaker picks EVAL, else TRAIN; but
    TorchHook's eval steps are the batches of evaluation passes, whose losses are not a
    curve to compare); `mode="EVAL"` judges those, "GLOBAL" every mode, each on its own. The
    losses are the "losses" collection (unless `use_losses_collection` is False), plus
    `collection_names` and `tensor_regex`.
    """

    collections = ("losses",)
    longest: ClassVar[int] = 100
    """The most saved steps a "not decreasing" window averages."""

    def __init__(
        self,
        collection_names: Names = None,
        tensor_regex: Names = None,
        use_losses_collection: bool = True,
        num_steps: int = 10,
        diff_percent: float = 0.1,
        increase_threshold_percent: float = 5.0,
        mode: str | None = None,
        **options: Any,
    ) -> None:
        super().__init__(
            collection_names=collection_names,
            tensor_regex=tensor_regex,
            use_losses_collection=use_losses_collection,
            num_steps=num_steps,
            diff_percent=diff_percent,
            increase_threshold_percent=increase_threshold_percent,
            mode=mode,
            **options,
        )
        collections = [
            *(("losses",) if use_losses_collection else ()),
            *name_list(collection_names),
        ]
        if not collections and tensor_regex is None:
            raise ValueError("Without the losses collection, name the loss tensors.")
        if num_steps < 1:
            raise ValueError(f"num_steps is a number of steps of at least 1, not {num_steps}.")
        self.selection = TensorSelection(collections, tensor_regex)
        self.num_steps = num_steps
        self.diff_percent = diff_percent
        self.increase_threshold_percent = increase_threshold_percent
        self.mode = (
            None if mode is not None and mode.upper() == "GLOBAL" else (mode or "train").lower()
        )
        self._history: dict[tuple[str, str], deque[StepMean]] = {}
        self._next: dict[tuple[str, str], int] = {}
        self._episodes: Episodes[tuple[str, str, str]] = Episodes()

    def observe(self, record: StepRecord) -> Sequence[Finding]:
        if self.mode is not None and record.mode != self.mode:
            return []
        checked: list[tuple[str, str, str]] = []
        failing: list[tuple[str, str, str]] = []
        compared: dict[tuple[str, str], tuple[_Window, _Window]] = {}
        for tensor, value in loss_values(record, self.selection).items():
            key = (record.mode, tensor)
            history = self._history.setdefault(key, deque(maxlen=2 * self.longest + 64))
            if history and history[-1].step == record.step:
                history[-1].add(value)
                continue
            history.append(StepMean(record.step))
            history[-1].add(value)
            if record.step < self._next.get(key, -math.inf):
                continue
            points = list(history)
            back = record.step - self.num_steps
            reference = max((i for i, p in enumerate(points[:-1]) if p.step <= back), default=-1)
            if reference < 0:
                continue
            self._next[key] = record.step + self.num_steps
            noise = _noise([p.value for p in points[-self.longest :]])
            flat, rising = (record.mode, tensor, "flat"), (record.mode, tensor, "rising")
            checked += [flat, rising]
            last = points[reference].step
            then = _Window.of([p for p in points if last - self.num_steps < p.step <= last])
            now = _Window.of([p for p in points if p.step > back])
            if now.value - 3 * noise * now.spread(then) > then.value * (
                1 + self.increase_threshold_percent / 100
            ):
                failing.append(rising)
                compared[rising[1:]] = (then, now)
                continue
            level = abs(float(np.median([p.value for p in points[-self.longest :]])))
            n = 1 if noise == 0 or level == 0 else math.ceil(2 * (noise / (0.01 * level)) ** 2)
            end = min(reference, len(points) - 1 - n)
            if n > self.longest or end - n + 1 < 0:
                continue
            then, now = _Window.of(points[end - n + 1 : end + 1]), _Window.of(points[-n:])
            if now.value > then.value * (1 - self.diff_percent / 100):
                failing.append(flat)
                compared[flat[1:]] = (then, now)
        findings = []
        for mode, tensor, how in self._episodes.begin(checked, failing):
            then, now = compared[(tensor, how)]
            change = 100.0 * (now.value - then.value) / abs(then.value) if then.value else 0.0
            if how == "rising":
                verdict = (
                    f"it increased by {figure(change)}%, more than increase_threshold_percent "
                    f"{figure(self.increase_threshold_percent)}% beyond its noise"
                )
            else:
                verdict = f"it did not decrease by diff_percent {figure(self.diff_percent)}%"
            message = (
                f"The {mode} loss {tensor} went from {figure(then.value)} ({then}) to "
                f"{figure(now.value)} ({now}): {verdict}."
            )
            values = {
                "previous": then.value,
                "previous_step": then.last_step,
                "current": now.value,
                "change_percent": change,
                "diff_percent": self.diff_percent,
                "increase_threshold_percent": self.increase_threshold_percent,
            }
            findings.append(self.finding(record, (tensor,), message, values))
        return findings


def _noise(values: Sequence[float]) -> float:
    """The standard deviation of one value about the values' trend."""
    if len(values) < 3:
        return 0.0
    # The median |second difference| of i.i.d. noise of deviation sigma is 1.652 sigma.
    return float(np.median(np.abs(np.diff(np.asarray(values), 2)))) / 1.652


@dataclass(frozen=True)
class _Window:
    """The mean loss of the saved steps first_step to last_step."""

    first_step: int
    last_step: int
    value: float
    count: int

    @classmethod
    def of(cls, points: Sequence[StepMean]) -> _Window:
        values = [point.value for point in points]
        return cls(points[0].step, points[-1].step, sum(values) / len(values), len(values))

    def spread(self, other: _Window) -> float:
        """The standard error of the two means' difference, in units of one value's noise."""
        return math.sqrt(1 / self.count + 1 / other.count)

    def __str__(self) -> str:
        if self.first_step == self.last_step:
            return f"at step {self.last_step}"
        return f"mean of steps {self.first_step} to {self.last_step}"
