"""The debugger's tensor statistics on torch tensors, computed where the tensors live.

`TensorStats.summarise(tensors, bins)` reduces a list of tensors to their raw figures
(`stats.RAW` columns) and, optionally, their histograms, with no host synchronisation, batched
per (device, dtype) group. The group's tensors are copied, in one `_foreach_copy_`, into a
reused three-row workspace, each at a boundary of 256-element blocks with its last block padded
with NaN (`_Layout`). Every later operation is then over the whole workspace, whatever the
number of tensors: a dozen element-wise passes write the finite values (non-finite ones made 0),
codes of the NaNs and infinities, magnitudes, signs, and the finite values with the non-finite
ones (and the pads) replaced by their tensor's mean, so that the extremes and the squared
deviations from the mean (a second pass, for a standard deviation that keeps its digits) are
those of the finite elements; each pass is reduced per block over a (blocks, 256) view, and the
few per-block figures per tensor with one `index_add_` or `scatter_reduce_` by block owner.
Per-tensor operations cost a few microseconds each in PyTorch's dispatch, more than a pass
over a small tensor: the MLP's twelve tensors cost about as much as one tensor of all their
elements. Only floating-point element-wise operations are used: on the CPU build, comparisons
into boolean tensors (`isfinite`, `x == 0`) and their sums are five to fifteen times slower
than `nan_to_num`, `sign` and a float sum (measured, one thread).

The histograms reuse the finite values and the non-finite indicators: each element's bin
(clamped into the edge bins), offset by its tensor's position, is counted by one `bincount` on
the CPU (which reads its input's maximum: a host wait on a GPU, where a `scatter_add_` counts
instead); non-finite elements and pads land past the last bin and are dropped.

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
# Tensors are laid out in blocks of _BLOCK elements; a few layouts are kept.
_BLOCK = 256
_LAYOUTS = 16
_INF_CODE = 2.0**-9


def _to(device: torch.device, values: list[int], dtype: torch.dtype = torch.int64) -> torch.Tensor:
    """A small host list on `device`. `torch.tensor(values, device=cuda)` is a synchronous copy,
    which `torch.cuda.set_sync_debug_mode("error")` refuses; a non-blocking one is not."""
    return torch.tensor(values, dtype=dtype).to(device, non_blocking=True)


def _compute_dtype(dtype: torch.dtype) -> torch.dtype:
    if dtype in (torch.float32, torch.float16, torch.bfloat16):
        return torch.float32
    return torch.float64


class _Layout:
    """Where each tensor of a group lies in the flattened workspace: at a block boundary, its
    last block padded with NaN, so that every reduction is a whole-workspace operation over
    (blocks, _BLOCK) followed by a reduction of the small per-block results by owner."""

    def __init__(self, sizes: tuple[int, ...], device: torch.device) -> None:
        padded = [-(-size // _BLOCK) * _BLOCK for size in sizes]
        self.sizes = sizes
        self.starts = [end - size for size, end in zip(padded, accumulate(padded), strict=True)]
        self.padded = padded
        self.total = sum(padded)
        self.blocks = self.total // _BLOCK
        owners = [i for i, size in enumerate(padded) for _ in range(size // _BLOCK)]
        self.owner = _to(device, owners)
        self.counts = _to(device, list(sizes), torch.float64)
        self.pads = _to(device, [p - s for p, s in zip(padded, sizes, strict=True)], torch.float64)
        self.nan = torch.full((1,), float("nan"), device=device)
        self._bin_offsets: dict[int, torch.Tensor] = {}
        # From the rows `TensorStats._group` gathers (count, sum, absolute sum, NaNs,
        # infinities, squared deviations, non-zeros, -min, max) to the `RAW` order.
        self.raw_order = _to(device, [0, 1, 5, 2, 6, 3, 4, 7, 8])

    def bin_offsets(self, bins: int) -> torch.Tensor:
        """(blocks, 1) int32: the first bin of each block's tensor, with `bins` bins each."""
        offsets = self._bin_offsets.get(bins)
        if offsets is None:
            offsets = (self.owner * bins).to(torch.int32)[:, None]
            self._bin_offsets[bins] = offsets
        return offsets

    def fill(self, row: torch.Tensor, tensors: Sequence[torch.Tensor]) -> None:
        """Copy the tensors into `row` at their places, NaN into the pads: one operation."""
        targets: list[torch.Tensor] = []
        sources: list[torch.Tensor] = []
        for tensor, start, size, padded in zip(
            tensors, self.starts, self.sizes, self.padded, strict=True
        ):
            targets.append(row[start : start + size])
            sources.append(tensor.detach().reshape(-1))
            if padded > size:
                targets.append(row[start + size : start + padded])
                sources.append(self.nan.expand(padded - size))
        torch._foreach_copy_(targets, sources)

    def segments(self, partial: torch.Tensor) -> torch.Tensor:
        """(rows, blocks) per-block sums -> (rows, tensors) float64 per-tensor sums."""
        partial = partial.to(torch.float64)
        if len(self.sizes) == 1:
            return partial.sum(1, keepdim=True)
        out = torch.zeros(
            (partial.shape[0], len(self.sizes)), dtype=torch.float64, device=partial.device
        )
        return out.index_add_(1, self.owner, partial)

    def maxima(self, partial: torch.Tensor) -> torch.Tensor:
        """(rows, blocks) per-block maxima -> (rows, tensors) float64 per-tensor maxima."""
        partial = partial.to(torch.float64)
        if len(self.sizes) == 1:
            return partial.amax(1, keepdim=True)
        out = torch.full(
            (partial.shape[0], len(self.sizes)), -_INF, dtype=torch.float64, device=partial.device
        )
        return out.scatter_reduce_(1, self.owner.expand_as(partial), partial, "amax")

    def by_block(self, values: torch.Tensor) -> torch.Tensor:
        """(tensors,) -> (blocks, 1): each block's tensor's value."""
        if len(self.sizes) == 1:
            return values[:, None]
        return values.index_select(0, self.owner)[:, None]


