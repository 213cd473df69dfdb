"""The debugger's manager: tensor statistics as series of their run, findings, rule states.

Each statistic of each watched tensor in each mode is one series of kind "tensor" of its run,
written and read through tracking's series interface (`TrackingService.series`, DESIGN.md
"Series"), under the key

    "<mode>/<tensor>/<statistic>"     e.g. "train/encoder.layers.0/weight/l2"

The mode (`MODES`) never holds a '/', nor does a statistic (`STATS`), so the key splits
unambiguously at its first and last '/', whatever the tensor's name holds ('.' and '/'
included). A tensor name is any series key's text (letters, digits, '_', '-', '.', ' ', '/',
':'), at most 250 characters with the other parts. Being of kind "tensor", these series never
show up among the run's metrics.

`get_tensor_stats` reads them as one wide pandas DataFrame: a row per (tensor, mode, step),
with columns `tensor`, `mode`, `step`, `timestamp` and one float column per statistic asked
for, in `STATS` order; the layout a notebook filters and plots (`df[df.tensor == name]
.plot(x="step", y="l2")`). A statistic not recorded at a row's step reads NaN.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from studio.debugger.stats import STATS
from studio.debugger.store import DebuggerStore, check_mode, check_step, recent_findings
from studio.errors import InvalidInput
from studio.tracking.series_api import RunSeries
from studio.tracking.store import now_ms
from studio.tracking.validation import (
    validate_batch_id,
    validate_key,
)

if TYPE_CHECKING:
    from studio.config import StudioConfig
    from studio.db.engine import Database
    from studio.debugger.entities import Alert, Finding, RuleState
    from studio.tracking.series.store import SeriesPoints

__all__ = ["TENSOR_KIND", "DebuggerService", "parse_key", "series_key"]

TENSOR_KIND = "tensor"
"""The series kind of the debugger's tensor statistics."""

_COLUMNS = ("tensor", "mode", "step", "timestamp")


def series_key(mode: str, tensor: str, stat: str) -> str:
    """The series key of one statistic of one tensor in one mode (see the module)."""
    return f"{mode}/{tensor}/{stat}"


def parse_key(key: str) -> tuple[str, str, str]:
    """(mode, tensor, statistic) of a series key made by `series_key`."""
    mode, _, rest = key.partition("/")
    tensor, _, stat = rest.rpartition("/")
    return mode, tensor, stat


