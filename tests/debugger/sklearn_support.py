"""What the scikit-learn `watch` tests share: an in-memory sink, a rule that fires at a step,
the brute-force helpers."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler

from studio.debugger import Finding, Rule, watch
from studio.debugger.stats import numpy_stats

if TYPE_CHECKING:
    from studio.debugger.record import StepRecord
    from studio.debugger.sklearn_watch import WatchResult

FloatArray = npt.NDArray[np.float64]
Split = tuple[FloatArray, npt.NDArray[np.int64], FloatArray, npt.NDArray[np.int64]]


class MemorySink:
    """The session's sink, in memory: what a run's store would receive."""

    def __init__(self) -> None:
        self.records: list[StepRecord] = []
        self.findings: list[Finding] = []
        self.states: list[Any] = []
        self.closed = False

    def write(
        self, record: StepRecord | None, findings: Sequence[Finding], states: Sequence[Any]
    ) -> None:
        if record is not None:
            self.records.append(record)
        self.findings += findings
        self.states = list(states)

    def flush(self, timeout: float | None = None) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def mode(self, mode: str) -> list[StepRecord]:
        return [record for record in self.records if record.mode == mode]


class StopAtStep(Rule):
    """Fires once the step reaches `step`."""

    def __init__(self, step: int, **options: Any) -> None:
        super().__init__(step=step, **options)
        self.step = step

    def observe(self, record: StepRecord) -> list[Finding]:
        if record.mode == "train" and record.step >= self.step:
            return [self.finding(record, ("losses/loss",), f"step {record.step}")]
        return []


def scaled(X: FloatArray) -> FloatArray:
    return StandardScaler().fit_transform(X)


def assert_stats(record: StepRecord, tensor: str, array: npt.ArrayLike) -> None:
    np.testing.assert_allclose(
        record.stats[record.tensors.index(tensor)], numpy_stats([array])[0], rtol=1e-9, atol=1e-12
    )


def replay(estimator: Any, X: FloatArray, y: Any, epochs: int, classes: Any = None) -> list[Any]:
    """Copies of `estimator` after each of `epochs` plain partial_fit epochs."""
    model = clone(estimator)
    states = []
    for epoch in range(epochs):
        if epoch == 0 and classes is not None:
            model.partial_fit(X, y, classes=classes)
        else:
            model.partial_fit(X, y)
        states.append(copy.deepcopy(model))
    return states


def iris_split() -> Split:
    """Iris, scaled: 110 rows to train on, 40 to validate with."""
    X, y = load_iris(return_X_y=True)
    X = scaled(X)
    order = np.random.default_rng(0).permutation(len(X))
    train, valid = order[:110], order[110:]
    return X[train], y[train], X[valid], y[valid]


def recorded(estimator: Any, X: Any, y: Any, **options: Any) -> tuple[WatchResult, MemorySink]:
    """`watch` of `estimator` (itself: clone it to keep it) with no rule, every tensor at
    every epoch, into a `MemorySink`; `options` go to `watch`."""
    sink = MemorySink()
    options = {"rules": None, "every": 1, "display": False, **options}
    return watch(estimator, X, y, sink=sink, **options), sink
