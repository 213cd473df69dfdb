"""The flight recorder: the last K saved steps' full tensor values, kept in a bounded ring
buffer, and written as run artifacts only when a rule with the "record" action fires.

Off the training path as far as it goes: a device tensor is copied into a pinned host buffer
with `non_blocking=True` (the buffers of a slot are reused when the ring comes round, since
allocating pinned memory costs more than the copy); a CPU tensor must be cloned, since the
next step changes it in place. Nothing is read or written until a recording is dumped: one
npz file per step, "debugger/flight/<mode>-step-<step>.npz", keyed by saved tensor name.
"""

from __future__ import annotations

import tempfile
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

if TYPE_CHECKING:
    from studio.debugger.entities import Finding

__all__ = ["ARTIFACT_FOLDER", "FlightRecorder"]

ARTIFACT_FOLDER = "debugger/flight"


@dataclass
class _Slot:
    mode: str
    step: int
    tensors: dict[str, torch.Tensor] = field(default_factory=dict)
    spare: dict[str, torch.Tensor] = field(default_factory=dict)
    event: Any = None


class FlightRecorder:
    """Keeps the last `steps` saved steps (see the module); `dump` writes them."""

    def __init__(self, steps: int, run: Any = None) -> None:
        if steps < 1:
            raise ValueError(f"A flight recorder keeps at least one step, not {steps}.")
        self.steps = steps
        self.run = run
        self._slots: deque[_Slot] = deque(maxlen=steps)

    def keep(
        self, mode: str, step: int, names: Sequence[str], tensors: Sequence[torch.Tensor]
    ) -> None:
        """Copy `tensors` into the slot of (mode, step), the oldest slot's buffers reused."""
        slot = self._slot(mode, step)
        for name, tensor in zip(names, tensors, strict=True):
            slot.tensors[name] = _copy(tensor, slot.spare.pop(name, None))
        if any(t.is_cuda for t in tensors):
            slot.event = torch.cuda.Event()  # type: ignore[no-untyped-call]
            slot.event.record()

    def _slot(self, mode: str, step: int) -> _Slot:
        if self._slots and (self._slots[-1].mode, self._slots[-1].step) == (mode, step):
            return self._slots[-1]
        slot = _Slot(mode, step)
        if len(self._slots) == self.steps:
            oldest = self._slots.popleft()
            # Its copies, K saved steps old, have long finished; if not, fresh buffers rather
            # than a wait (the pinned allocator keeps the old ones until their copies end).
            if oldest.event is None or oldest.event.query():
                slot.spare = oldest.tensors
        self._slots.append(slot)
        return slot

    def dump(self, findings: Sequence[Finding]) -> list[str]:
        """Write the steps kept: as artifacts of the run (answering their artifact paths), or
        without a run into a new temporary folder (answering the files' paths). The findings
        that asked for it are in the run's findings already."""
        if self.run is None:
            return [
                str(path) for path in self._write(Path(tempfile.mkdtemp(prefix="studio-flight-")))
            ]
        with tempfile.TemporaryDirectory(prefix="studio-flight-") as folder:
            return [
                self.run.log_artifact(path, f"{ARTIFACT_FOLDER}/{path.name}")
                for path in self._write(Path(folder))
            ]

    def _write(self, folder: Path) -> list[Path]:
        paths = []
        for slot in list(self._slots):
            if slot.event is not None:
                slot.event.synchronize()  # a rule fired: this is the one place that may wait
            path = folder / f"{slot.mode}-step-{slot.step}.npz"
            np.savez(path, **{name: _numpy(t) for name, t in slot.tensors.items()})  # type: ignore[arg-type]
            paths.append(path)
        return paths


def _copy(tensor: torch.Tensor, spare: torch.Tensor | None) -> torch.Tensor:
    source = tensor.detach()
    if not source.is_cuda:
        return source.clone()
    if spare is None or spare.shape != source.shape or spare.dtype != source.dtype:
        spare = torch.empty(source.shape, dtype=source.dtype, pin_memory=True)
    return spare.copy_(source, non_blocking=True)


def _numpy(tensor: torch.Tensor) -> np.ndarray[Any, Any]:
    if tensor.dtype in (torch.bfloat16, torch.float16):
        tensor = tensor.float()
    return tensor.numpy()
