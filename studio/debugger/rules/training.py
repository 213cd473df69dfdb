"""Rules on the training as a whole: ClassImbalance (the labels and predictions) and
StalledTraining (steps that stop arriving)."""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from studio.debugger.entities import Finding
from studio.debugger.rules.base import Rule
from studio.debugger.rules.selection import Episodes, figure

if TYPE_CHECKING:
    import numpy.typing as npt

    from studio.debugger.record import StepRecord

__all__ = ["ClassImbalance", "StalledTraining"]

_Counts = tuple["npt.NDArray[np.float64]", "npt.NDArray[np.float64] | None"]
"""One saved step's labels per class, and its correct predictions per class (if any)."""


def _padded(vector: npt.ArrayLike, size: int) -> npt.NDArray[np.float64]:
    values = np.asarray(vector, dtype=np.float64).ravel()
    return np.pad(values, (0, max(0, size - values.size)))


class ClassImbalance(Rule):
    """Fires, once at least `samples` labels have been seen, when the largest class has more
    than `threshold_imbalance` times the samples of the smallest, or when a class's samples
    are mispredicted more than `threshold_misprediction` of the time.

    The hooks count each batch's labels per class ("count" of the labels tensor) and the
    correct predictions per class ("correct" of the predictions tensor, a prediction being
    the argmax of the scores where they have a class axis, which is what `argmax` asked
    SageMaker to do). [Studio choice] The counts are those of the most recent saved steps
    that hold at least `samples` labels, so that a misprediction rate describes the model as
    it is, not as it was at the first step; a class counts as mispredicted only while the
    model as a whole mispredicts less than `threshold_misprediction` (before it has learnt
    anything every class is mispredicted, which says nothing of one class); each mode is
    counted on its own; a class never seen among them (a class id the labels do not use) is
    not a class of the smallest size.
    """

    collections = ("labels", "predictions")

    def __init__(
        self,
        threshold_imbalance: float = 10.0,
        threshold_misprediction: float = 0.7,
        samples: int = 500,
        argmax: bool = False,
        labels_regex: str = ".*labels",
        predictions_regex: str = ".*predictions",
        **options: Any,
    ) -> None:
        super().__init__(
            threshold_imbalance=threshold_imbalance,
            threshold_misprediction=threshold_misprediction,
            samples=samples,
            argmax=argmax,
            labels_regex=labels_regex,
            predictions_regex=predictions_regex,
            **options,
        )
        self.threshold_imbalance = threshold_imbalance
        self.threshold_misprediction = threshold_misprediction
        self.samples = samples
        self.labels_pattern = re.compile(labels_regex)
        self.predictions_pattern = re.compile(predictions_regex)
        self._windows: dict[str, _Window] = {}
        self._episodes: Episodes[tuple[str, str, int]] = Episodes()

    def observe(self, record: StepRecord) -> Sequence[Finding]:
        labels = self._vector(record, self.labels_pattern, "count")
        if labels is None or not labels.sum():
            return []
        correct = self._vector(record, self.predictions_pattern, "correct")
        window = self._windows.setdefault(record.mode, _Window())
        window.add(labels, correct)
        while len(window.steps) > 1 and window.total - window.steps[0][0].sum() >= self.samples:
            window.drop_oldest()
        if window.total < self.samples:
            return []
        counts, judged, right = window.counts, window.judged, window.right
        seen = np.flatnonzero(counts)
        checked: list[tuple[str, str, int]] = [(record.mode, "imbalance", -1)]
        failing: list[tuple[str, str, int]] = []
        largest, smallest = int(seen[np.argmax(counts[seen])]), int(seen[np.argmin(counts[seen])])
        ratio = counts[largest] / counts[smallest]
        if ratio > self.threshold_imbalance:
            failing.append((record.mode, "imbalance", -1))
        mispredicted = np.zeros(counts.size)
        if judged.sum():
            overall = 1.0 - right.sum() / judged.sum()
            for label in np.flatnonzero(judged).tolist():
                mispredicted[label] = 1.0 - right[label] / judged[label]
                checked.append((record.mode, "misprediction", int(label)))
                if overall <= self.threshold_misprediction < mispredicted[label]:
                    failing.append((record.mode, "misprediction", int(label)))
        findings = []
        total = int(counts.sum())
        for _, what, which in self._episodes.begin(checked, failing):
            if what == "imbalance":
                message = (
                    f"Class {largest} has {figure(ratio)} times the samples of class "
                    f"{smallest} ({counts[largest]:.0f} against {counts[smallest]:.0f} of the "
                    f"last {total} labels), more than threshold_imbalance "
                    f"{figure(self.threshold_imbalance)}: the classes are imbalanced."
                )
                values = {
                    "ratio": ratio,
                    "largest_class": largest,
                    "smallest_class": smallest,
                    "counts": counts.tolist(),
                    "threshold_imbalance": self.threshold_imbalance,
                }
                findings.append(self.finding(record, ("labels",), message, values))
            else:
                message = (
                    f"Class {which} is mispredicted {figure(100 * mispredicted[which])}% of the "
                    f"time over the last {total} labels, more than threshold_misprediction "
                    f"{figure(self.threshold_misprediction)}."
                )
                values = {
                    "class": which,
                    "misprediction": float(mispredicted[which]),
                    "count": float(counts[which]),
                    "threshold_misprediction": self.threshold_misprediction,
                }
                findings.append(self.finding(record, ("labels", "predictions"), message, values))
        return findings

    @staticmethod
    def _vector(
        record: StepRecord, pattern: re.Pattern[str], name: str
    ) -> npt.NDArray[np.float64] | None:
        for tensor, vectors in record.vectors.items():
            if name in vectors and pattern.search(tensor):
                return np.asarray(vectors[name], dtype=np.float64).ravel()
        return None


