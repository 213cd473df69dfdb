"""One saved step on its way from the device to a `StepRecord`, without a host synchronisation.

While a step runs, `StepCapture` gathers the device results of its reductions as the hook
launches them: raw statistics (`TensorStats.raw` rows), histogram counts and vector summaries.
At the step's end `launch()` flattens them into one float64 buffer and copies it, in one
transfer, into pinned host memory with `non_blocking=True`, then records a CUDA event:
`PendingRecord`. An interval later `record()` waits on that event (long passed by then) and
reads the host copy into a `StepRecord`. On the CPU the buffer is the host copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch

from studio.debugger.record import StepRecord
from studio.debugger.stats import RAW, Bins, finish_stats

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["PendingRecord", "StepCapture"]


class StepCapture:
    """The device figures of one step of one mode, gathered as they are launched."""

    def __init__(self, mode: str, step: int, bins: Bins | None) -> None:
        self.mode = mode
        self.step = step
        self.bins = bins
        self.names: list[str] = []
        self._known: set[str] = set()
        self.scalars: dict[str, float] = {}
        self._raws: list[torch.Tensor] = []
        self._hists: list[tuple[Sequence[str], torch.Tensor]] = []
        self._vectors: list[tuple[str, str, torch.Tensor]] = []

    def __contains__(self, name: str) -> bool:
        return name in self._known

    def __bool__(self) -> bool:
        return bool(self.names or self.scalars)

    def add(self, names: Sequence[str], raw: torch.Tensor, hist: torch.Tensor | None) -> None:
        """The (len(names), RAW) raw statistics of `names`, and their histograms if any."""
        self.names += names
        self._known.update(names)
        self._raws.append(raw)
        if hist is not None:
            self._hists.append((names, hist))

    def add_vector(self, tensor: str, name: str, values: torch.Tensor) -> None:
        """A vector summary of `tensor` (e.g. "active" per unit of an activation)."""
        self._vectors.append((tensor, name, values))

    def launch(self, timestamp: int) -> PendingRecord:
        """Start the copy of everything gathered to the host (see the module)."""
        pieces = [*self._raws, *(h for _, h in self._hists), *(v for _, _, v in self._vectors)]
        layout = (
            [(names, h.shape[1]) for names, h in self._hists],
            [(tensor, name, v.numel()) for tensor, name, v in self._vectors],
        )
        return PendingRecord(self, timestamp, pieces, layout)


class PendingRecord:
    """A step's figures copied (or being copied) to the host; `record()` reads them."""

    def __init__(
        self,
        capture: StepCapture,
        timestamp: int,
        pieces: list[torch.Tensor],
        layout: tuple[list[tuple[Sequence[str], int]], list[tuple[str, str, int]]],
    ) -> None:
        self.mode = capture.mode
        self.step = capture.step
        self._names = tuple(capture.names)
        self._scalars = dict(capture.scalars)
        self._bins = capture.bins
        self._layout = layout
        self._timestamp = timestamp
        self._event: torch.cuda.Event | None = None
        if not pieces:
            self._host = torch.empty(0, dtype=torch.float64)
            return
        # Gathered on an accelerator where any piece lives on one: a device-to-host copy into
        # pageable memory would wait; the one transfer below goes into pinned memory.
        device = next((p.device for p in pieces if p.device.type != "cpu"), pieces[0].device)
        flat = torch.cat(
            [p.to(device, torch.float64, non_blocking=True).reshape(-1) for p in pieces]
        )
        if flat.is_cuda:
            self._host = torch.empty(flat.shape, dtype=flat.dtype, pin_memory=True)
            self._host.copy_(flat, non_blocking=True)
            self._event = torch.cuda.Event()  # type: ignore[no-untyped-call]
            self._event.record()
        else:
            self._host = flat

    def ready(self) -> bool:
        """Whether `record()` would answer without waiting."""
        return self._event is None or bool(self._event.query())  # type: ignore[no-untyped-call]

    def record(self) -> StepRecord:
        if self._event is not None:
            self._event.synchronize()
        host: npt.NDArray[np.float64] = self._host.numpy()
        n = len(self._names)
        stats = finish_stats(host[: n * RAW].reshape(n, RAW))
        offset = n * RAW
        histograms: dict[str, tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]] = {}
        hist_layout, vector_layout = self._layout
        for names, bins in hist_layout:
            counts = host[offset : offset + len(names) * bins].reshape(len(names), bins)
            offset += len(names) * bins
            assert self._bins is not None
            for name, row in zip(names, counts, strict=True):
                histograms[name] = (self._bins.edges, row.copy())
        vectors: dict[str, dict[str, npt.NDArray[np.float64]]] = {}
        for tensor, name, size in vector_layout:
            vectors.setdefault(tensor, {})[name] = host[offset : offset + size].copy()
            offset += size
        return StepRecord(
            step=self.step,
            mode=self.mode,
            timestamp=self._timestamp,
            tensors=self._names,
            stats=stats,
            histograms=histograms,
            vectors=vectors,
            scalars=self._scalars,
        )
