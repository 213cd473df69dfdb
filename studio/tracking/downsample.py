"""Downsampling of long metric series that keeps every bucket's extremes visible."""

from __future__ import annotations

import numpy as np


def min_max_indices(values: np.ndarray, max_points: int) -> np.ndarray:
    """Indices of at most `max_points` points: the first, the last, and the minimum and
    maximum of each of about `max_points / 2` equal buckets (and its first NaN, when the
    series has NaNs: then about `max_points / 3` buckets), in their original order.

    Unlike plain striding, a spike (or a NaN/Inf blow-up) anywhere in the series survives.
    """
    count = len(values)
    if max_points <= 0:
        raise ValueError("max_points must be positive")
    if count <= max_points:
        return np.arange(count)
    if max_points < 4:
        return np.unique(np.linspace(0, count - 1, max_points).round().astype(np.int64))
    missing = np.isnan(values)
    has_nan = bool(missing.any())
    buckets = (max_points - 2) // (3 if has_nan else 2)
    edges = np.linspace(1, count - 1, buckets + 1).astype(np.int64)
    low = np.where(missing, np.inf, values)
    high = np.where(missing, -np.inf, values)
    starts, stops = edges[:-1], edges[1:]
    picks = [np.array([0, count - 1], dtype=np.int64)]
    nonempty = stops > starts
    starts, stops = starts[nonempty], stops[nonempty]
    # reduceat gives each bucket's extreme value; the index comes from a masked search.
    bucket_of = np.repeat(np.arange(len(starts)), stops - starts)
    segment = np.arange(starts[0], stops[-1])
    min_values = np.minimum.reduceat(low[segment], starts - starts[0])
    max_values = np.maximum.reduceat(high[segment], starts - starts[0])
    is_min = low[segment] == min_values[bucket_of]
    is_max = high[segment] == max_values[bucket_of]
    picks.append(_first_per_bucket(segment, bucket_of, is_min, len(starts)))
    picks.append(_first_per_bucket(segment, bucket_of, is_max, len(starts)))
    if has_nan:
        picks.append(_first_per_bucket(segment, bucket_of, missing[segment], len(starts)))
    return np.unique(np.concatenate(picks))


def _first_per_bucket(
    segment: np.ndarray, bucket_of: np.ndarray, mask: np.ndarray, buckets: int
) -> np.ndarray:
    chosen = np.full(buckets, -1, dtype=np.int64)
    hit_buckets = bucket_of[mask]
    hit_indices = segment[mask]
    # Reversed assignment leaves the first hit of each bucket in place.
    chosen[hit_buckets[::-1]] = hit_indices[::-1]
    return chosen[chosen >= 0]