class TensorStats:
    """Computes raw statistics and histograms of tensor lists, reusing its device workspaces.

    Keep one per watched model: a fresh multi-megabyte workspace at every collection would
    cost page faults worth more than the reductions themselves.
    """

    def __init__(self) -> None:
        self._workspaces: dict[tuple[torch.device, torch.dtype], torch.Tensor] = {}
        self._layouts: dict[tuple[torch.device, tuple[int, ...]], _Layout] = {}

    def _workspace(
        self, device: torch.device, dtype: torch.dtype, n: int, rows: int = _ROWS
    ) -> torch.Tensor:
        key = (device, dtype)
        space = self._workspaces.get(key)
        if space is None or space.shape[1] < n:
            space = torch.empty((rows, n), dtype=dtype, device=device)
            self._workspaces[key] = space
        return space[:, :n]

    def _layout(self, tensors: Sequence[torch.Tensor], device: torch.device) -> _Layout:
        key = (device, tuple(t.numel() for t in tensors))
        layout = self._layouts.get(key)
        if layout is None:
            if len(self._layouts) >= _LAYOUTS:  # varying shapes (activations): keep a few
                self._layouts.pop(next(iter(self._layouts)))
            layout = self._layouts[key] = _Layout(key[1], device)
        return layout

    def raw(self, tensors: Sequence[torch.Tensor]) -> torch.Tensor:
        """The (n, RAW) float64 raw figures of `tensors`, on the first tensor's device.

        Nothing here waits for the device: the answer is a device tensor still being computed.
        """
        return self.summarise(tensors)[0]

    def histograms(self, tensors: Sequence[torch.Tensor], bins: Bins) -> torch.Tensor:
        """Each tensor's counts in `bins`: (n, bins.count) float64 on the first tensor's device."""
        hist = self.summarise(tensors, bins)[1]
        assert hist is not None
        return hist

    def summarise(
        self, tensors: Sequence[torch.Tensor], bins: Bins | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The (n, RAW) raw figures of `tensors` and, with `bins`, their (n, bins.count)
        histograms: float64, on the first tensor's device, computed together (the histograms
        reuse the statistics' copy of the tensors and their non-finite indicators)."""
        width = bins.count if bins is not None else 0
        if not tensors:
            empty = torch.empty((0, width), dtype=torch.float64)
            return torch.empty((0, RAW), dtype=torch.float64), empty if bins else None
        device = tensors[0].device
        groups = _groups(tensors)
        if len(groups) == 1 and len(next(iter(groups.values()))) == len(tensors):
            (group_device, dtype), _ = next(iter(groups.items()))
            return self._group(tensors, group_device, dtype, bins)
        out = torch.zeros((len(tensors), RAW), dtype=torch.float64, device=device)
        hist = torch.zeros((len(tensors), width), dtype=torch.float64, device=device)
        missing = [i for i, tensor in enumerate(tensors) if not tensor.numel()]
        if missing:
            out[_to(device, missing), 7:] = -_INF
        for (group_device, dtype), index in groups.items():
            rows, counts = self._group([tensors[i] for i in index], group_device, dtype, bins)
            target = _to(device, index)
            out.index_copy_(0, target, rows.to(device, non_blocking=True))
            if counts is not None:
                hist.index_copy_(0, target, counts.to(device, non_blocking=True))
        return out, hist if bins else None

    def _group(
        self,
        tensors: Sequence[torch.Tensor],
        device: torch.device,
        dtype: torch.dtype,
        bins: Bins | None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        layout = self._layout(tensors, device)
        space = self._workspace(device, _compute_dtype(dtype), layout.total)
        # The copy's row is reused as scratch once read: `fill` writes its pads at every call.
        finite, codes, scratch = space.unbind()
        layout.fill(scratch, tensors)
        buf = scratch
        blocks = (layout.blocks, _BLOCK)
        torch.nan_to_num(buf, 0.0, 0.0, 0.0, out=finite)
        # buf - finite: 0 where finite, NaN where NaN (and in the pads), ±inf where infinite;
        # coded 0, 1 and 2**-9: a block's codes sum exactly to nans + infs / 512 (a block has
        # fewer than 512 elements), which the block's floor and remainder split.
        torch.sub(buf, finite, out=codes).nan_to_num_(1.0, _INF_CODE, _INF_CODE)
        torch.abs(finite, out=scratch)  # the copy is read for the last time above
        partial = space.view(3, *blocks).sum(2)  # finite values, codes, magnitudes
        nans_by_block = partial[1].floor()
        infs_by_block = (partial[1] - nans_by_block).mul_(1 / _INF_CODE)
        # total, absolute, NaNs (pads counted, then taken off), infinities
        first = layout.segments(torch.stack([partial[0], partial[2], nans_by_block, infs_by_block]))
        nonzero_by_block = scratch.sign_().view(blocks).sum(1)
        first[2].sub_(layout.pads)
        mean = torch.nan_to_num(first[0] / (layout.counts - first[2:].sum(0)), 0.0, 0.0, 0.0)
        mean_by_block = layout.by_block(mean.to(finite.dtype))
        # The non-finite elements (and the pads) take their tensor's mean: the extremes are
        # then those of the finite elements, exactly, and the deviations from the mean are
        # theirs alone, taken in a second pass, not as E[x²] - mean², which loses every digit
        # of a float32 tensor whose spread is small against its mean.
        outside = codes.ceil_()  # 1 where not finite or a pad
        substituted = scratch.view(blocks)
        torch.addcmul(finite.view(blocks), outside.view(blocks), mean_by_block, out=substituted)
        extremes = layout.maxima(torch.stack([-substituted.amin(1), substituted.amax(1)]))
        squares_by_block = substituted.sub_(mean_by_block).square_().sum(1)
        second = layout.segments(torch.stack([squares_by_block, nonzero_by_block]))
        table = torch.cat([layout.counts[None], first, second, extremes])
        rows = table.T.index_select(1, layout.raw_order)
        if bins is None:
            return rows, None
        index = self._workspace(device, torch.int32, layout.total, rows=1)[0]
        return rows, _histograms(layout, finite, outside, scratch, index, bins)


def _histograms(
    layout: _Layout,
    finite: torch.Tensor,
    outside: torch.Tensor,
    slots: torch.Tensor,
    index: torch.Tensor,
    bins: Bins,
) -> torch.Tensor:
    """The (tensors, bins.count) float64 counts: each element's bin, offset by its tensor's
    position, counted in one pass; the elements `outside` (non-finite, pads) are sent past the
    last tensor's bins, and dropped."""
    k = len(layout.sizes)
    dump = k * bins.count
    scale = bins.count / (bins.high - bins.low)
    torch.sub(finite, bins.low, out=slots).mul_(scale).clamp_(0, bins.count - 1)
    slots.add_(outside, alpha=dump)
    index.copy_(slots)  # truncated: the floor of these non-negative positions
    index.view(layout.blocks, _BLOCK).add_(layout.bin_offsets(bins.count))
    if slots.device.type == "cpu":
        # bincount reads its input's maximum: free on the CPU, a host wait elsewhere.
        counts = torch.bincount(index, minlength=dump)
    else:
        counts = torch.zeros(2 * dump, dtype=slots.dtype, device=slots.device)
        counts.scatter_add_(0, index.long(), torch.ones_like(slots))
    return counts[:dump].view(k, bins.count).to(torch.float64)


def _groups(tensors: Sequence[torch.Tensor]) -> dict[tuple[torch.device, torch.dtype], list[int]]:
    """The positions of the non-empty tensors, by (device, dtype)."""
    groups: dict[tuple[torch.device, torch.dtype], list[int]] = {}
    for i, tensor in enumerate(tensors):
        if tensor.numel():
            groups.setdefault((tensor.device, tensor.dtype), []).append(i)
    return groups


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
        raw, hist = computer.summarise(tensors, histogram_bins)
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
