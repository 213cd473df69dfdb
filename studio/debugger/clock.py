"""Step times for `every="auto"`, on the clock of the device that trains.

On the CPU a step's wall time and the hook's own time in it are exact: the collection's cost
is the hook's time. On a GPU the host runs ahead of the device, so host times say little: an
event is recorded at each step boundary and, once two consecutive ones have completed
(`query()`, which never waits), their elapsed time is the step's; a saved step's cost is its
time beyond the median plain step.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from studio.debugger.schedule import AutoInterval

__all__ = ["StepClock"]


class StepClock:
    """Feeds one mode's `AutoInterval` with the times of its steps (see the module)."""

    def __init__(self, auto: AutoInterval, device: torch.device) -> None:
        self.auto = auto
        self.cuda = device.type == "cuda"
        self._marks: deque[tuple[torch.cuda.Event, bool]] = deque()

    def restart(self) -> None:
        """The mode was left and re-entered: the time in between is no step's."""
        self._marks.clear()

    def step_ended(self, step: int, wall_seconds: float, hook_seconds: float, saved: bool) -> None:
        if not self.cuda:
            self.auto.observe(step, wall_seconds, hook_seconds, saved)
            return
        if saved:
            self.auto.saved(step)
        event = torch.cuda.Event(enable_timing=True)  # type: ignore[no-untyped-call]
        event.record()
        self._marks.append((event, saved))
        while len(self._marks) > 1 and self._marks[1][0].query():  # type: ignore[no-untyped-call]
            start, _ = self._marks.popleft()
            end, was_saved = self._marks[0]
            seconds = start.elapsed_time(end) / 1000.0
            plain = self.auto.plain_seconds
            if not was_saved:
                self.auto.measure(plain=seconds)
            elif plain is not None:
                self.auto.measure(collection=seconds - plain)
