"""The min/max pyramid of a series: its buckets, how they are built and merged, and which
level a read uses. Pure numpy: the SQL lives in `blocks.py`.

A level-`l` bucket holds the points whose step lies in `[k * 16**l, (k + 1) * 16**l)`; it
keeps the first, minimum, maximum and last point (each with its step and timestamp), the
first NaN point, the number of points and the number of NaNs. These summaries merge exactly
(the first of two buckets is the earlier of their firsts, and so on), so a level is built
from the level below, a late point updates the buckets it falls into, and a read merges
neighbouring buckets down to the number of points it may return, all without the points.

A series' finest level (its base) is chosen when its first chunk is sealed, so that a base
bucket holds at least `FACTOR` points at the spacing of those steps: a series logged every
1,000 steps has no levels of one point per bucket. Levels above the base are each `FACTOR`
times coarser, `LEVELS_ABOVE_BASE` of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from studio.tracking.series.codec import CodecError, decode_columns, encode_columns

FACTOR = 16
# 16**15 = 2**60: a level-15 bucket is a sixteenth of the int64 steps; none is coarser.
TOP_LEVEL = 15
# Seven levels above the base: at one point a step (base level 1), a top-level bucket spans
# 16**8 = 4.3e9 steps, so even a series of 10**12 steps has a few hundred of them.
LEVELS_ABOVE_BASE = 7
# Buckets are stored in blocks of 256 consecutive bucket indices of one level.
BLOCK_BITS = 8
# A downsampled read returns up to 4 points per bucket (first, min, max, last), 5 where the
# buckets hold NaNs: it needs room for one bucket at least.
MIN_MAX_POINTS = 5

# Integer columns of `Buckets.ints`.
INDEX, COUNT, NANS = 0, 1, 2
FIRST_S, FIRST_T, MIN_S, MIN_T, MAX_S, MAX_T, LAST_S, LAST_T, NAN_S, NAN_T = range(3, 13)
# Float columns of `Buckets.floats`.
FIRST_V, MIN_V, MAX_V, LAST_V = range(4)
_INT_COLUMNS, _FLOAT_COLUMNS = 13, 4


@dataclass(frozen=True)
class Buckets:
    """Bucket summaries, column-wise: `ints` is (13, n) int64, `floats` (4, n) float64.

    MIN_V and MAX_V are NaN in a bucket of NaNs only (NaN is neither a minimum nor a maximum;
    ±Inf are values). NAN_S and NAN_T mean something only where NANS > 0.
    """

    ints: np.ndarray
    floats: np.ndarray

    @classmethod
    def empty(cls) -> Buckets:
        return cls(np.zeros((_INT_COLUMNS, 0), np.int64), np.zeros((_FLOAT_COLUMNS, 0)))

    def __len__(self) -> int:
        return int(self.ints.shape[1])

    @property
    def index(self) -> np.ndarray:
        index: np.ndarray = self.ints[INDEX]
        return index

    def take(self, which: np.ndarray) -> Buckets:
        return Buckets(self.ints[:, which], self.floats[:, which])

    @classmethod
    def concat(cls, parts: list[Buckets]) -> Buckets:
        if not parts:
            return cls.empty()
        return cls(
            np.concatenate([p.ints for p in parts], axis=1),
            np.concatenate([p.floats for p in parts], axis=1),
        )

    def encode(self) -> bytes:
        return encode_columns(list(self.ints), list(self.floats))

    @classmethod
    def decode(cls, payload: bytes) -> Buckets:
        ints, floats = decode_columns(payload)
        if ints.shape[0] != _INT_COLUMNS or floats.shape[0] != _FLOAT_COLUMNS:
            raise CodecError("not a pyramid block payload")
        return cls(ints, floats)


def width(level: int) -> int:
    """How many steps one bucket of `level` spans."""
    return int(FACTOR**level)


def base_level(first_step: int, last_step: int, count: int) -> int:
    """The finest level for a series whose first sealed points have this step range: the
    first whose buckets hold `FACTOR` points or more at that spacing."""
    spacing = (last_step - first_step) / max(count - 1, 1)
    level = 1
    while level < TOP_LEVEL and width(level) < FACTOR * spacing:
        level += 1
    return level


def levels(base: int) -> range:
    """Every stored level of a series with this base, finest first."""
    return range(base, min(base + LEVELS_ABOVE_BASE, TOP_LEVEL) + 1)


def bucket_keys(steps: np.ndarray, level: int) -> np.ndarray:
    """The bucket index of each step at `level` (floor division: negative steps work)."""
    keys: np.ndarray = np.floor_divide(steps, np.int64(width(level)))
    return keys


def block_of(index: np.ndarray) -> np.ndarray:
    return index >> BLOCK_BITS


def choose_level(base: int, lo: int, hi: int, wanted: int) -> int:
    """The coarsest level whose buckets cut [lo, hi] into `wanted` or more, else the base."""
    for level in reversed(levels(base)):
        span = width(level)
        if hi // span - lo // span + 1 >= wanted:
            return level
    return base


def summarize(
    steps: np.ndarray, timestamps: np.ndarray, values: np.ndarray, keys: np.ndarray
) -> Buckets:
    """One bucket per run of equal `keys`, over points sorted by (step, timestamp)."""
    n = len(steps)
    if n == 0:
        return Buckets.empty()
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    ends = np.append(starts[1:], n) - 1
    groups = len(starts)
    owner = np.repeat(np.arange(groups), ends - starts + 1)
    missing = np.isnan(values)
    low = np.where(missing, np.inf, values)
    high = np.where(missing, -np.inf, values)
    min_at = _first_hit(owner, ~missing & (low == np.minimum.reduceat(low, starts)[owner]), groups)
    max_at = _first_hit(
        owner, ~missing & (high == np.maximum.reduceat(high, starts)[owner]), groups
    )
    nan_at = _first_hit(owner, missing, groups)
    ints = np.empty((_INT_COLUMNS, groups), np.int64)
    floats = np.empty((_FLOAT_COLUMNS, groups))
    ints[INDEX] = keys[starts]
    ints[COUNT] = ends - starts + 1
    ints[NANS] = np.add.reduceat(missing.astype(np.int64), starts)
    for at, s, t, v in (
        (starts, FIRST_S, FIRST_T, FIRST_V),
        (min_at, MIN_S, MIN_T, MIN_V),
        (max_at, MAX_S, MAX_T, MAX_V),
        (ends, LAST_S, LAST_T, LAST_V),
        (nan_at, NAN_S, NAN_T, None),
    ):
        found = at >= 0
        safe = np.where(found, at, 0)
        ints[s] = np.where(found, steps[safe], 0)
        ints[t] = np.where(found, timestamps[safe], 0)
        if v is not None:
            floats[v] = np.where(found, values[safe], np.nan)
    return Buckets(ints, floats)


def merge(buckets: Buckets, keys: np.ndarray) -> Buckets:
    """One bucket per distinct key, merging the buckets that share it (in any order)."""
    if len(buckets) == 0:
        return buckets
    order = np.lexsort((buckets.ints[FIRST_T], buckets.ints[FIRST_S], keys))
    b, keys = buckets.take(order), keys[order]
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    ends = np.append(starts[1:], len(keys)) - 1
    groups = len(starts)
    owner = np.repeat(np.arange(groups), ends - starts + 1)
    ints = np.empty((_INT_COLUMNS, groups), np.int64)
    floats = np.empty((_FLOAT_COLUMNS, groups))
    ints[INDEX] = keys[starts]
    ints[COUNT] = np.add.reduceat(b.ints[COUNT], starts)
    ints[NANS] = np.add.reduceat(b.ints[NANS], starts)
    # The first point is the first bucket's (sorted by first step and timestamp); the last
    # is the bucket whose last point is latest; the first NaN the earliest among buckets
    # that have one. Owner first in each sort keeps every group where it was.
    last_at = np.lexsort((b.ints[LAST_T], b.ints[LAST_S], owner))[ends]
    nan_at = np.lexsort((b.ints[NAN_T], b.ints[NAN_S], b.ints[NANS] == 0, owner))[starts]
    lows = np.where(np.isnan(b.floats[MIN_V]), np.inf, b.floats[MIN_V])
    highs = np.where(np.isnan(b.floats[MAX_V]), -np.inf, b.floats[MAX_V])
    has_min = ~np.isnan(b.floats[MIN_V])
    has_max = ~np.isnan(b.floats[MAX_V])
    min_at = _first_hit(owner, has_min & (lows == np.minimum.reduceat(lows, starts)[owner]), groups)
    max_at = _first_hit(
        owner, has_max & (highs == np.maximum.reduceat(highs, starts)[owner]), groups
    )
    _pick(ints, floats, b, starts, (FIRST_S, FIRST_T, FIRST_V))
    _pick(ints, floats, b, last_at, (LAST_S, LAST_T, LAST_V))
    _pick(ints, floats, b, min_at, (MIN_S, MIN_T, MIN_V))
    _pick(ints, floats, b, max_at, (MAX_S, MAX_T, MAX_V))
    _pick(ints, floats, b, nan_at, (NAN_S, NAN_T, None))
    return Buckets(ints, floats)


def thin(buckets: Buckets, max_points: int) -> Buckets:
    """Neighbouring buckets merged until their points fit in `max_points`."""
    target = max_points // (5 if bool((buckets.ints[NANS] > 0).any()) else 4)
    if len(buckets) <= target:
        return buckets
    return merge(buckets, evenly(len(buckets), target))


def evenly(count: int, groups: int) -> np.ndarray:
    """Group numbers cutting `count` consecutive items into `groups` nearly equal runs."""
    return (np.arange(count, dtype=np.int64) * groups) // count


def points(buckets: Buckets) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each bucket's first, min, max and last points and its first NaN, once each, ordered
    by step, timestamp and value."""
    b = buckets
    has_min = ~np.isnan(b.floats[MIN_V])
    has_max = ~np.isnan(b.floats[MAX_V])
    has_nan = b.ints[NANS] > 0
    steps = np.concatenate(
        (b.ints[FIRST_S], b.ints[MIN_S][has_min], b.ints[MAX_S][has_max], b.ints[LAST_S],
         b.ints[NAN_S][has_nan])
    )  # fmt: skip
    stamps = np.concatenate(
        (b.ints[FIRST_T], b.ints[MIN_T][has_min], b.ints[MAX_T][has_max], b.ints[LAST_T],
         b.ints[NAN_T][has_nan])
    )  # fmt: skip
    values = np.concatenate(
        (b.floats[FIRST_V], b.floats[MIN_V][has_min], b.floats[MAX_V][has_max],
         b.floats[LAST_V], np.full(int(has_nan.sum()), np.nan))
    )  # fmt: skip
    order = np.lexsort((values, stamps, steps))
    steps, stamps, values = steps[order], stamps[order], values[order]
    same_value = (values[1:] == values[:-1]) | (np.isnan(values[1:]) & np.isnan(values[:-1]))
    repeat = (steps[1:] == steps[:-1]) & (stamps[1:] == stamps[:-1]) & same_value
    keep = np.concatenate(([True], ~repeat)) if len(steps) else np.zeros(0, bool)
    return steps[keep], stamps[keep], values[keep]


def _first_hit(owner: np.ndarray, mask: np.ndarray, groups: int) -> np.ndarray:
    """For each group, the position of its first True in `mask`, or -1."""
    chosen = np.full(groups, -1, dtype=np.int64)
    hits = np.flatnonzero(mask)
    # Reversed assignment leaves each group's first hit in place.
    chosen[owner[hits][::-1]] = hits[::-1]
    return chosen


def _pick(
    ints: np.ndarray,
    floats: np.ndarray,
    source: Buckets,
    at: np.ndarray,
    columns: tuple[int, int, int | None],
) -> None:
    """Copy one point's columns (step, timestamp, value) from `source`'s buckets `at`
    (-1: none, giving zeros and NaN) into the merged columns."""
    s, t, v = columns
    found = at >= 0
    safe = np.where(found, at, 0)
    ints[s] = np.where(found, source.ints[s][safe], 0)
    ints[t] = np.where(found, source.ints[t][safe], 0)
    if v is not None:
        floats[v] = np.where(found, source.floats[v][safe], np.nan)
