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
from itertools import accumulate
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
        groups = _groups(tensors)
        if len(groups) == 1 and len(next(iter(groups.values()))) == len(tensors):
            (group_device, dtype), _ = next(iter(groups.items()))
            return self._group_raw(tensors, group_device, dtype)
        out = torch.zeros((len(tensors), RAW), dtype=torch.float64, device=device)
        empty = [i for i, tensor in enumerate(tensors) if not tensor.numel()]
        if empty:
            out[_to(device, empty), 7:] = -_INF
        for (group_device, dtype), index in groups.items():
            rows = self._group_raw([tensors[i] for i in index], group_device, dtype)
            out.index_copy_(0, _to(device, index), rows.to(device, non_blocking=True))
        return out

    def _flat(
        self, tensors: Sequence[torch.Tensor], compute: torch.dtype, out: torch.Tensor
    ) -> torch.Tensor:
        """The tensors flattened into one buffer of the compute dtype: one of them as it is,
        several copied into `out`."""
        flat = [t.detach().reshape(-1) for t in tensors]
        if len(flat) == 1 and flat[0].dtype == compute:
            return flat[0]
        if all(t.dtype == compute for t in flat):
            return torch.cat(flat, out=out)
        for part, target in zip(flat, torch.split(out, [t.numel() for t in flat]), strict=True):
            target.copy_(part)
        return out

    def _group_raw(
        self, tensors: Sequence[torch.Tensor], device: torch.device, dtype: torch.dtype
    ) -> torch.Tensor:
        sizes = [t.numel() for t in tensors]
        compute = _compute_dtype(dtype)
        space = self._workspace(device, compute, sum(sizes))
        finite, codes, scratch = space[0], space[1], space[2]
        buf = self._flat(tensors, compute, scratch)
        torch.nan_to_num(buf, 0.0, 0.0, 0.0, out=finite)
        # buf - finite: 0 where finite, NaN where NaN, ±inf where infinite; coded 0, 1, 2.
        torch.sub(buf, finite, out=codes).nan_to_num_(1.0, 2.0, 2.0)
        torch.sign(finite, out=scratch)  # buf is read for the last time above
        bounds = _bounds(sizes)
        values = [finite[a:b] for a, b in bounds]
        code = [codes[a:b] for a, b in bounds]
        signs = [scratch[a:b] for a, b in bounds]
        # One reduction per tensor for its sum and its codes' sum (two rows of the workspace).
        sums = torch.stack([space[:2, a:b].sum(1) for a, b in bounds])
        dots = torch.stack(
            [
                torch.stack([torch.dot(f, s), torch.dot(s, s), torch.dot(c, c)])
                for f, s, c in zip(values, signs, code, strict=True)
            ]
        )
        total, coded = sums.double().unbind(1)
        absolute, nonzero, coded_sq = dots.double().unbind(1)
        # codes: NaN 1, infinity 2: sum = nans + 2 infs, sum of squares = nans + 4 infs.
        infs = (coded_sq - coded) / 2
        nans = coded - 2 * infs
        counts = _to(device, sizes, torch.float64)
        mean = torch.nan_to_num(total / (counts - nans - infs), 0.0, 0.0, 0.0)
        means = mean.to(compute).unbind()
        # The non-finite elements take their tensor's mean: the extremes are then those of the
        # finite elements, exactly, and the deviations from the mean are theirs alone. The
        # deviations are taken in a second pass, not as E[x²] - mean², which loses every digit
        # of a float32 tensor whose spread is small against its mean.
        codes.clamp_(max=1.0)
        extremes = []
        squares = []
        for f, c, m, out in zip(values, code, means, signs, strict=True):
            torch.addcmul(f, c, m, out=out)
            extremes.append(torch.stack(torch.aminmax(out)))
            out.sub_(m)
            squares.append(torch.dot(out, out))
        low, high = torch.stack(extremes).double().unbind(1)
        squared = torch.stack(squares).double()
        return torch.stack(
            [counts, total, squared, absolute, nonzero, nans, infs, -low, high], dim=1
        )

    def histograms(self, tensors: Sequence[torch.Tensor], bins: Bins) -> torch.Tensor:
        """Each tensor's counts in `bins`: (n, bins.count) float64 on the first tensor's device.

        Per (device, dtype) group, every element's bin, offset by its tensor's position among
        the group's, is counted in one pass; non-finite elements go to a last bin, dropped.
        """
        if not tensors:
            return torch.empty((0, bins.count), dtype=torch.float64)
        device = tensors[0].device
        out = torch.zeros((len(tensors), bins.count), dtype=torch.float64, device=device)
        scale = bins.count / (bins.high - bins.low)
        for (group_device, dtype), index in _groups(tensors).items():
            group = [tensors[i].detach().reshape(-1) for i in index]
            sizes = [t.numel() for t in group]
            k = len(group)
            compute = _compute_dtype(dtype)
            slots = self._workspace(group_device, compute, sum(sizes))[0]
            for i, (t, (a, b)) in enumerate(zip(group, _bounds(sizes), strict=True)):
                torch.mul(t, scale, out=slots[a:b])
            slots.sub_(bins.low * scale).floor_().clamp_(0, bins.count - 1)
            for i, (t, (a, b)) in enumerate(zip(group, _bounds(sizes), strict=True)):
                # + 0 * t: NaN where t is not finite (clamping took infinities to the edges).
                slots[a:b].add_(t, alpha=0.0).add_(i * bins.count)
            slots.nan_to_num_(k * bins.count)
            if group_device.type == "cpu":
                # bincount reads its input's maximum: free on the CPU, a host wait elsewhere.
                counts = torch.bincount(slots.to(torch.int32), minlength=k * bins.count + 1)
            else:
                counts = torch.zeros(k * bins.count + 1, dtype=compute, device=group_device)
                counts.scatter_add_(0, slots.long(), torch.ones_like(slots))
            rows = counts[: k * bins.count].view(k, bins.count).to(torch.float64)
            out.index_copy_(0, _to(device, index), rows.to(device, non_blocking=True))
        return out


def _groups(tensors: Sequence[torch.Tensor]) -> dict[tuple[torch.device, torch.dtype], list[int]]:
    """The positions of the non-empty tensors, by (device, dtype)."""
    groups: dict[tuple[torch.device, torch.dtype], list[int]] = {}
    for i, tensor in enumerate(tensors):
        if tensor.numel():
            groups.setdefault((tensor.device, tensor.dtype), []).append(i)
    return groups


def _bounds(sizes: Sequence[int]) -> list[tuple[int, int]]:
    """Each tensor's [start, end) in the flattened buffer."""
    ends = list(accumulate(sizes))
    return [(end - size, end) for size, end in zip(sizes, ends, strict=True)]


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