class DebuggerService:
    """Tensor statistics, findings and rule states of runs, over one database.

    The service factory of the debugger's feature declaration: `(database, config)`.
    """

    def __init__(self, database: Database, config: StudioConfig | None = None) -> None:
        self.store = DebuggerStore(database)
        # Tracking's series interface: the same class as `TrackingService.series`.
        self.series = RunSeries(database)

    # Tensor statistics --------------------------------------------------------------------

    def save_tensor_stats(
        self,
        run_id: str,
        mode: str,
        steps: Sequence[int] | npt.NDArray[np.integer],
        tensors: Sequence[str],
        values: npt.ArrayLike,
        *,
        stats: Sequence[str] = STATS,
        timestamps: Sequence[int] | npt.NDArray[np.integer] | None = None,
        batch_id: str | None = None,
    ) -> None:
        """Store the statistics of `tensors` at `steps` in `mode`: `values[i, j, k]` is
        statistic `stats[k]` of `tensors[j]` at `steps[i]` (a 2-D `values` is one step's).
        `timestamps` (ms since the epoch, one per step) default to now.

        One series append: every point or none, at most once per `batch_id`. An append too
        large for one (more than MAX_SERIES_APPEND_SERIES series or MAX_SERIES_APPEND_POINTS
        points) is TooLarge: the caller writes fewer steps at a time.
        """
        mode = check_mode(mode)
        stats = _check_stats(stats)
        names = _check_tensors(tensors, mode)
        step_array = np.asarray([check_step(step) for step in steps], dtype=np.int64)
        table = np.asarray(values, dtype=np.float64)
        if table.ndim == 2:
            table = table[np.newaxis]
        shape = (len(step_array), len(names), len(stats))
        if table.shape != shape:
            raise InvalidInput(
                f"values have shape {table.shape}; steps x tensors x stats is {shape}."
            )
        if timestamps is None:
            time_array = np.full(len(step_array), now_ms(), dtype=np.int64)
        else:
            time_array = np.asarray(timestamps, dtype=np.int64)
            if time_array.shape != step_array.shape:
                raise InvalidInput("Give one timestamp per step.")
        if batch_id is not None:
            validate_batch_id(batch_id)
        points = {
            series_key(mode, tensor, stat): (step_array, time_array, table[:, j, k])
            for j, tensor in enumerate(names)
            for k, stat in enumerate(stats)
        }
        self.series.append(run_id, TENSOR_KIND, points, batch_id=batch_id)

    def list_tensors(self, run_id: str, mode: str | None = None) -> list[tuple[str, str]]:
        """The (mode, tensor) pairs with statistics stored for a run, in first-seen order."""
        prefix = None if mode is None else f"{check_mode(mode)}/"
        seen: dict[tuple[str, str], None] = {}
        for info in self.series.list_series(run_id, TENSOR_KIND, prefix):
            found_mode, tensor, _ = parse_key(info.key)
            seen[(found_mode, tensor)] = None
        return list(seen)

    def get_tensor_stats(
        self,
        run_id: str,
        tensor: str | Iterable[str] | None = None,
        stats: str | Iterable[str] | None = None,
        mode: str | None = None,
        *,
        min_step: int | None = None,
        max_step: int | None = None,
    ) -> pd.DataFrame:
        """A run's tensor statistics as a wide DataFrame (see the module): of one tensor or
        several (exact names; None: all), some statistics (None: all ten), one mode (None:
        all), steps in [min_step, max_step]. Rows sorted by tensor, mode and step."""
        wanted_stats = STATS if stats is None else _check_stats(_names(stats))
        wanted_tensors = None if tensor is None else set(_names(tensor))
        prefix = None if mode is None else f"{check_mode(mode)}/"
        if prefix is not None and wanted_tensors is not None and len(wanted_tensors) == 1:
            prefix += f"{next(iter(wanted_tensors))}/"
        keys: list[str] = []
        for info in self.series.list_series(run_id, TENSOR_KIND, prefix):
            _, name, stat = parse_key(info.key)
            if stat in wanted_stats and (wanted_tensors is None or name in wanted_tensors):
                keys.append(info.key)
        histories = self.series.read_many(
            run_id, TENSOR_KIND, keys, min_step=min_step, max_step=max_step, arrays=True
        )
        return _wide(histories, wanted_stats)

    # Findings and rule states -------------------------------------------------------------

    def record_findings(self, run_id: str, findings: Sequence[Finding]) -> list[Finding]:
        """Store a run's findings (see `DebuggerStore.record_findings`)."""
        return self.store.record_findings(run_id, findings)

    def get_findings(
        self,
        run_id: str,
        rule: str | None = None,
        *,
        after_id: int | None = None,
        max_results: int | None = None,
    ) -> list[Finding]:
        """A run's findings (of one rule), in the order recorded; a page of them after the
        finding `after_id`, with `max_results`."""
        return self.store.list_findings(run_id, rule, after_id=after_id, max_results=max_results)

    def recent_findings(self, after_id: int | None = None, max_results: int = 100) -> list[Alert]:
        """Every run's newest findings, newest first (see `store.recent_findings`)."""
        return recent_findings(self.store.db, after_id, max_results)

    def save_rule_states(self, run_id: str, states: Sequence[RuleState]) -> None:
        """Create or replace rules' states on a run (see `DebuggerStore.save_rule_states`)."""
        self.store.save_rule_states(run_id, states)

    def get_rule_states(self, run_id: str) -> list[RuleState]:
        """A run's rule states, by rule name."""
        return self.store.list_rule_states(run_id)


