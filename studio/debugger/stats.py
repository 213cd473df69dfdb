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


def numpy_stats(arrays: Sequence[npt.ArrayLike]) -> npt.NDArray[np.float64]:
    """The statistics of each array, as an (n, len(STATS)) float64 array (see the module)."""
    raw = np.zeros((len(arrays), RAW), dtype=np.float64)
    raw[:, 7:] = -np.inf
    for i, array in enumerate(arrays):
        x = _as_float(array)
        raw[i, 0] = x.size
        if x.size == 0:
            continue
        finite = np.isfinite(x)
        nans = int(np.count_nonzero(np.isnan(x)))
        infs = x.size - nans - int(np.count_nonzero(finite))
        y = x[finite].astype(np.float64) if nans or infs else x.astype(np.float64)
        if y.size:
            centred = y - y.mean()
            # Not np.dot: above ~10,000 values OpenBLAS wakes its threads for it, which
            # costs a hundred times the sum itself (and their spinning, the other cores).
            raw[i, 1:3] = (y.sum(), np.square(centred, out=centred).sum())
        raw[i, 3:7] = (np.abs(y).sum(), np.count_nonzero(y), nans, infs)
        if y.size:
            raw[i, 7:] = (-y.min(), y.max())
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
