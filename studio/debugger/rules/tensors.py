"""Rules on any tensor's values: ExplodingTensor, TensorVariance, UnchangedTensor, AllZero.

Each takes SageMaker Debugger's `collection_names` and `tensor_regex` (see `selection`) and
reads the scalar statistics of `StepRecord`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from studio.debugger.record import collection_of, module_of
from studio.debugger.rules.base import Rule
from studio.debugger.rules.selection import Episodes, TensorSelection, figure, frozen, listed

if TYPE_CHECKING:
    import numpy.typing as npt

    from studio.debugger.entities import Finding
    from studio.debugger.record import StepRecord

__all__ = ["AllZero", "ExplodingTensor", "TensorVariance", "UnchangedTensor"]

Names = str | Iterable[str] | None


def _skipped(record: StepRecord) -> bool:
    """Whether AMP's gradient scaler skipped this step's optimizer step."""
    return bool(record.scalars.get("skipped"))


class ExplodingTensor(Rule):
    """Fires when a tensor holds NaN or infinite values (NaN alone with `only_nan`).

    Every saved tensor by default. The finding names the first module, in forward order,
    whose output (activation) turned non-finite: where the explosion started. [Studio
    choice] On a step that AMP's gradient scaler skipped, non-finite gradients are how the
    scaler works, not an explosion: they are not counted.
    """

    def __init__(
        self,
        collection_names: Names = None,
        tensor_regex: Names = None,
        only_nan: bool = False,
        **options: Any,
    ) -> None:
        super().__init__(
            collection_names=collection_names,
            tensor_regex=tensor_regex,
            only_nan=only_nan,
            **options,
        )
        self.selection = TensorSelection(collection_names, tensor_regex)
        self.only_nan = only_nan
        self._episodes: Episodes[str] = Episodes()

    def observe(self, record: StepRecord) -> Sequence[Finding]:
        chosen = self.selection.among(record.tensors)
        if _skipped(record):
            chosen = [tensor for tensor in chosen if collection_of(tensor) != "gradients"]
        nan = {tensor: record.stat(tensor, "nan") for tensor in chosen}
        inf = {tensor: 0.0 if self.only_nan else record.stat(tensor, "inf") for tensor in chosen}
        bad = [tensor for tensor in chosen if nan[tensor] + inf[tensor] > 0]
        new = self._episodes.begin(chosen, bad)
        if not new:
            return []
        activations = [tensor for tensor in bad if collection_of(tensor) == "activations"]
        first = activations[0] if activations else new[0]
        what = "NaN" if self.only_nan else "NaN or infinite"
        counts = f"{nan[first]:.0f} NaN" + ("" if self.only_nan else f", {inf[first]:.0f} inf")
        if activations:
            where = (
                f"The output of module {module_of(first)} ({first}) turned {what} ({counts}): "
                "it is the first module, in forward order, whose output did"
            )
        else:
            where = f"{first} turned {what} ({counts})"
        others = [tensor for tensor in new if tensor != first]
        also = f"; so did {listed(others)}" if others else ""
        tensors = [first, *others]
        values = {
            "first_tensor": first,
            "first_module": module_of(first) if activations else None,
            "nan": {tensor: nan[tensor] for tensor in tensors},
            "inf": {tensor: inf[tensor] for tensor in tensors},
            "only_nan": self.only_nan,
        }
        return [self.finding(record, tensors, f"{where}{also}.", values)]


class TensorVariance(Rule):
    """Fires when a tensor's variance is above `max_threshold` or below `min_threshold` (a
    bound left None is not checked, so by default the rule never fires).

    The variance is the population variance (ddof 0), as smdebug's numpy reductions and
    Studio's `std` statistic define it. [Studio choice] Without `collection_names` or
    `tensor_regex` (SageMaker requires one), every tensor of more than one element.
    """

    def __init__(
        self,
        collection_names: Names = None,
        tensor_regex: Names = None,
        max_threshold: float | None = None,
        min_threshold: float | None = None,
        **options: Any,
    ) -> None:
        super().__init__(
            collection_names=collection_names,
            tensor_regex=tensor_regex,
            max_threshold=max_threshold,
            min_threshold=min_threshold,
            **options,
        )
        self.selection = TensorSelection(collection_names, tensor_regex)
        self.max_threshold = max_threshold
        self.min_threshold = min_threshold
        self._episodes: Episodes[str] = Episodes()

    def observe(self, record: StepRecord) -> Sequence[Finding]:
        if self.max_threshold is None and self.min_threshold is None:
            return []
        chosen = [t for t in self.selection.among(record.tensors) if record.stat(t, "count") > 1]
        variance = {tensor: record.stat(tensor, "std") ** 2 for tensor in chosen}
        high = self.max_threshold
        low = self.min_threshold
        outside = [
            tensor
            for tensor, value in variance.items()
            if (high is not None and value > high) or (low is not None and value < low)
        ]
        new = self._episodes.begin(chosen, outside)
        if not new:
            return []
        parts = [f"{tensor} ({figure(variance[tensor])})" for tensor in new]
        bounds = f"[{_bound(low)}, {_bound(high)}]"
        message = f"The variance of {listed(parts)} is outside the allowed range {bounds}."
        values = {
            "variance": {tensor: variance[tensor] for tensor in new},
            "min_threshold": low,
            "max_threshold": high,
        }
        return [self.finding(record, new, message, values)]


def _bound(value: float | None) -> str:
    return "none" if value is None else figure(value)


class UnchangedTensor(Rule):
    """Fires when a tensor has not changed over its last `num_steps` saved steps
    (`numpy.allclose` with `rtol`, `atol`, `equal_nan`).

    [Studio choice] Studio keeps a tensor's statistics, not its values: the tensor counts
    as unchanged when all ten of its statistics are, a fingerprint that a tensor which does
    change keeps only by a coincidence of every figure. Without `collection_names` or
    `tensor_regex` (SageMaker requires one), the weights and biases: training should change
    every parameter. Parameters frozen on purpose (`requires_grad=False`: saved without a
    gradient) and steps that AMP's scaler skipped change nothing by design, and are left
    out.
    """

    def __init__(
        self,
        collection_names: Names = None,
        tensor_regex: Names = None,
        num_steps: int = 3,
        rtol: float = 1e-05,
        atol: float = 1e-08,
        equal_nan: bool = False,
        **options: Any,
    ) -> None:
        super().__init__(
            collection_names=collection_names,
            tensor_regex=tensor_regex,
            num_steps=num_steps,
            rtol=rtol,
            atol=atol,
            equal_nan=equal_nan,
            **options,
        )
        if num_steps < 2:
            raise ValueError(f"num_steps compares steps: at least 2, not {num_steps}.")
        self.selection = TensorSelection(collection_names, tensor_regex, ("weights", "biases"))
        self.num_steps = num_steps
        self.rtol = rtol
        self.atol = atol
        self.equal_nan = equal_nan
        self._history: dict[tuple[str, str], deque[tuple[int, npt.NDArray[np.float64]]]] = {}
        self._episodes: Episodes[tuple[str, str]] = Episodes()

    def observe(self, record: StepRecord) -> Sequence[Finding]:
        if _skipped(record):
            return []
        checked: list[tuple[str, str]] = []
        windows: list[npt.NDArray[np.float64]] = []
        unjudged = frozen(record)
        for row, tensor in enumerate(record.tensors):
            if not self.selection(tensor) or tensor in unjudged:
                continue
            key = (record.mode, tensor)
            history = self._history.setdefault(key, deque(maxlen=self.num_steps))
            if history and history[-1][0] == record.step:
                history.pop()  # the same step saved again: its latest values
            history.append((record.step, record.stats[row].copy()))
            if len(history) == self.num_steps:
                checked.append(key)
                windows.append(np.stack([values for _, values in history]))
        unchanged: list[tuple[str, str]] = []
        if windows:
            # tensors x steps x statistics, each step against the latest, in one call.
            stacked = np.stack(windows)
            close = np.isclose(stacked, stacked[:, -1:], self.rtol, self.atol, self.equal_nan)
            same = np.asarray(close.all(axis=(1, 2)))
            unchanged = [key for key, kept in zip(checked, same.tolist(), strict=True) if kept]
        new = [tensor for _, tensor in self._episodes.begin(checked, unchanged)]
        if not new:
            return []
        since = self._history[(record.mode, new[0])][0][0]
        message = (
            f"{listed(new)} did not change over the last {self.num_steps} saved steps "
            f"(steps {since} to {record.step}, within rtol {figure(self.rtol)}, "
            f"atol {figure(self.atol)})."
        )
        values = {"num_steps": self.num_steps, "since_step": since, "rtol": self.rtol}
        return [self.finding(record, new, message, values | {"atol": self.atol})]


class AllZero(Rule):
    """Fires when at least `threshold` percent of a tensor's values are zero (100: all).

    [Studio choice] Without `collection_names` or `tensor_regex` (SageMaker requires one),
    the weights, gradients and activations: biases start at zero in many models by design,
    and labels and predictions are class indices, where 0 is a class.
    """

    def __init__(
        self,
        collection_names: Names = None,
        tensor_regex: Names = None,
        threshold: float = 100.0,
        **options: Any,
    ) -> None:
        super().__init__(
            collection_names=collection_names,
            tensor_regex=tensor_regex,
            threshold=threshold,
            **options,
        )
        defaults = ("weights", "gradients", "activations")
        self.selection = TensorSelection(collection_names, tensor_regex, defaults)
        self.threshold = threshold
        self._episodes: Episodes[str] = Episodes()

    def observe(self, record: StepRecord) -> Sequence[Finding]:
        chosen = [t for t in self.selection.among(record.tensors) if record.stat(t, "count") > 0]
        percent = {tensor: 100.0 * record.stat(tensor, "zeros") for tensor in chosen}
        # 1e-9: a fraction of zeros of exactly 1 may come back as 0.9999999999.
        zero = [tensor for tensor in chosen if percent[tensor] >= self.threshold - 1e-9]
        new = self._episodes.begin(chosen, zero)
        if not new:
            return []
        parts = [f"{tensor} ({figure(percent[tensor])}%)" for tensor in new]
        message = (
            f"{listed(parts)} {'is' if len(new) == 1 else 'are'} zero in at least "
            f"{figure(self.threshold)}% of the values."
        )
        values = {"percent_zero": {t: percent[t] for t in new}, "threshold": self.threshold}
        return [self.finding(record, new, message, values)]