def _names(value: str | Iterable[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _check_stats(stats: Sequence[str]) -> tuple[str, ...]:
    unknown = [stat for stat in stats if stat not in STATS]
    if unknown or not stats:
        raise InvalidInput(f"Unknown statistics {unknown}: choose among {', '.join(STATS)}.")
    if len(set(stats)) != len(stats):
        raise InvalidInput("Name each statistic once.")
    return tuple(stats)


def _check_tensors(tensors: Sequence[str], mode: str) -> list[str]:
    names = _names(tensors) if isinstance(tensors, str) else list(tensors)
    if len(set(names)) != len(names):
        raise InvalidInput("Name each tensor once.")
    for name in names:
        if not isinstance(name, str):
            raise InvalidInput(f"A tensor name is text, not {type(name).__name__} ({name!r}).")
        # The whole key must be a valid series key; say so in terms of the tensor.
        validate_key(series_key(mode, name, "count"), f"tensor {name!r}'s series")
    return names


def _wide(histories: Mapping[str, SeriesPoints], stats: Sequence[str]) -> pd.DataFrame:
    """One row per (tensor, mode, step), one column per statistic, sorted by those three."""
    by_tensor: dict[tuple[str, str], dict[str, SeriesPoints]] = {}
    for key, points in histories.items():
        if len(points.steps):
            mode, tensor, stat = parse_key(key)
            by_tensor.setdefault((tensor, mode), {})[stat] = points
    # Each tensor's rows come sorted by step: the frames in (tensor, mode) order need no sort
    # of the whole (a million rows sorted on a text column cost more than building them).
    frames = [
        _tensor_frame(tensor, mode, by_tensor[(tensor, mode)], stats)
        for tensor, mode in sorted(by_tensor)
    ]
    if not frames:
        empty = {name: pd.Series(dtype=object) for name in _COLUMNS[:2]}
        empty |= {name: pd.Series(dtype=np.int64) for name in _COLUMNS[2:]}
        empty |= {stat: pd.Series(dtype=np.float64) for stat in stats}
        return pd.DataFrame(empty)
    return pd.concat(frames, ignore_index=True)


def _tensor_frame(
    tensor: str, mode: str, found: dict[str, SeriesPoints], stats: Sequence[str]
) -> pd.DataFrame:
    """The rows of one tensor in one mode. Its statistics are written together, so they
    normally share their steps: then they are side by side as they are. Otherwise (a
    statistic missing at some step, a step recorded twice) they are aligned on the steps,
    a step recorded twice reading as its last value."""
    columns = {stat: np.asarray(found[stat].values, dtype=np.float64) for stat in found}
    first = next(iter(found.values()))
    steps = np.asarray(first.steps, dtype=np.int64)
    times = np.asarray(first.timestamps, dtype=np.int64)
    aligned = all(
        len(history.steps) == len(steps) and np.array_equal(history.steps, steps)
        for history in found.values()
    ) and bool(np.all(np.diff(steps) > 0))
    if aligned:
        names = np.full(len(steps), tensor, dtype=object)
        data: dict[str, Any] = {"tensor": names, "mode": np.full(len(steps), mode, dtype=object)}
        data |= {"step": steps, "timestamp": times}
        data |= {stat: columns.get(stat, np.full(len(steps), np.nan)) for stat in stats}
        return pd.DataFrame(data, copy=False)
    long = pd.concat(
        [
            pd.DataFrame(
                {
                    "step": np.asarray(history.steps, dtype=np.int64),
                    "timestamp": np.asarray(history.timestamps, dtype=np.int64),
                    "stat": stat,
                    "value": columns[stat],
                }
            )
            for stat, history in found.items()
        ],
        ignore_index=True,
    )
    values = long.groupby(["step", "stat"])["value"].last().unstack("stat")
    frame = values.reindex(columns=list(stats))
    frame.insert(0, "timestamp", long.groupby("step")["timestamp"].max())
    frame.columns.name = None
    frame = frame.reset_index()
    frame.insert(0, "mode", mode)
    frame.insert(0, "tensor", tensor)
    return frame
