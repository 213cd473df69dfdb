"""Rules on the loss: LossNotDecreasing, Overfit, Overtraining.

A loss is a tensor of the "losses" collection (e.g. "losses/loss"); its value at a step is
its `mean` statistic. Losses come in the "train" and "eval" modes, each counting its own
steps: an eval step is one batch of an evaluation pass.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from studio.debugger.entities import Finding
from studio.debugger.rules.base import Rule
from studio.debugger.rules.selection import Episodes, TensorSelection, figure, name_list

if TYPE_CHECKING:
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
    as two conditions. Without `mode` the train loss is judged (SageMaker picks EVAL, else
    TRAIN; but TorchHook's eval steps are the batches of evaluation passes, whose losses
    are not a curve to compare); `mode="EVAL"` judges those, "GLOBAL" every mode, each
    on its own. The losses are the "losses" collection (unless
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
        self.mode = (
            None if mode is not None and mode.upper() == "GLOBAL" else (mode or "train").lower()
        )
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
    """One evaluation pass of one loss: its eval steps, and the mean of their losses."""

    first_step: int
    last_step: int
    total: float = 0.0
    count: int = 0

    @property
    def value(self) -> float:
        return self.total / self.count

    def add(self, step: int, value: float) -> None:
        self.last_step = step
        self.total += value
        self.count += 1


class _Passes:
    """The evaluation passes of each loss: the eval records between two train records.

    TorchHook counts steps per mode, an eval step being one batch, so a validation loss is
    the mean of a pass, known when the pass ends: at the next train record, or when the
    training finishes."""

    def __init__(self) -> None:
        self.open: dict[str, _Pass] = {}

    def add(self, record: StepRecord, losses: dict[str, float]) -> list[str]:
        """Add an eval record's losses; answer the losses whose pass it opens."""
        opened = []
        for tensor, value in losses.items():
            current = self.open.get(tensor)
            if current is None:
                current = self.open[tensor] = _Pass(record.step, record.step)
                opened.append(tensor)
            current.add(record.step, value)
        return opened

    def close(self) -> dict[str, _Pass]:
        """The passes that a train record (or the end) ends."""
        done, self.open = self.open, {}
        return done


class Overfit(Rule):
    """Fires when the validation loss exceeds the training loss by more than
    `ratio_threshold` of it, `(validation - training) / training > ratio_threshold`, for
    `patience` evaluations in a row, from training step `start_step` on.

    [Studio choice] An evaluation is a pass: the eval records between two train records,
    its loss their mean; it is compared with the mean of the train losses recorded since
    the previous pass (the previous mean when none were). The finding comes when the pass
    ends (the next train record, or the end of the training), at the pass's last eval step.
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
        self._passes = _Passes()
        self._train: dict[str, _StepMean] = {}  # since the last pass
        self._compared: dict[str, float] = {}  # the train loss each open pass is compared with
        self._train_step = -1
        self._streak: dict[str, int] = {}
        self._episodes: Episodes[str] = Episodes()

    def observe(self, record: StepRecord) -> Sequence[Finding]:
        losses = _losses(record, self.selection)
        if record.mode != "eval":
            found = self.finish()
            self._train_step = record.step
            for tensor, value in losses.items():
                self._train.setdefault(tensor, _StepMean(record.step)).add(value)
            return found
        if self._train_step < self.start_step:
            return []
        for tensor in self._passes.add(record, losses):
            train = self._train.pop(tensor, None)
            if train is not None:
                self._compared[tensor] = train.value
        return []

    def finish(self) -> Sequence[Finding]:
        found = []
        for tensor, done in self._passes.close().items():
            train = self._compared.get(tensor)
            if train is None or train == 0:
                continue
            ratio = (done.value - train) / abs(train)
            over = ratio > self.ratio_threshold
            self._streak[tensor] = self._streak.get(tensor, 0) + 1 if over else 0
            fires = over and self._streak[tensor] >= self.patience
            if not self._episodes.begin([tensor], [tensor] if fires else []):
                continue
            streak = f" for {self.patience} evaluations" if self.patience > 1 else ""
            message = (
                f"The validation loss {tensor} ({figure(done.value)}, eval steps "
                f"{done.first_step} to {done.last_step}) exceeds the training loss "
                f"({figure(train)}) by {figure(100 * ratio)}% of it, more than ratio_threshold "
                f"{figure(self.ratio_threshold)}{streak}: the model is overfitting."
            )
            values = {
                "validation": done.value,
                "training": train,
                "ratio": ratio,
                "ratio_threshold": self.ratio_threshold,
                "patience": self.patience,
            }
            found.append(_eval_finding(self, done, tensor, message, values))
        return found


def _eval_finding(
    rule: Rule, done: _Pass, tensor: str, message: str, values: dict[str, Any]
) -> Finding:
    """A finding on an evaluation pass, at its last eval step."""
    return Finding(
        rule=rule.name,
        step=done.last_step,
        tensors=(tensor,),
        message=message,
        mode="eval",
        values=values,
    )


class Overtraining(Rule):
    """Fires when the training loss has not improved for `patience_train` saved steps, or
    the validation loss for `patience_validation` evaluations: an improvement is a loss
    below the best so far by at least `delta` (an absolute amount, as SageMaker's).

    [Studio choice] A validation loss is an evaluation pass's mean (see Overfit): an eval
    step of TorchHook is one batch, and the best of many batches' losses says nothing of
    the model's progress.
    """

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
        self._passes = _Passes()
        self._best: dict[tuple[str, str], tuple[float, int]] = {}  # (loss, step)
        self._since: dict[tuple[str, str], int] = {}
        self._episodes: Episodes[tuple[str, str]] = Episodes()

    def observe(self, record: StepRecord) -> Sequence[Finding]:
        losses = _losses(record, self.selection)
        if record.mode == "eval":
            self._passes.add(record, losses)
            return []
        found = list(self.finish())
        for tensor, value in losses.items():
            if self._judge("train", tensor, value, record.step):
                found.append(self._finding(record.step, "train", tensor))
        return found

    def finish(self) -> Sequence[Finding]:
        return [
            self._finding(done.last_step, "eval", tensor)
            for tensor, done in self._passes.close().items()
            if self._judge("eval", tensor, done.value, done.last_step)
        ]

    def _judge(self, mode: str, tensor: str, value: float, step: int) -> bool:
        """Take one loss; answer whether it makes the rule fire."""
        key = (mode, tensor)
        best = self._best.get(key)
        if best is None or value < best[0] - self.delta:
            self._best[key] = (value, step)
            self._since[key] = 0
        else:
            self._since[key] += 1
        stale = [key] if self._since[key] >= self.patience[mode] else []
        return bool(self._episodes.begin([key], stale))

    def _finding(self, step: int, mode: str, tensor: str) -> Finding:
        best_loss, best_step = self._best[(mode, tensor)]
        since = self._since[(mode, tensor)]
        patience = self.patience[mode]
        which, parameter, unit = (
            ("training", "patience_train", "saved steps")
            if mode == "train"
            else ("validation", "patience_validation", "evaluations")
        )
        message = (
            f"The {which} loss {tensor} has not improved by delta {figure(self.delta)} for "
            f"{since} {unit} ({parameter} {patience}) since {figure(best_loss)} at step "
            f"{best_step}: the model is no longer improving."
        )
        values = {
            "best": best_loss,
            "best_step": best_step,
            "without_improvement": since,
            "delta": self.delta,
            parameter: patience,
        }
        return Finding(
            rule=self.name, step=step, tensors=(tensor,), message=message, mode=mode, values=values
        )
