"""Rules run again on a stored run, with other thresholds: `evaluate(run_id, rules=[...])`.

A run's debugger series (kind "tensor", keys "<mode>/<tensor>/<name>": the ten statistics,
the vector summaries "<vector>[<i>]", the step scalars of tensor "step"; see
`studio.debugger.service`) are read back, turned into the `StepRecord`s the hook made, in
the order it made them, and fed to a fresh `RuleEngine`. The findings and states of those rules
then replace the ones the run had under the same rule names; other rules' are kept.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

import studio
from studio.debugger.entities import MODES
from studio.debugger.record import StepRecord
from studio.debugger.rules import Rule, RuleEngine, default_rules
from studio.debugger.service import TENSOR_KIND, parse_key
from studio.debugger.stats import STATS
from studio.debugger.store import DebuggerStore, replace_rule_results
from studio.errors import InvalidInput

if TYPE_CHECKING:
    from studio.debugger.entities import Finding
    from studio.tracking.backends import SeriesBackend
    from studio.tracking.entities import MetricHistory

__all__ = ["evaluate", "stored_records"]

STEP_TENSOR = "step"
"""The tensor name of a step's scalars ("train/step/skipped")."""

_VECTOR = re.compile(r"^(?P<name>.+)\[(?P<index>\d+)\]$")
_HISTOGRAM = ("hist", "edge")  # no rule reads histograms
_STAT_INDEX = {name: index for index, name in enumerate(STATS)}


def evaluate(
    run_id: str,
    rules: str | Sequence[Rule] = "default",
    tracking_uri: str | None = None,
    *,
    record: bool = True,
) -> list[Finding]:
    """Run `rules` ("default": every built-in rule with its defaults) on the stored run
    `run_id` of the store at `tracking_uri` (None: the environment's), and answer their
    findings, in step order. With `record` (the default) they replace the run's findings and
    states of rules of the same names, which a local store keeps; without, nothing is
    written, and a Studio server's URI serves too.
    """
    if isinstance(rules, str):
        if rules != "default":
            raise InvalidInput(f'rules is "default" or a list of rules, not {rules!r}.')
        chosen = default_rules()
    else:
        chosen = list(rules)
    backend: Any = studio.Client(tracking_uri)._backend
    engine = RuleEngine(chosen)
    findings: list[Finding] = []
    for step_record in stored_records(backend.series, run_id):
        findings += engine.observe(step_record)
    if not record:
        return findings
    store = getattr(backend, "store", None)
    if store is None:
        raise InvalidInput(
            "evaluate records findings in a local store (a folder or a database URL); "
            "pass record=False to re-run rules on a Studio server's run."
        )
    names = [rule.name for rule in chosen]
    return replace_rule_results(DebuggerStore(store.db), run_id, names, findings, engine.states())


def stored_records(series: SeriesBackend, run_id: str) -> list[StepRecord]:
    """The records of a run's stored debugger series, in the order they were taken: by
    time, then mode and step (each mode counts its own steps, so the step alone does not
    order an evaluation pass among the training steps). One record per mode, step and time
    (a step saved again, once more)."""
    keys = [info.key for info in series.list_series(run_id, TENSOR_KIND)]
    histories = series.read_many(run_id, TENSOR_KIND, keys)
    builders: dict[tuple[int, int, int, int], _RecordBuilder] = {}
    order: dict[str, int] = {}
    for key in keys:
        mode, tensor, name = parse_key(key)
        if mode not in MODES:
            continue
        vector = _VECTOR.match(name)
        if vector is not None and vector["name"] in _HISTOGRAM:
            continue
        if tensor != STEP_TENSOR:
            order.setdefault(tensor, len(order))
        history = histories[key]
        for step, timestamp, value, seen in _points(history):
            where = (timestamp, MODES.index(mode), step, seen)
            builder = builders.get(where)
            if builder is None:
                builder = builders[where] = _RecordBuilder(step, mode, timestamp)
            if tensor == STEP_TENSOR:
                builder.scalars[name] = value
            elif name in _STAT_INDEX:
                builder.stat(tensor)[_STAT_INDEX[name]] = value
            elif vector is not None:
                entries = builder.vectors.setdefault(tensor, {}).setdefault(vector["name"], {})
                entries[int(vector["index"])] = value
    return [builders[where].build(order) for where in sorted(builders)]


def _points(history: MetricHistory) -> list[tuple[int, int, float, int]]:
    """(step, timestamp, value, how many earlier points share the step) of each point."""
    seen: dict[int, int] = {}
    points = []
    for step, timestamp, value in zip(
        history.steps, history.timestamps, history.values, strict=True
    ):
        count = seen.get(step, 0)
        seen[step] = count + 1
        points.append((step, timestamp, value, count))
    return points


class _RecordBuilder:
    """One record's parts as the series give them."""

    def __init__(self, step: int, mode: str, timestamp: int) -> None:
        self.step = step
        self.mode = mode
        self.timestamp = timestamp
        self.stats: dict[str, np.ndarray] = {}
        self.vectors: dict[str, dict[str, dict[int, float]]] = {}
        self.scalars: dict[str, float] = {}

    def stat(self, tensor: str) -> np.ndarray:
        row = self.stats.get(tensor)
        if row is None:
            row = self.stats[tensor] = np.full(len(STATS), np.nan)
        return row

    def build(self, order: dict[str, int]) -> StepRecord:
        # The order the series were created in: a store appends a step's series sorted by
        # key, so this is forward order (ExplodingTensor's first module) only as far as
        # the names sort so.
        tensors = sorted(self.stats, key=order.__getitem__)
        stats = np.array([self.stats[tensor] for tensor in tensors])
        vectors = {
            tensor: {name: _dense(entries) for name, entries in found.items()}
            for tensor, found in self.vectors.items()
        }
        return StepRecord(
            step=self.step,
            mode=self.mode,
            timestamp=self.timestamp,
            tensors=tuple(tensors),
            stats=stats.reshape(len(tensors), len(STATS)),
            vectors=vectors,
            scalars=self.scalars,
        )


def _dense(entries: dict[int, float]) -> np.ndarray:
    """A vector from its stored elements; one not stored at this step (a class absent from
    the batch's labels) reads 0."""
    values = np.zeros(max(entries) + 1)
    values[list(entries)] = list(entries.values())
    return values
