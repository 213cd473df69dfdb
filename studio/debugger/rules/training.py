"""Rules on the training as a whole: ClassImbalance (the labels and predictions) and
StalledTraining (steps that stop arriving)."""

from __future__ import annotations

import math
import re
import time
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
    SageMaker to do). [Studio choice] The labels are judged in windows: consecutive saved
    steps that together hold at least `samples` labels, each window on its own, so that a
    misprediction rate describes the model as it is, not as it was at the first step; each
    mode is counted on its own; a class never seen in a window (a class id the labels do not
    use) is not a class of the smallest size. [Studio choice] Early in a training every
    class is mispredicted, and some are learnt later than others: a class counts as
    mispredicted only once the model is past that warm-up, that is while the model as a
    whole mispredicts less than `threshold_misprediction` and no less than in the window
    before (it has stopped improving), and the class is not being learnt: mispredicted no
    less often in this window than in all the earlier windows together; and all this in two
    consecutive windows, since one window's rates carry the noise of a few hundred labels.
    The first two windows never fire on mispredictions.
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
        self._earlier: dict[str, _Window] = {}  # the windows before, summed
        self._overall: dict[str, float] = {}  # the previous window's overall misprediction
        self._stuck: set[tuple[str, int]] = set()  # (mode, class) stuck in the last window
        self._episodes: Episodes[tuple[str, str, int]] = Episodes()

    def observe(self, record: StepRecord) -> Sequence[Finding]:
        labels = self._vector(record, self.labels_pattern, "count")
        if labels is None or not labels.sum():
            return []
        correct = self._vector(record, self.predictions_pattern, "correct")
        window = self._windows.setdefault(record.mode, _Window())
        window.add(labels, correct)
        if window.total < self.samples:
            return []
        earlier = self._earlier.setdefault(record.mode, _Window())
        self._windows[record.mode] = _Window()
        counts, judged, right = window.counts, window.judged, window.right
        seen = np.flatnonzero(counts)
        checked: list[tuple[str, str, int]] = [(record.mode, "imbalance", -1)]
        failing: list[tuple[str, str, int]] = []
        largest, smallest = int(seen[np.argmax(counts[seen])]), int(seen[np.argmin(counts[seen])])
        ratio = counts[largest] / counts[smallest]
        if ratio > self.threshold_imbalance:
            failing.append((record.mode, "imbalance", -1))
        mispredicted = window.mispredicted()
        before = earlier.mispredicted()
        if judged.sum():
            overall = 1.0 - right.sum() / judged.sum()
            improving = not self._overall.get(record.mode, math.inf) <= overall
            now_stuck: set[tuple[str, int]] = set()
            self._overall[record.mode] = overall
            for label in np.flatnonzero(judged).tolist():
                checked.append((record.mode, "misprediction", int(label)))
                stuck = label < before.size and before[label] <= mispredicted[label]
                past_warm_up = not improving and overall <= self.threshold_misprediction
                if past_warm_up and stuck and mispredicted[label] > self.threshold_misprediction:
                    if (record.mode, label) in self._stuck:
                        failing.append((record.mode, "misprediction", int(label)))
                    now_stuck.add((record.mode, label))
            self._stuck = {key for key in self._stuck if key[0] != record.mode} | now_stuck
        earlier.merge(window)
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
                    f"time over the last {total} labels (before them "
                    f"{figure(100 * before[which])}%: it is not being learnt), more than "
                    f"threshold_misprediction {figure(self.threshold_misprediction)}."
                )
                values = {
                    "class": which,
                    "misprediction": float(mispredicted[which]),
                    "earlier_misprediction": float(before[which]),
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
    """Per-class counts of saved steps: labels, labels of the steps with predictions, and
    correct predictions."""

    def __init__(self) -> None:
        self.counts = np.zeros(0)
        self.judged = np.zeros(0)
        self.right = np.zeros(0)

    @property
    def total(self) -> float:
        return float(self.counts.sum())

    def add(self, labels: npt.NDArray[np.float64], correct: npt.NDArray[np.float64] | None) -> None:
        self._sum(labels, labels if correct is not None else None, correct)

    def merge(self, other: _Window) -> None:
        self._sum(other.counts, other.judged, other.right)

    def mispredicted(self) -> npt.NDArray[np.float64]:
        """The fraction of each class's labels mispredicted (NaN where none was judged)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return 1.0 - self.right / self.judged

    def _sum(
        self,
        labels: npt.NDArray[np.float64],
        judged: npt.NDArray[np.float64] | None,
        right: npt.NDArray[np.float64] | None,
    ) -> None:
        size = max(self.counts.size, labels.size, 0 if right is None else right.size)
        self.counts, self.judged, self.right = (
            _padded(values, size) for values in (self.counts, self.judged, self.right)
        )
        self.counts[: labels.size] += labels
        if judged is not None and right is not None:
            self.judged[: judged.size] += judged
            self.right[: right.size] += right


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
