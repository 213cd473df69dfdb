"""Rules on evaluation passes against the training: Overfit and Overtraining.

A validation loss is the "eval" mode's loss; TorchHook counts eval steps per batch, so an
evaluation is a pass: the eval records between two train records (see `_Passes`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from studio.debugger.entities import Finding
from studio.debugger.rules.base import Rule
from studio.debugger.rules.loss import Names, StepMean, loss_values
from studio.debugger.rules.selection import Episodes, TensorSelection, figure

if TYPE_CHECKING:
    from studio.debugger.record import StepRecord

__all__ = ["Overfit", "Overtraining"]


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

    [Studio choice] The gap alone is no overfitting: a model that generalises has one of its
    own (a converged logistic regression on i.i.d. data shows 14%; an MLP at 97% validation
    accuracy far more, its training loss being near zero, which the ratio divides by). An
    evaluation counts only when the validation loss has also risen by more than
    `ratio_threshold` of itself above its best (the lowest of the earlier passes): the
    validation loss pulling away from the training loss, not merely above it.
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
        self._train: dict[str, StepMean] = {}  # since the last pass
        self._compared: dict[str, float] = {}  # the train loss each open pass is compared with
        self._train_step = -1
        self._streak: dict[str, int] = {}
        self._best: dict[str, tuple[float, int]] = {}  # the best validation loss, its step
        self._episodes: Episodes[str] = Episodes()

    def observe(self, record: StepRecord) -> Sequence[Finding]:
        losses = loss_values(record, self.selection)
        if record.mode != "eval":
            found = self.finish()
            self._train_step = record.step
            for tensor, value in losses.items():
                self._train.setdefault(tensor, StepMean(record.step)).add(value)
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
            best = self._best.setdefault(tensor, (done.value, done.last_step))
            rise = (done.value - best[0]) / abs(best[0]) if best[0] else 0.0
            if done.value < best[0]:
                self._best[tensor] = (done.value, done.last_step)
            over = ratio > self.ratio_threshold and rise > self.ratio_threshold
            self._streak[tensor] = self._streak.get(tensor, 0) + 1 if over else 0
            fires = over and self._streak[tensor] >= self.patience
            if not self._episodes.begin([tensor], [tensor] if fires else []):
                continue
            streak = f" for {self.patience} evaluations" if self.patience > 1 else ""
            message = (
                f"The validation loss {tensor} ({figure(done.value)}, eval steps "
                f"{done.first_step} to {done.last_step}) exceeds the training loss "
                f"({figure(train)}) by {figure(100 * ratio)}% of it and rose "
                f"{figure(100 * rise)}% above its best ({figure(best[0])} at eval step "
                f"{best[1]}), both more than ratio_threshold {figure(self.ratio_threshold)}"
                f"{streak}: the model is overfitting."
            )
            values = {
                "validation": done.value,
                "training": train,
                "ratio": ratio,
                "best_validation": best[0],
                "rise": rise,
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
    the model's progress. [Studio choice] For the same reason a training loss is the mean of
    a span of `span` (10) consecutive saved train losses, and `patience_train` counts spans:
    a lucky batch would otherwise be a "best" that the next five batches do not beat by
    delta while the model is still learning. (SageMaker saves every 500 steps by default, so
    its five saved steps are 2,500 steps; five spans saved every 50 steps are the same.)
    """

    collections = ("losses",)
    modes = ("train", "eval")
    span: ClassVar[int] = 10

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
        self._spans: dict[str, _Pass] = {}  # the open span of each train loss
        self._best: dict[tuple[str, str], tuple[float, int]] = {}  # (loss, step)
        self._since: dict[tuple[str, str], int] = {}
        self._episodes: Episodes[tuple[str, str]] = Episodes()

    def observe(self, record: StepRecord) -> Sequence[Finding]:
        losses = loss_values(record, self.selection)
        if record.mode == "eval":
            self._passes.add(record, losses)
            return []
        found = self._close_passes()
        for tensor, value in losses.items():
            span = self._spans.get(tensor)
            if span is None:
                span = self._spans[tensor] = _Pass(record.step, record.step)
            span.add(record.step, value)
        due = [tensor for tensor in losses if self._spans[tensor].count >= self.span]
        return found + self._close_spans(due)

    def finish(self) -> Sequence[Finding]:
        return self._close_passes() + self._close_spans(list(self._spans))

    def _close_passes(self) -> list[Finding]:
        return [
            self._finding(done.last_step, "eval", tensor)
            for tensor, done in self._passes.close().items()
            if self._judge("eval", tensor, done.value, done.last_step)
        ]

    def _close_spans(self, tensors: list[str]) -> list[Finding]:
        found = []
        for tensor in tensors:
            done = self._spans.pop(tensor)
            if self._judge("train", tensor, done.value, done.last_step):
                found.append(self._finding(done.last_step, "train", tensor))
        return found

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
            ("training", "patience_train", f"spans of {self.span} saved steps")
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
