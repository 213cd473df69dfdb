"""The debugger's tensor statistics on torch tensors, computed where the tensors live.

`TensorStats.raw(tensors)` reduces a list of tensors to their raw figures (`stats.RAW` columns)
with no host synchronisation, batched per (device, dtype) group: the group's tensors are
flattened into one buffer; a few element-wise operations over the whole buffer write, one after
the other into a reused two-row workspace, the finite values (non-finite ones made 0), their
signs, NaN and infinity indicators and the values filled for a minimum and for a maximum; each
tensor's slice of a row is reduced in one operation (a sum, a dot product, an extreme). A
second pass takes the squared deviations from each tensor's mean, for a standard deviation
that keeps its digits. Only floating-point element-wise operations are used: on the CPU build,
comparisons into boolean tensors (`isfinite`, `x == 0`) and their sums are five to fifteen
times slower than `nan_to_num`, `sign` and a float sum (measured, one thread).

`PendingStats` is the asynchronous read: it launches the reductions, copies the small result
into pinned host memory with `non_blocking=True`, records a CUDA event, and only its
`result()`, called an interval later, waits for that event.

Sums accumulate in float32 for float32 and narrower inputs, float64 for float64, integer and
boolean ones; `stats.finish_stats` does the rest in float64 on the host.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch

from studio.debugger.stats import RAW, Bins, finish_stats

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["PendingStats", "TensorStats", "torch_histograms", "torch_stats"]

_INF = float("inf")
_ROWS = 3


def _to(device: torch.device, values: list[int], dtype: torch.dtype = torch.int64) -> torch.Tensor:
    """A small host list on `device`. `torch.tensor(values, device=cuda)` is a synchronous copy,
    which `torch.cuda.set_sync_debug_mode("error")` refuses; a non-blocking one is not."""
    return torch.tensor(values, dtype=dtype).to(device, non_blocking=True)


def _compute_dtype(dtype: torch.dtype) -> torch.dtype:
    if dtype in (torch.float32, torch.float16, torch.bfloat16):
        return torch.float32
    return torch.float64


class TensorStats:
    """Computes raw statistics and histograms of tensor lists, reusing its device workspaces.

    Keep one per watched model: a fresh multi-megabyte workspace at every collection would
    cost page faults worth more than the reductions themselves.
    """

    def __init__(self) -> None:
        self._workspaces: dict[tuple[torch.device, torch.dtype], torch.Tensor] = {}

    def _workspace(self, device: torch.device, dtype: torch.dtype, n: int) -> torch.Tensor:
        key = (device, dtype)
        space = self._workspaces.get(key)
        if space is None or space.shape[1] < n:
            space = torch.empty((_ROWS, n), dtype=dtype, device=device)
            self._workspaces[key] = space
        return space[:, :n]

    def raw(self, tensors: Sequence[torch.Tensor]) -> torch.Tensor:
        """The (n, RAW) float64 raw figures of `tensors`, on the first tensor's device.

        Nothing here waits for the device: the answer is a device tensor still being computed.
        """
        if not tensors:
            return torch.empty((0, RAW), dtype=torch.float64)
        device = tensors[0].device
        out = torch.zeros((len(tensors), RAW), dtype=torch.float64, device=device)
        groups: dict[tuple[torch.device, torch.dtype], list[int]] = {}
        for i, tensor in enumerate(tensors):
            if tensor.numel():
                groups.setdefault((tensor.device, tensor.dtype), []).append(i)
        empty = [i for i, tensor in enumerate(tensors) if not tensor.numel()]
        if empty:
            out[_to(device, empty), 7:] = -_INF
        for (group_device, dtype), index in groups.items():
            rows = self._group_raw([tensors[i] for i in index], group_device, dtype)
            target = _to(device, index)
            out.index_copy_(0, target, rows.to(device, non_blocking=True))
        return out

    def _flat(
        self, tensors: Sequence[torch.Tensor], dtype: torch.dtype, out: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, list[int]]:
        """The tensors flattened into one buffer of the compute dtype (into `out` if given)."""
        sizes = [t.numel() for t in tensors]
        flat = [t.detach().reshape(-1) for t in tensors]
        compute = _compute_dtype(dtype)
        if len(flat) == 1:
            buf = flat[0]
        elif out is not None and dtype == compute:
            buf = torch.cat(flat, out=out)
        else:
            buf = torch.cat(flat)
        return (buf if buf.dtype == compute else buf.to(compute)), sizes

    def _group_raw(
        self, tensors: Sequence[torch.Tensor], device: torch.device, dtype: torch.dtype
    ) -> torch.Tensor:
        n = sum(t.numel() for t in tensors)
        compute = _compute_dtype(dtype)
        space = self._workspace(device, compute, n)
        buf, sizes = self._flat(tensors, dtype, out=space[-1])
        finite, scratch = space[0], space[1]
        # Two rows, reused stage after stage: each is reduced before it is overwritten (eager on
        # the CPU, in stream order on a GPU), and a small workspace evicts less of the model.
        torch.nan_to_num(buf, 0.0, 0.0, 0.0, out=finite)
        torch.sign(finite, out=scratch)
        # Views split once: they stay valid while the rows are overwritten.
        values, scratches = torch.split(finite, sizes), torch.split(scratch, sizes)
        total = torch.stack([f.sum() for f in values])
        absolute = torch.stack([torch.dot(f, g) for f, g in zip(values, scratches, strict=True)])
        nonzero = torch.stack([torch.dot(g, g) for g in scratches])
        # buf - finite is 0 where buf is finite, NaN where it is NaN, ±inf where it is ±inf.
        torch.sub(buf, finite, out=scratch).nan_to_num_(1.0, 0.0, 0.0)
        nans = torch.stack([g.sum() for g in scratches])
        torch.sub(buf, finite, out=scratch).nan_to_num_(0.0, 1.0, 1.0)
        infs = torch.stack([g.sum() for g in scratches])
        torch.nan_to_num(buf, _INF, _INF, _INF, out=scratch)
        minimum = torch.stack([g.amin() for g in scratches])
        torch.nan_to_num(buf, -_INF, -_INF, -_INF, out=scratch)
        maximum = torch.stack([g.amax() for g in scratches])
        summed = torch.stack([total, absolute, nonzero, nans, infs], 1).double()
        top = torch.stack([-minimum, maximum], 1).double()
        deviation = scratch
        # The squared deviations are taken from each tensor's mean (a second pass), not as
        # E[x²] - mean², which loses every digit of a float32 tensor whose spread is small
        # against its mean. Taken from `buf`, non-finite elements deviate by NaN or ±inf: made 0.
        counts = _to(device, sizes, torch.float64)
        outside = summed[:, 3] + summed[:, 4]
        mean = torch.nan_to_num(summed[:, 0] / (counts - outside), 0.0, 0.0, 0.0)
        # One subtraction per tensor of its 0-d mean: repeat_interleave of the means costs more
        # than all of them together on the CPU (an int64 index_select).
        means = mean.to(compute)
        for i, (part, out) in enumerate(zip(torch.split(buf, sizes), scratches, strict=True)):
            torch.sub(part, means[i], out=out)
        deviation.nan_to_num_(0.0, 0.0, 0.0)
        squares = torch.stack([torch.dot(part, part) for part in scratches])
        squares = squares.double()
        return torch.cat(
            [counts[:, None], summed[:, :1], squares[:, None], summed[:, 1:], top], dim=1
        )

    def histograms(self, tensors: Sequence[torch.Tensor], bins: Bins) -> torch.Tensor:
        """Each tensor's counts in `bins`: (n, bins.count) float64 on the first tensor's device.

        One scatter-add per (device, dtype) group: each element's bin is offset by its tensor's
        position, and non-finite elements go to a last bin that is dropped.
        """
        if not tensors:
            return torch.empty((0, bins.count), dtype=torch.float64)
        device = tensors[0].device
        out = torch.zeros((len(tensors), bins.count), dtype=torch.float64, device=device)
        groups: dict[tuple[torch.device, torch.dtype], list[int]] = {}
        for i, tensor in enumerate(tensors):
            if tensor.numel():
                groups.setdefault((tensor.device, tensor.dtype), []).append(i)
        scale = bins.count / (bins.high - bins.low)
        for (group_device, dtype), index in groups.items():
            buf, sizes = self._flat([tensors[i] for i in index], dtype)
            k = len(sizes)
            position = (buf - bins.low) * scale
            # Non-finite elements: NaN stays NaN through floor and clamp; send both to bin k*B.
            marker = torch.nan_to_num(buf - torch.nan_to_num(buf, 0.0, 0.0, 0.0), 1.0, 1.0, 1.0)
            position = position.floor_().clamp_(0, bins.count - 1).nan_to_num_(0.0)
            offsets = torch.repeat_interleave(
                torch.arange(k, device=group_device, dtype=buf.dtype) * bins.count,
                _to(group_device, sizes),
                output_size=buf.numel(),
            )
            slot = position + offsets
            slot = slot + marker * (k * bins.count - slot)
            # scatter_add_, not bincount: bincount reads its input's maximum back to the host.
            counts = torch.zeros(k * bins.count + 1, dtype=buf.dtype, device=group_device)
            counts.scatter_add_(0, slot.long(), torch.ones_like(slot))
            rows = counts[: k * bins.count].view(k, bins.count).to(torch.float64)
            target = _to(device, index)
            out.index_copy_(0, target, rows.to(device, non_blocking=True))
        return out


def torch_stats(
    tensors: Sequence[torch.Tensor], computer: TensorStats | None = None
) -> npt.NDArray[np.float64]:
    """The (n, len(STATS)) statistics of `tensors`, waiting for them: tests and one-off reads."""
    return PendingStats(tensors, computer).result()


def torch_histograms(tensors: Sequence[torch.Tensor], bins: Bins) -> npt.NDArray[np.float64]:
    """The (n, bins.count) histograms of `tensors`, waiting for them."""
    return TensorStats().histograms(tensors, bins).cpu().numpy()


class PendingStats:
    """Statistics launched now and read later, without synchronising the host in between.

    The reductions run on the tensors' device; their (n, RAW) result is copied into a pinned
    host buffer with `non_blocking=True` and a CUDA event is recorded after the copy. Call
    `result()` an interval later: only then does the host wait, on that event, by which time
    the copy has long finished. On the CPU the reductions run at once and the copy is plain.
    """

    def __init__(
        self,
        tensors: Sequence[torch.Tensor],
        computer: TensorStats | None = None,
        histogram_bins: Bins | None = None,
    ) -> None:
        computer = computer or TensorStats()
        raw = computer.raw(tensors)
        hist = computer.histograms(tensors, histogram_bins) if histogram_bins else None
        self._event: torch.cuda.Event | None = None
        if raw.is_cuda:
            self._raw = torch.empty(raw.shape, dtype=raw.dtype, pin_memory=True)
            self._raw.copy_(raw, non_blocking=True)
            self._hist = None
            if hist is not None:
                self._hist = torch.empty(hist.shape, dtype=hist.dtype, pin_memory=True)
                self._hist.copy_(hist, non_blocking=True)
            self._event = torch.cuda.Event()  # type: ignore[no-untyped-call]
            self._event.record()
        else:
            self._raw = raw
            self._hist = hist

    def ready(self) -> bool:
        """Whether `result()` would answer without waiting."""
        return self._event is None or bool(self._event.query())  # type: ignore[no-untyped-call]

    def result(self) -> npt.NDArray[np.float64]:
        """The (n, len(STATS)) float64 statistics (waits for the device only if not ready)."""
        if self._event is not None:
            self._event.synchronize()
        return finish_stats(self._raw.numpy())

    def histograms(self) -> npt.NDArray[np.float64] | None:
        """The (n, bins) histograms, where bins were asked for."""
        if self._event is not None:
            self._event.synchronize()
        return None if self._hist is None else self._hist.numpy()
