"""Rules run again on a stored run, with other thresholds: `evaluate(run_id, rules=[...])`.

A run's debugger series (kind "tensor", keys "<mode>/<tensor>/<name>": the ten statistics,
the vector summaries "<vector>[<i>]", the step scalars of tensor "step"; see
`studio.debugger.service`) are read back, turned into the `StepRecord`s the hook made, in
the order it made them, and fed to a fresh `RuleEngine`. The findings and states of those rules
then replace the ones the run had under the same rule names; other rules' are kept.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

import studio
from studio.debugger.backends import debugger_backend
from studio.debugger.entities import MODES
from studio.debugger.record import StepRecord
from studio.debugger.rules import Rule, RuleEngine, default_rules
from studio.debugger.service import TENSOR_KIND, DebuggerService, parse_key
from studio.debugger.stats import STATS
from studio.debugger.store import replace_rule_results
from studio.errors import InvalidInput

if TYPE_CHECKING:
    from studio.debugger.entities import Finding
    from studio.tracking.backends import SeriesBackend

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
    findings, in the order found. With `record` (the default) they replace the run's findings and
    states of rules of the same names, which a local store keeps; without, nothing is
    written, and a Studio server's URI serves too.
    """
    if isinstance(rules, str):
        if rules != "default":
            raise InvalidInput(f'rules is "default" or a list of rules, not {rules!r}.')
        chosen = default_rules()
    else:
        # Copies: rules keep state, and the caller's may run again on another run.
        chosen = [copy.deepcopy(rule) for rule in rules]
    backend = debugger_backend(studio.Client(tracking_uri)._backend)
    if record and not isinstance(backend, DebuggerService):
        raise InvalidInput(
            "evaluate replaces findings in a local store (a folder or a database URL); "
            "pass record=False to re-run rules on a Studio server's run."
        )
    engine = RuleEngine(chosen)
    findings: list[Finding] = []
    for step_record in stored_records(backend.series, run_id):
        findings += engine.observe(step_record)
    findings += engine.finish()
    if not isinstance(backend, DebuggerService) or not record:
        return findings
    names = [rule.name for rule in chosen]
    return replace_rule_results(backend.store, run_id, names, findings, engine.states())


def stored_records(series: SeriesBackend, run_id: str) -> list[StepRecord]:
    """The records of a run's stored debugger series, in the order they were taken: by
    time, then mode and step (each mode counts its own steps, so the step alone does not
    order an evaluation pass among the training steps). One record per time, mode and
    step; should a series hold two points there, its last one counts."""
    keys = [info.key for info in series.list_series(run_id, TENSOR_KIND)]
    found = series.read_many(run_id, TENSOR_KIND, keys, arrays=True)
    parts = [
        part for part in map(_Part.of, keys) if part is not None and len(found[part.key].steps)
    ]
    if not parts:
        return []
    points = [found[part.key] for part in parts]
    times = np.concatenate([p.timestamps for p in points]).astype(np.int64)
    steps = np.concatenate([p.steps for p in points]).astype(np.int64)
    modes = np.concatenate(
        [np.full(len(p.steps), part.mode) for part, p in zip(parts, points, strict=True)]
    )
    where, at = np.unique(np.stack([times, modes, steps], axis=1), axis=0, return_inverse=True)
    at = at.reshape(-1)
    ends = np.cumsum([len(p.steps) for p in points])
    tensors = list(dict.fromkeys(part.tensor for part in parts if part.stat is not None))
    column = {tensor: index for index, tensor in enumerate(tensors)}
    stats = np.full((len(where), len(tensors), len(STATS)), np.nan)
    vectors: dict[tuple[str, str], dict[int, tuple[np.ndarray, np.ndarray]]] = {}
    scalars: dict[str, np.ndarray] = {}
    for part, values, stop in zip(parts, points, ends, strict=True):
        rows = at[stop - len(values.steps) : stop]
        if part.stat is not None:
            stats[rows, column[part.tensor], part.stat] = values.values
        elif part.vector is not None:
            elements = vectors.setdefault((part.tensor, part.vector[0]), {})
            elements[part.vector[1]] = (rows, np.asarray(values.values, dtype=np.float64))
        else:
            scalar = scalars.setdefault(part.tensor, np.full(len(where), np.nan))
            scalar[rows] = values.values
    saved = ~np.isnan(stats).all(axis=2)
    vector_rows = {name: _vector_rows(elements, len(where)) for name, elements in vectors.items()}
    records = []
    for row, (timestamp, mode, step) in enumerate(where.tolist()):
        chosen = np.flatnonzero(saved[row])
        record_vectors: dict[str, dict[str, np.ndarray]] = {}
        for (tensor, name), (present, table) in vector_rows.items():
            if present[row]:
                record_vectors.setdefault(tensor, {})[name] = table[row]
        records.append(
            StepRecord(
                step=step,
                mode=MODES[mode],
                timestamp=timestamp,
                tensors=tuple(tensors[index] for index in chosen),
                stats=stats[row, chosen],
                vectors=record_vectors,
                scalars={
                    name: float(values[row])
                    for name, values in scalars.items()
                    if not np.isnan(values[row])
                },
            )
        )
    return records


def _vector_rows(
    elements: dict[int, tuple[np.ndarray, np.ndarray]], count: int
) -> tuple[np.ndarray, np.ndarray]:
    """Which records hold a vector, and its value in each: (count,) and (count, length). An
    element not stored at a record (a class absent from its batch's labels) reads 0."""
    present = np.zeros(count, dtype=bool)
    table = np.zeros((count, max(elements) + 1))
    for index, (rows, values) in elements.items():
        present[rows] = True
        table[rows, index] = values
    return present, table


class _Part:
    """What one series key holds: a statistic, an element of a vector, or a step scalar."""

    def __init__(
        self, key: str, mode: int, tensor: str, stat: int | None, vector: tuple[str, int] | None
    ) -> None:
        self.key = key
        self.mode = mode
        self.tensor = tensor
        self.stat = stat
        self.vector = vector

    @classmethod
    def of(cls, key: str) -> _Part | None:
        """The part of `key`; None for what no rule reads (histograms) or is not the
        debugger's (an unknown mode or statistic)."""
        mode, tensor, name = parse_key(key)
        if mode not in MODES:
            return None
        if tensor == STEP_TENSOR:
            return cls(key, MODES.index(mode), name, None, None)
        if name in _STAT_INDEX:
            return cls(key, MODES.index(mode), tensor, _STAT_INDEX[name], None)
        element = _VECTOR.match(name)
        if element is None or element["name"] in _HISTOGRAM:
            return None
        return cls(key, MODES.index(mode), tensor, None, (element["name"], int(element["index"])))
