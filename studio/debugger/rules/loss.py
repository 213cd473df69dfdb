"""Rules on the loss: LossNotDecreasing, Overfit, Overtraining.

A loss is a tensor of the "losses" collection (e.g. "losses/loss"); its value at a step is
its `mean` statistic. Losses come in the "train" and "eval" modes. Several records of one
mode at one step (an evaluation pass of several batches) make one value, their mean.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from studio.debugger.rules.base import Rule
from studio.debugger.rules.selection import Episodes, TensorSelection, figure, name_list

if TYPE_CHECKING:
    from studio.debugger.entities import Finding
    from studio.debugger.record import StepRecord

__all__ = ["LossNotDecreasing", "Overfit", "Overtraining"]

Names = str | Iterable[str] | None


@dataclass
class _StepMean:
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


def _losses(record: StepRecord, selection: TensorSelection) -> dict[str, float]:
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
    as two conditions; without `mode` each mode's loss is judged on its own (SageMaker
    picks EVAL, else TRAIN). The losses are the "losses" collection (unless
    `use_losses_collection` is False), plus `collection_names` and `tensor_regex`.
    """

    collections = ("losses",)

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
        self.selection = TensorSelection(collections, tensor_regex)
        self.num_steps = num_steps
        self.diff_percent = diff_percent
        self.increase_threshold_percent = increase_threshold_percent
        self.mode = None if mode is None or mode.upper() == "GLOBAL" else mode.lower()
        self._history: dict[tuple[str, str], list[_StepMean]] = {}
        self._next: dict[tuple[str, str], int] = {}
        self._episodes: Episodes[tuple[str, str, str]] = Episodes()

    def observe(self, record: StepRecord) -> Sequence[Finding]:
        if self.mode is not None and record.mode != self.mode:
            return []
        checked: list[tuple[str, str, str]] = []
        failing: list[tuple[str, str, str]] = []
        compared: dict[str, tuple[_StepMean, _StepMean]] = {}
        for tensor, value in _losses(record, self.selection).items():
            key = (record.mode, tensor)
            history = self._history.setdefault(key, [])
            if history and history[-1].step == record.step:
                history[-1].add(value)
                continue
            history.append(_StepMean(record.step))
            history[-1].add(value)
            if record.step < self._next.get(key, -math.inf):
                continue
            back = record.step - self.num_steps
            earlier = [point for point in history[:-1] if point.step <= back]
            if not earlier:
                continue
            # Only the newest point <= s - num_steps can be a later comparison's reference.
            del history[: history.index(earlier[-1])]
            self._next[key] = record.step + self.num_steps
            then, now = earlier[-1], history[-1]
            compared[tensor] = (then, now)
            flat, rising = (record.mode, tensor, "flat"), (record.mode, tensor, "rising")
            checked += [flat, rising]
            if now.value > then.value * (1 + self.increase_threshold_percent / 100):
                failing.append(rising)
            elif now.value > then.value * (1 - self.diff_percent / 100):
                failing.append(flat)
        findings = []
        for mode, tensor, how in self._episodes.begin(checked, failing):
            then, now = compared[tensor]
            change = 100.0 * (now.value - then.value) / abs(then.value) if then.value else 0.0
            if how == "rising":
                verdict = (
                    f"it increased by {figure(change)}%, more than increase_threshold_percent "
                    f"{figure(self.increase_threshold_percent)}%"
                )
            else:
                verdict = f"it did not decrease by diff_percent {figure(self.diff_percent)}%"
            message = (
                f"The {mode} loss {tensor} went from {figure(then.value)} at step {then.step} "
                f"to {figure(now.value)} at step {now.step}: {verdict}."
            )
            values = {
                "previous": then.value,
                "previous_step": then.step,
                "current": now.value,
                "change_percent": change,
                "diff_percent": self.diff_percent,
                "increase_threshold_percent": self.increase_threshold_percent,
            }
            findings.append(self.finding(record, (tensor,), message, values))
        return findings


@dataclass
class _Pass:
    """One evaluation pass of one loss: the train loss it is compared with, and its own."""

    step: int
    train: float
    loss: _StepMean


