"""What the built-in rules share: which tensors a rule looks at, when a condition is new, and
how a figure reads in a message.

SageMaker Debugger selects a rule's tensors with `collection_names` and `tensor_regex`, each a
list or a comma-separated string, and takes their union. Studio's tensor names are
"<collection>/<name>" (`studio.debugger.record`), and a regex is searched anywhere in that
name ([Studio choice]: SageMaker matched its own names, e.g. ".*relu_output", from the start).

[Studio choice] A condition that holds step after step (a gradient that stays vanished, a loss
that stays NaN) is one finding, at the step where it began, not one per saved step: a long
run would otherwise bury the first, informative finding under thousands of copies.
SageMaker records every firing step; here a condition that clears and comes back is a new
finding. `Episodes` keeps that bookkeeping.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Iterable, Sequence
from typing import TYPE_CHECKING, Generic, TypeVar

from studio.debugger.record import collection_of

if TYPE_CHECKING:
    from studio.debugger.record import StepRecord

__all__ = ["Episodes", "TensorSelection", "figure", "frozen", "listed", "name_list"]

Key = TypeVar("Key", bound=Hashable)


def name_list(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """A parameter given as a list or as a comma-separated string, as a tuple of names."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return tuple(value)


_PARAMETERS = ("weights", "biases", "updates")


def frozen(record: StepRecord) -> frozenset[str]:
    """The saved tensors of parameters frozen on purpose (`requires_grad=False`): weights,
    biases and updates without a gradient at a step that saved gradients. A parameter merely
    left out of the optimizer has a gradient, and is not among them."""
    gradients = {tensor.partition("/")[2] for tensor in record.in_collection("gradients")}
    if not gradients:
        return frozenset()
    return frozenset(
        tensor
        for tensor in record.tensors
        if collection_of(tensor) in _PARAMETERS and tensor.partition("/")[2] not in gradients
    )


class TensorSelection:
    """The tensors of `collection_names` plus those whose name `tensor_regex` finds; with
    neither, `default` collections (empty: every tensor). Answers are cached by name."""

    def __init__(
        self,
        collection_names: str | Iterable[str] | None = None,
        tensor_regex: str | Iterable[str] | None = None,
        default: Sequence[str] = (),
    ) -> None:
        self.collections = frozenset(name_list(collection_names))
        self.patterns = [re.compile(pattern) for pattern in name_list(tensor_regex)]
        if not self.collections and not self.patterns:
            self.collections = frozenset(default)
            self.everything = not default
        else:
            self.everything = False
        self._cache: dict[str, bool] = {}

    def __call__(self, tensor: str) -> bool:
        chosen = self._cache.get(tensor)
        if chosen is None:
            chosen = self.everything or collection_of(tensor) in self.collections
            chosen = chosen or any(pattern.search(tensor) for pattern in self.patterns)
            self._cache[tensor] = chosen
        return chosen

    def among(self, tensors: Iterable[str]) -> list[str]:
        """The chosen ones of `tensors`, in order."""
        return [tensor for tensor in tensors if self(tensor)]


class Episodes(Generic[Key]):
    """Which conditions hold, so that a rule reports one when it begins (see the module)."""

    def __init__(self) -> None:
        self.holding: set[Key] = set()

    def begin(self, checked: Iterable[Key], holding: Iterable[Key]) -> list[Key]:
        """Of the conditions `checked` now, those `holding` that did not hold before, in the
        order given. A condition not checked now (its tensor was not saved at this step)
        keeps its state."""
        now = list(dict.fromkeys(holding))
        new = [key for key in now if key not in self.holding]
        self.holding.difference_update(checked)
        self.holding.update(now)
        return new

    def clear(self) -> None:
        self.holding.clear()


def figure(value: float) -> str:
    """A figure as a message shows it: 3 significant digits."""
    if math.isnan(value):
        return "NaN"
    return f"{value:.3g}"


def listed(items: Sequence[str], most: int = 3) -> str:
    """`items` in a sentence: "a", "a and b", "a, b and 2 more"."""
    if len(items) <= 1:
        return "".join(items)
    if len(items) <= most:
        return f"{', '.join(items[:-1])} and {items[-1]}"
    return f"{', '.join(items[:most])} and {len(items) - most} more"
