"""Synthetic step records for the rules' tests: tensors given as numpy arrays, their
statistics computed as a hook computes them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from studio.debugger.record import StepRecord
from studio.debugger.rules import Rule, RuleEngine
from studio.debugger.stats import STATS, numpy_stats

if TYPE_CHECKING:
    from studio.debugger.entities import Finding

Vectors = Mapping[str, Mapping[str, npt.ArrayLike]]


def make_record(
    step: int,
    tensors: Mapping[str, npt.ArrayLike] | None = None,
    *,
    mode: str = "train",
    vectors: Vectors | None = None,
    scalars: Mapping[str, float] | None = None,
    timestamp: int | None = None,
) -> StepRecord:
    """A record of `tensors` (name: values) at `step`."""
    arrays = dict(tensors or {})
    return StepRecord(
        step=step,
        mode=mode,
        timestamp=1_700_000_000_000 + 1000 * step if timestamp is None else timestamp,
        tensors=tuple(arrays),
        stats=numpy_stats(list(arrays.values())).reshape(len(arrays), len(STATS)),
        vectors={
            t: {n: np.asarray(v, dtype=np.float64) for n, v in vs.items()}
            for t, vs in (vectors or {}).items()
        },
        scalars=dict(scalars or {}),
    )


def losses(
    values: Sequence[float], *, mode: str = "train", start: int = 0, every: int = 1
) -> list[StepRecord]:
    """Records holding only the loss, `values` at steps start, start + every, ..."""
    return [
        make_record(start + i * every, {"losses/loss": np.array([value])}, mode=mode)
        for i, value in enumerate(values)
    ]


def run(rule: Rule, records: Iterable[StepRecord]) -> list[Finding]:
    """Every finding of `rule` over `records`, through an engine."""
    engine = RuleEngine([rule])
    return [finding for record in records for finding in engine.observe(record)]
