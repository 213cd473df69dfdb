"""When a hook saves: the interval of each collection in each mode.

`every` is one of

- "auto": an interval chosen from the measured cost of one collection against the plain step
  time, so that the statistics cost under 3% of the training (`AutoInterval`); except the
  losses of the eval and predict modes, saved at every step: a scalar costs little, these
  steps are few beside the training's, and Overfit and Overtraining compare each evaluation;
- an int N: every N steps, from step 0;
- a sequence of steps: exactly those;
- a mapping per mode and/or per collection whose values are any of the above, e.g.
  {"train": "auto", "eval": 1}, {"gradients": 10, "activations": 50}, or both nested:
  {"train": {"gradients": 10}}. What a mapping leaves out is "auto".

Steps are counted per mode, from 0. Standard library only.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from collections.abc import Mapping, Sequence

from studio.debugger.entities import MODES
from studio.debugger.record import COLLECTIONS

__all__ = ["AutoInterval", "Every", "Schedule", "Steps"]

Spec = str | int | Sequence[int] | Mapping[str, object]

OVERHEAD = 0.03
"""The share of the training time "auto" allows the statistics."""

TARGET = 0.02
"""The share "auto" aims at, below `OVERHEAD`: the hook times its own work, but not what that
work costs the steps around it (the caches it evicts; the sink's and watchdog's threads),
measured at about one point more on the CPU benchmark's MLP."""

LONGEST = 100
"""The most steps "auto" lets pass between two saved steps."""

EVERY_STEP = frozenset((("eval", "losses"), ("predict", "losses")))
"""What "auto" saves at every step (see the module)."""

FIRST = 10
"""The interval "auto" uses before it has measured a collection past the first (warm-up)."""


class Every:
    """Every `n` steps, from step 0."""

    def __init__(self, n: int) -> None:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"every must be a positive number of steps, not {n!r}")
        self.n = n

    def due(self, step: int) -> bool:
        return step % self.n == 0


class Steps:
    """Exactly the steps given."""

    def __init__(self, steps: Sequence[int]) -> None:
        bad = [s for s in steps if isinstance(s, bool) or not isinstance(s, int) or s < 0]
        if bad:
            raise ValueError(f"explicit steps are integers >= 0, not {bad}")
        self.steps = frozenset(steps)

    def due(self, step: int) -> bool:
        return step in self.steps


class AutoInterval:
    """Saves step 0, then every `interval` steps, where `interval` keeps the measured cost of a
    collection under `OVERHEAD` of the plain step time (1 to `LONGEST` steps), aiming at
    `TARGET`.

    The hook measures (`measure`) plain steps and collections; the interval is re-estimated
    from the recent medians, the first collection (workspaces allocated, caches cold) left out
    once there are others. `saved(step)` schedules the next saved step.
    """

    def __init__(self) -> None:
        self.interval = FIRST
        self._next = 0
        self._plain: deque[float] = deque(maxlen=32)
        self._collections: deque[float] = deque(maxlen=8)
        self._first: float | None = None

    def due(self, step: int) -> bool:
        return step >= self._next

    def saved(self, step: int) -> None:
        """`step` saved: the next saved step is an interval later."""
        self._next = step + self.interval

    @property
    def plain_seconds(self) -> float | None:
        """The median time of a step without the statistics (None before any)."""
        return statistics.median(self._plain) if self._plain else None

    def measure(self, plain: float | None = None, collection: float | None = None) -> None:
        """One more step's time without the statistics, and/or one collection's cost."""
        if plain is not None:
            self._plain.append(max(plain, 0.0))
        if collection is not None:
            if self._first is None:
                self._first = collection
            else:
                self._collections.append(max(collection, 0.0))
        if collection is None:
            return
        base = self.plain_seconds
        if self._collections and base is not None and len(self._plain) > 1:
            cost = statistics.median(self._collections)
            wanted = math.ceil(cost / (TARGET * base) - 1e-9) if base > 0 else LONGEST
            self.interval = min(max(wanted, 1), LONGEST)

    def observe(self, step: int, wall_seconds: float, hook_seconds: float, saved: bool) -> None:
        """One finished step timed on the host: its wall time, the hook's share of it, whether
        it saved (on the CPU the hook's time is the collection's cost)."""
        self.measure(wall_seconds - hook_seconds, hook_seconds if saved else None)
        if saved:
            self.saved(step)


Interval = Every | Steps | AutoInterval


class Schedule:
    """Which collections are due at a step of a mode (see the module for `every`)."""

    def __init__(self, every: Spec = "auto") -> None:
        self.autos: dict[str, AutoInterval] = {mode: AutoInterval() for mode in MODES}
        self._intervals: dict[tuple[str, str], Interval] = {}
        top = every if isinstance(every, Mapping) else None
        if top is not None:
            _check_keys(top, MODES + COLLECTIONS)
        for mode in MODES:
            for collection in COLLECTIONS:
                spec = every if top is None else _resolve(top, mode, collection)
                self._intervals[mode, collection] = self._interval(mode, collection, spec)

    def _interval(self, mode: str, collection: str, spec: object) -> Interval:
        if spec == "auto":
            return Every(1) if (mode, collection) in EVERY_STEP else self.autos[mode]
        if isinstance(spec, int):
            return Every(spec)
        if isinstance(spec, Sequence) and not isinstance(spec, str):
            return Steps(list(spec))
        raise ValueError(
            f'every is "auto", a number of steps, a list of steps or a mapping, not {spec!r}'
        )

    def due(self, mode: str, step: int, collections: frozenset[str]) -> frozenset[str]:
        """The collections among `collections` saved at `step` of `mode`."""
        return frozenset(c for c in collections if self._intervals[mode, c].due(step))

    def interval(self, mode: str, collection: str) -> Interval:
        return self._intervals[mode, collection]


def _resolve(every: Mapping[str, object], mode: str, collection: str) -> object:
    """A mapping's spec for one collection of one mode: the mode's entry (a nested mapping by
    collection, or one spec for the whole mode), else the collection's, else "auto"."""
    per_mode = every.get(mode)
    if isinstance(per_mode, Mapping):
        _check_keys(per_mode, COLLECTIONS)
        return per_mode.get(collection, every.get(collection, "auto"))
    if per_mode is not None:
        return per_mode
    return every.get(collection, "auto")


def _check_keys(mapping: Mapping[str, object], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(mapping) - set(allowed))
    if unknown:
        raise ValueError(
            f"every: unknown keys {unknown}; use modes {MODES} or collections {COLLECTIONS}"
        )
