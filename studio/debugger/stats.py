"""The debugger's tensor statistics: their names, their definitions, and the numpy backend.

Every backend answers the same layout: one row per tensor, one float64 column per name in
`STATS`, in that order. The definitions, shared by every backend:

- `count`: the number of elements, finite or not.
- `mean`, `std`, `min`, `max`, `l1`, `l2`: over the finite elements only. A NaN or an infinity
  would otherwise make the mean NaN and the extremes useless, exactly when a rule needs them;
  the non-finite elements are counted apart in `nan` and `inf`. `std` is the population
  standard deviation (numpy's default, ddof=0). With no finite element, `mean`, `std`, `min`
  and `max` are NaN and the norms are 0.
- `zeros`: the fraction of elements equal to zero, over `count` (NaN for an empty tensor).
- `nan`, `inf`: how many elements are NaN, and how many are +inf or -inf.

Integer and boolean tensors are read as float64; float16 and bfloat16 as float32.

A histogram has bins fixed when it is created (`Bins`), so that the histograms of one tensor
over steps line up: finite values below the first edge fall in the first bin, values above the
last in the last, and non-finite values in none.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "COUNT",
    "INF",
    "L1",
    "L2",
    "MAX",
    "MEAN",
    "MIN",
    "NAN",
    "RAW",
    "STATS",
    "STD",
    "ZEROS",
    "Bins",
    "finish_stats",
    "numpy_histograms",
    "numpy_stats",
]

STATS: tuple[str, ...] = ("count", "mean", "std", "min", "max", "l1", "l2", "zeros", "nan", "inf")
"""The statistics' names, in the order of a result's columns."""

COUNT, MEAN, STD, MIN, MAX, L1, L2, ZEROS, NAN, INF = range(len(STATS))

# Every backend first reduces each tensor to these raw figures, in one row of `RAW` columns,
# and `finish_stats` turns them into the statistics (in float64, on the host): the element count;
# the sum of the finite elements, the sum of their squared deviations from their mean, the sum of
# their absolute values; the number of
# finite non-zero elements, of NaNs and of infinities; the negated minimum and the maximum of
# the finite elements (-inf where there are none: both extremes are maxima, so that a backend
# can take them in one reduction).
RAW = 9


@dataclass(frozen=True)
class Bins:
    """Fixed histogram bins: `count` equal bins from `low` to `high`."""

    low: float = -1.0
    high: float = 1.0
    count: int = 64

    def __post_init__(self) -> None:
        if not (np.isfinite(self.low) and np.isfinite(self.high) and self.low < self.high):
            raise ValueError(f"histogram bins need finite low < high, not {self.low}, {self.high}")
        if self.count < 1:
            raise ValueError(f"a histogram needs at least one bin, not {self.count}")

    @property
    def edges(self) -> npt.NDArray[np.float64]:
        """The `count + 1` bin edges."""
        return np.linspace(self.low, self.high, self.count + 1)


def finish_stats(raw: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The (n, len(STATS)) statistics from the (n, RAW) raw figures of n tensors.

    Shared by every backend so that the definitions (see the module) live in one place.
    """
    counts, total, deviations, total_abs, nonzero, nans, infs, neg_min, maximum = raw.T
    finite = counts - nans - infs
    out = np.empty((len(raw), len(STATS)), dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = total / finite
        deviations = np.maximum(deviations, 0.0)
        var = deviations / finite
        total_sq = np.where(finite > 0, deviations + total * mean, 0.0)
        out[:, COUNT] = counts
        out[:, MEAN] = mean
        out[:, STD] = np.sqrt(var)
        out[:, MIN] = np.where(finite > 0, -neg_min, np.nan)
        out[:, MAX] = np.where(finite > 0, maximum, np.nan)
        out[:, L1] = total_abs
        out[:, L2] = np.sqrt(total_sq)
        out[:, ZEROS] = (finite - nonzero) / counts
        out[:, NAN] = nans
        out[:, INF] = infs
    return out


def _as_float(array: npt.ArrayLike) -> npt.NDArray[np.floating]:
    values = np.asarray(array).reshape(-1)
    if values.dtype.kind == "f" and values.dtype.itemsize >= 4:
        return values
    if values.dtype.kind == "f":
        return values.astype(np.float32)
    return values.astype(np.float64)


def _number_raw(value: float) -> list[float]:
    """The raw figures (see `RAW`) of a tensor of one number."""
    if math.isnan(value):
        return [1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, -math.inf, -math.inf]
    if math.isinf(value):
        return [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, -math.inf, -math.inf]
    return [1.0, value, 0.0, abs(value), float(value != 0), 0.0, 0.0, -value, value]


def numpy_stats(arrays: Sequence[npt.ArrayLike]) -> npt.NDArray[np.float64]:
    """The statistics of each array, as an (n, len(STATS)) float64 array (see the module).

    All the arrays are reduced together, one segment each (`ufunc.reduceat`): a model's
    tensors are many and mostly small, and a dozen numpy calls per tensor would cost more
    than the arithmetic."""
    values = [_as_float(array) for array in arrays]
    if all(x.size == 1 for x in values):  # a record of losses alone, the common light one
        return finish_stats(np.array([_number_raw(float(x[0])) for x in values]).reshape(-1, RAW))
    raw = np.zeros((len(arrays), RAW), dtype=np.float64)
    raw[:, 7:] = -np.inf
    sizes = np.array([x.size for x in values], dtype=np.int64)
    raw[:, 0] = sizes
    filled = np.flatnonzero(sizes)  # reduceat cannot reduce an empty segment
    if not filled.size:
        return finish_stats(raw)
    x = np.concatenate([values[i] for i in filled], dtype=np.float64)
    lengths = sizes[filled]
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    finite = np.isfinite(x)
    rows = raw[filled]
    if finite.all():
        y, counted = x, lengths.astype(np.float64)
    else:
        rows[:, 5] = np.add.reduceat(np.isnan(x), starts, dtype=np.int64)
        rows[:, 6] = lengths - rows[:, 5] - np.add.reduceat(finite, starts, dtype=np.int64)
        y = np.where(finite, x, 0.0)
        counted = lengths - rows[:, 5] - rows[:, 6]
    rows[:, 1] = np.add.reduceat(y, starts)
    centred = y - np.repeat(rows[:, 1] / np.maximum(counted, 1), lengths)
    if y is not x:
        centred[~finite] = 0.0
    # Not np.dot: above ~10,000 values OpenBLAS wakes its threads for it, which costs a
    # hundred times the sum itself (and their spinning, the other cores).
    rows[:, 2] = np.add.reduceat(np.square(centred, out=centred), starts)
    rows[:, 3] = np.add.reduceat(np.abs(y), starts)
    rows[:, 4] = np.add.reduceat(y != 0, starts, dtype=np.int64)
    low, high = (x, x) if y is x else (np.where(finite, x, np.inf), np.where(finite, x, -np.inf))
    rows[:, 7] = -np.minimum.reduceat(low, starts)
    rows[:, 8] = np.maximum.reduceat(high, starts)
    raw[filled] = rows
    return finish_stats(raw)


def numpy_histograms(arrays: Sequence[npt.ArrayLike], bins: Bins) -> npt.NDArray[np.float64]:
    """Each array's counts in `bins`, as an (n, bins.count) float64 array (see the module)."""
    out = np.zeros((len(arrays), bins.count), dtype=np.float64)
    scale = bins.count / (bins.high - bins.low)
    for i, array in enumerate(arrays):
        x = _as_float(array).astype(np.float64)
        x = x[np.isfinite(x)]
        index = np.clip(np.floor((x - bins.low) * scale), 0, bins.count - 1).astype(np.int64)
        out[i] = np.bincount(index, minlength=bins.count)
    return out