class _Window:
    """The per-class counts of the most recent saved steps, and their running sums."""

    def __init__(self) -> None:
        self.steps: deque[_Counts] = deque()
        self.counts = np.zeros(0)  # labels per class
        self.judged = np.zeros(0)  # labels per class of the steps with predictions
        self.right = np.zeros(0)  # correct predictions per class

    @property
    def total(self) -> float:
        return float(self.counts.sum())

    def add(self, labels: npt.NDArray[np.float64], correct: npt.NDArray[np.float64] | None) -> None:
        self.steps.append((labels, correct))
        self._sum(labels, correct, 1.0)

    def drop_oldest(self) -> None:
        labels, correct = self.steps.popleft()
        self._sum(labels, correct, -1.0)

    def _sum(
        self, labels: npt.NDArray[np.float64], correct: npt.NDArray[np.float64] | None, sign: float
    ) -> None:
        size = max(self.counts.size, labels.size, 0 if correct is None else correct.size)
        self.counts, self.judged, self.right = (
            _padded(values, size) for values in (self.counts, self.judged, self.right)
        )
        self.counts[: labels.size] += sign * labels
        if correct is not None:
            self.judged[: labels.size] += sign * labels
            self.right[: correct.size] += sign * correct


class StalledTraining(Rule):
    """Fires when no step has arrived for `threshold` seconds: the training is stuck.

    It runs on the session's watchdog thread (`watchdog`), which asks it every `poll_seconds`
    while the session is open; on a stored run (`studio.debugger.evaluate`) it reads the gap
    between consecutive records' timestamps instead. `stop_training_on_fire` adds the "stop"
    action: the hook raises `StopTraining` if the training ever comes back. SageMaker's
    `training_job_name_prefix` names the job to stop; a Studio session knows its training.
    """

    watchdog = True

    def __init__(
        self, threshold: float = 1800, stop_training_on_fire: bool = False, **options: Any
    ) -> None:
        actions = options.pop("actions", ())
        actions = (actions,) if isinstance(actions, str) else tuple(actions)
        if stop_training_on_fire and "stop" not in actions:
            actions += ("stop",)
        super().__init__(
            threshold=threshold,
            stop_training_on_fire=stop_training_on_fire,
            actions=actions,
            **options,
        )
        if threshold <= 0:
            raise ValueError(f"threshold is a number of seconds above 0, not {threshold}.")
        self.threshold = threshold
        self._last: tuple[int, str, int] | None = None  # step, mode, timestamp in ms
        self._fired = False
        self._fired_at: float | None = None  # when the watchdog last fired, ms since the epoch

    @property
    def poll_seconds(self) -> float:
        """How often the watchdog asks: often enough to fire within a quarter of the
        threshold, at most every 5 seconds."""
        return min(5.0, self.threshold / 4)

    def observe(self, record: StepRecord) -> Sequence[Finding]:
        found: list[Finding] = []
        if self._last is not None:
            step, mode, timestamp = self._last
            seconds = (record.timestamp - timestamp) / 1000
            # A gap the watchdog already reported (records arrive a saved step late).
            reported = self._fired_at is not None and self._fired_at >= timestamp
            if seconds > self.threshold and not reported:
                found.append(self._stalled(seconds, step, mode))
        self._last = (record.step, record.mode, record.timestamp)
        self._fired = False
        return found

    def idle(self, seconds: float, last_step: int | None) -> Sequence[Finding]:
        if self._fired or seconds <= self.threshold:
            return []
        self._fired = True
        self._fired_at = time.time() * 1000
        mode = self._last[1] if self._last is not None else "train"
        return [self._stalled(seconds, last_step, mode)]

    def _stalled(self, seconds: float, last_step: int | None, mode: str) -> Finding:
        since = "the session began" if last_step is None else f"step {last_step}"
        message = (
            f"No training step has arrived for {figure(seconds)} s since {since}, more than "
            f"threshold {figure(self.threshold)} s: the training has stalled."
        )
        return Finding(
            rule=self.name,
            step=0 if last_step is None else last_step,
            message=message,
            mode=mode,
            values={"seconds": seconds, "threshold": self.threshold, "last_step": last_step},
        )
