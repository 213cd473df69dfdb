"""`studio.evaluate`: offline evaluation of a model, logged to a run (EVAL fills this in)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pandas as pd

    from studio.tracking.fluent import Run

__all__ = ["Evaluation", "evaluate"]


@dataclass(frozen=True)
class Evaluation:
    """What `evaluate` measured; `metrics` are the folds' means under CV."""

    task: str
    metrics: dict[str, float]
    baseline: dict[str, float]
    std: dict[str, float] = field(default_factory=dict)
    folds: pd.DataFrame | None = None
    passed: dict[str, bool] = field(default_factory=dict)
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)
    run_id: str | None = None
    label: str = ""


def evaluate(
    model: Any,
    X: Any,
    y: Any,
    *,
    holdout: float | None = None,
    cv: int | None = None,
    test: tuple[Any, Any] | None = None,
    task: str | None = None,
    run: Run | str | None = None,
    thresholds: Mapping[str, str] | None = None,
    seed: int = 0,
) -> Evaluation:
    raise NotImplementedError
