"""What the debugger panel reads of a run's tensor series (see `service` for the keys): the
catalogue of its tensors, statistics downsampled like metrics, and histograms over steps.

The panel asks in terms of tensors and statistics, never of series keys: these functions make
the keys, read them through tracking's series interface and shape the answer. A series that
was never written reads as empty, as a metric never logged does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from studio.debugger.entities import MODES
from studio.debugger.record import collection_of, module_of
from studio.debugger.service import TENSOR_KIND, parse_key, series_key
from studio.debugger.stats import STATS
from studio.debugger.store import check_mode
from studio.errors import InvalidInput

if TYPE_CHECKING:
    from studio.tracking.entities import MetricHistory
    from studio.tracking.series_api import RunSeries

__all__ = [
    "HISTOGRAM",
    "HISTOGRAM_EDGE",
    "SCALARS_TENSOR",
    "Histograms",
    "TensorCatalog",
    "TensorInfo",
    "TensorSeries",
    "histograms",
    "tensor_catalog",
    "tensor_series",
]

SCALARS_TENSOR = "step"
"""The pseudo-tensor of a step's own scalars ("train/step/skipped")."""
HISTOGRAM = "hist"
HISTOGRAM_EDGE = "edge"
# "<vector>[<i>]": element i of a vector summary (histogram counts and edges included).
_ELEMENT = re.compile(r"^(?P<name>.+)\[(?P<index>\d+)\]$")


@dataclass
class TensorInfo:
    """What is stored of one tensor in one mode."""

    name: str
    mode: str
    stats: list[str] = field(default_factory=list)
    histogram: bool = False
    vectors: list[str] = field(default_factory=list)

    @property
    def collection(self) -> str:
        return collection_of(self.name)

    @property
    def module(self) -> str:
        return module_of(self.name)


@dataclass
class TensorCatalog:
    """A run's tensors by mode, in first-seen order, and each mode's step scalars."""

    tensors: list[TensorInfo]
    modes: list[str]
    scalars: dict[str, list[str]]


@dataclass
class TensorSeries:
    """One statistic of one tensor in one mode, read as a metric's history."""

    tensor: str
    mode: str
    stat: str
    history: MetricHistory


@dataclass
class Histograms:
    """A tensor's histograms: fixed `edges` (bins + 1), and `counts[i]` at `steps[i]`."""

    tensor: str
    mode: str
    edges: list[float]
    steps: list[int]
    counts: list[list[float]]
    total_steps: int


def element(name: str) -> tuple[str, int] | None:
    """("active", 17) for "active[17]"; None for a plain statistic or scalar."""
    found = _ELEMENT.match(name)
    return None if found is None else (found["name"], int(found["index"]))


def tensor_catalog(series: RunSeries, run_id: str, mode: str | None = None) -> TensorCatalog:
    """Every tensor of a run (in one mode) with the statistics, histogram and vector
    summaries stored of it."""
    prefix = None if mode is None else f"{check_mode(mode)}/"
    tensors: dict[tuple[str, str], TensorInfo] = {}
    scalars: dict[str, list[str]] = {}
    for info in series.list_series(run_id, TENSOR_KIND, prefix):
        found_mode, tensor, name = parse_key(info.key)
        if found_mode not in MODES:  # not a key of the storage contract: nothing to show
            continue
        if tensor == SCALARS_TENSOR:
            scalars.setdefault(found_mode, []).append(name)
            continue
        entry = tensors.setdefault((found_mode, tensor), TensorInfo(tensor, found_mode))
        vector = element(name)
        if vector is None:
            if name in STATS:
                entry.stats.append(name)
        elif vector[0] in (HISTOGRAM, HISTOGRAM_EDGE):
            entry.histogram = True
        elif vector[0] not in entry.vectors:
            entry.vectors.append(vector[0])
    for entry in tensors.values():
        entry.stats.sort(key=STATS.index)
    modes = list(dict.fromkeys([mode for mode, _ in tensors] + list(scalars)))
    return TensorCatalog(list(tensors.values()), modes, scalars)


