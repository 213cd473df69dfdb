"""`studio.automl`: an Optuna search over preprocessing pipelines and algorithms (AUTOML fills
this in)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["AutoML", "automl"]


@dataclass
class AutoML:
    """The result of a search: the leaderboard, the refitted best model and where it went."""

    leaderboard: pd.DataFrame
    best_model: Any
    best_run_id: str | None
    run_id: str
    task: str
    metric: str
    model_version: Any = None
    notebooks: dict[str, str] = field(default_factory=dict)
    search_seconds: float = 0.0
    post_seconds: float = 0.0


def automl(
    data: Any,
    target: str,
    *,
    task: str | None = None,
    metric: str | None = None,
    time_budget: float = 300,
    experiment: str | None = None,
    seed: int = 0,
) -> AutoML:
    raise NotImplementedError