class Overfit(Rule):
    """Fires when the validation loss exceeds the training loss by more than
    `ratio_threshold` of it, `(eval - train) / train > ratio_threshold`, for `patience`
    evaluations in a row, from `start_step` on.

    [Studio choice] An evaluation is the eval-mode loss at one step (the mean of the
    records there); it is compared with the mean of the train losses recorded since the
    previous evaluation (the previous mean when none were).
    """

    collections = ("losses",)
    modes = ("train", "eval")

    def __init__(
        self,
        tensor_regex: Names = None,
        start_step: int = 0,
        patience: int = 1,
        ratio_threshold: float = 0.1,
        **options: Any,
    ) -> None:
        super().__init__(
            tensor_regex=tensor_regex,
            start_step=start_step,
            patience=patience,
            ratio_threshold=ratio_threshold,
            **options,
        )
        self.selection = TensorSelection(None, tensor_regex, ("losses",))
        self.start_step = start_step
        self.patience = patience
        self.ratio_threshold = ratio_threshold
        self._train: dict[str, _StepMean] = {}  # since the last evaluation
        self._last_train: dict[str, float] = {}
        self._pass: dict[str, _Pass] = {}
        self._streak: dict[str, int] = {}
        self._episodes: Episodes[str] = Episodes()

    def observe(self, record: StepRecord) -> Sequence[Finding]:
        losses = _losses(record, self.selection)
        if record.mode == "train":
            for tensor, value in losses.items():
                self._close(tensor)
                self._train.setdefault(tensor, _StepMean(record.step)).add(value)
            return []
        if record.step < self.start_step:
            return []
        checked: list[str] = []
        over: list[str] = []
        ratios: dict[str, tuple[float, _Pass]] = {}
        for tensor, value in losses.items():
            current = self._pass.get(tensor)
            if current is None or current.step != record.step:
                self._close(tensor)
                train = self._train.pop(tensor, None)
                if train is not None:
                    self._last_train[tensor] = train.value
                if tensor not in self._last_train:
                    continue
                current = self._pass[tensor] = _Pass(
                    record.step, self._last_train[tensor], _StepMean(record.step)
                )
            current.loss.add(value)
            ratio = (current.loss.value - current.train) / abs(current.train)
            checked.append(tensor)
            ratios[tensor] = (ratio, current)
            streak = self._streak.get(tensor, 0) + (ratio > self.ratio_threshold)
            if ratio > self.ratio_threshold and streak >= self.patience:
                over.append(tensor)
        findings = []
        for tensor in self._episodes.begin([t for t in checked if t in over], over):
            ratio, current = ratios[tensor]
            message = (
                f"The validation loss {tensor} ({figure(current.loss.value)}) exceeds the "
                f"training loss ({figure(current.train)}) by {figure(100 * ratio)}% of it, "
                f"more than ratio_threshold {figure(self.ratio_threshold)}"
                f"{f' for {self.patience} evaluations' if self.patience > 1 else ''}: "
                "the model is overfitting."
            )
            values = {
                "validation": current.loss.value,
                "training": current.train,
                "ratio": ratio,
                "ratio_threshold": self.ratio_threshold,
                "patience": self.patience,
            }
            findings.append(self.finding(record, (tensor,), message, values))
        return findings

    def _close(self, tensor: str) -> None:
        """The end of an evaluation: it extends or ends the streak of evaluations over."""
        done = self._pass.pop(tensor, None)
        if done is None:
            return
        ratio = (done.loss.value - done.train) / abs(done.train)
        if ratio > self.ratio_threshold:
            self._streak[tensor] = self._streak.get(tensor, 0) + 1
        else:
            self._streak[tensor] = 0
            self._episodes.begin([tensor], [])


class Overtraining(Rule):
    """Fires when the training loss has not improved for `patience_train` saved steps, or
    the validation loss for `patience_validation` saved steps: an improvement is a loss
    below the best so far by at least `delta` (an absolute amount, as SageMaker's)."""

    collections = ("losses",)
    modes = ("train", "eval")

    def __init__(
        self,
        patience_train: int = 5,
        patience_validation: int = 10,
        delta: float = 0.01,
        **options: Any,
    ) -> None:
        super().__init__(
            patience_train=patience_train,
            patience_validation=patience_validation,
            delta=delta,
            **options,
        )
        self.patience = {"train": patience_train, "eval": patience_validation}
        self.delta = delta
        self.selection = TensorSelection(None, None, ("losses",))
        self._best: dict[tuple[str, str], tuple[float, int]] = {}  # (loss, step)
        self._current: dict[tuple[str, str], _StepMean] = {}
        self._since: dict[tuple[str, str], int] = {}
        self._episodes: Episodes[tuple[str, str]] = Episodes()

    def observe(self, record: StepRecord) -> Sequence[Finding]:
        patience = self.patience.get(record.mode)
        if patience is None:
            return []
        checked: list[tuple[str, str]] = []
        stale: list[tuple[str, str]] = []
        for tensor, value in _losses(record, self.selection).items():
            key = (record.mode, tensor)
            current = self._current.get(key)
            if current is None or current.step != record.step:
                current = self._current[key] = _StepMean(record.step)
                if key in self._best:
                    self._since[key] = self._since.get(key, 0) + 1
            current.add(value)
            best = self._best.get(key)
            if best is None or current.value < best[0] - self.delta:
                self._best[key] = (current.value, record.step)
                self._since[key] = 0
            checked.append(key)
            if self._since[key] >= patience:
                stale.append(key)
        findings = []
        for mode, tensor in self._episodes.begin(checked, stale):
            best_loss, best_step = self._best[(mode, tensor)]
            which = "training" if mode == "train" else "validation"
            parameter = "patience_train" if mode == "train" else "patience_validation"
            message = (
                f"The {which} loss {tensor} has not improved by delta {figure(self.delta)} for "
                f"{self._since[(mode, tensor)]} saved steps ({parameter} {patience}) since "
                f"{figure(best_loss)} at step {best_step}: the model is no longer improving."
            )
            values = {
                "best": best_loss,
                "best_step": best_step,
                "steps_without_improvement": self._since[(mode, tensor)],
                "delta": self.delta,
                parameter: patience,
            }
            findings.append(self.finding(record, (tensor,), message, values))
        return findings