def tensor_series(
    series: RunSeries,
    run_id: str,
    tensors: Sequence[str],
    stats: Sequence[str],
    mode: str,
    max_points: int | None,
    *,
    min_step: int | None = None,
    max_step: int | None = None,
) -> list[TensorSeries]:
    """Statistics of tensors in one mode, each at most `max_points` keeping each bucket's
    extremes (None: every point), tensor by tensor, statistics in the order asked for."""
    mode = check_mode(mode)
    unknown = [stat for stat in stats if stat not in STATS]
    if unknown:
        raise InvalidInput(f"Unknown statistics {unknown}: choose among {', '.join(STATS)}.")
    wanted = [(tensor, stat) for tensor in dict.fromkeys(tensors) for stat in dict.fromkeys(stats)]
    keys = [series_key(mode, tensor, stat) for tensor, stat in wanted]
    found = series.read_many(
        run_id, TENSOR_KIND, keys, max_points, min_step=min_step, max_step=max_step
    )
    return [
        TensorSeries(tensor, mode, stat, found[key])
        for (tensor, stat), key in zip(wanted, keys, strict=True)
    ]


def histograms(
    series: RunSeries,
    run_id: str,
    tensor: str,
    mode: str,
    max_steps: int,
    *,
    min_step: int | None = None,
    max_step: int | None = None,
) -> Histograms:
    """A tensor's histograms in [min_step, max_step], at most `max_steps` steps evenly
    chosen among those stored (the first and the last always)."""
    mode = check_mode(mode)
    if max_steps < 1:
        raise InvalidInput("max_steps must be at least 1.")
    prefix = series_key(mode, tensor, "")
    bins: dict[int, str] = {}
    edges: dict[int, str] = {}
    for info in series.list_series(run_id, TENSOR_KIND, prefix):
        _, name_tensor, name = parse_key(info.key)
        vector = element(name)
        if name_tensor != tensor or vector is None:
            continue
        if vector[0] == HISTOGRAM:
            bins[vector[1]] = info.key
        elif vector[0] == HISTOGRAM_EDGE:
            edges[vector[1]] = info.key
    edge_keys = [edges[index] for index in sorted(edges)]
    bin_keys = [bins[index] for index in sorted(bins)]
    edge_histories = series.read_many(run_id, TENSOR_KIND, edge_keys)
    # The edges are written once, at the first histogram step; the latest write wins.
    edge_values = [float(h.values[-1]) for h in edge_histories.values() if h.values]
    counts = series.read_many(run_id, TENSOR_KIND, bin_keys, min_step=min_step, max_step=max_step)
    steps, table = _by_step([counts[key] for key in bin_keys])
    chosen = _thinned(len(steps), max_steps)
    return Histograms(
        tensor=tensor,
        mode=mode,
        edges=edge_values if len(edge_values) == len(edge_keys) else [],
        steps=[int(steps[index]) for index in chosen],
        counts=[table[index].tolist() for index in chosen],
        total_steps=len(steps),
    )


def _by_step(columns: Sequence[MetricHistory]) -> tuple[np.ndarray, np.ndarray]:
    """(steps, counts[step, bin]) of the bins' series; a bin missing at a step counts 0."""
    if not columns:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 0))
    steps = np.unique(np.concatenate([np.asarray(c.steps, dtype=np.int64) for c in columns]))
    table = np.zeros((len(steps), len(columns)))
    for index, column in enumerate(columns):
        rows = np.searchsorted(steps, np.asarray(column.steps, dtype=np.int64))
        table[rows, index] = column.values  # a step written twice: its last value
    return steps, table


def _thinned(count: int, wanted: int) -> list[int]:
    if count <= wanted:
        return list(range(count))
    return sorted({int(i) for i in np.linspace(0, count - 1, wanted).round()})
