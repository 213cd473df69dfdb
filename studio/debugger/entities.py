"""The debugger's plain domain objects: findings and rule states.

Plain dataclasses with no import beyond the standard library, so that the hooks and rules
(which run on a training machine with torch and numpy alone) can make them, and the store can
keep them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

__all__ = ["MODES", "Alert", "Finding", "RuleState", "RuleStatus"]

MODES: tuple[str, ...] = ("train", "eval", "predict")
"""The modes a statistic is recorded in (SageMaker Debugger's TRAIN, EVAL and PREDICT)."""


class RuleStatus(str, Enum):
    """Where a rule stands on a run: never evaluated yet, quiet, or firing."""

    NOT_EVALUATED = "not_evaluated"
    OK = "ok"
    FIRING = "firing"


@dataclass(frozen=True)
class Finding:
    """What a rule found: at `step` in `mode`, on `tensors`, with the `values` that made it
    fire (JSON-like: numbers, NaN and infinities included) and a sentence for people.

    `id` and `created_at` (milliseconds since the epoch) are the store's, None until stored.
    """

    rule: str
    step: int
    tensors: tuple[str, ...] = ()
    message: str = ""
    mode: str = "train"
    values: Mapping[str, Any] = field(default_factory=dict)
    id: int | None = None
    created_at: int | None = None


@dataclass(frozen=True)
class RuleState:
    """One rule's state on one run: its parameters, its status, the last step it looked at
    (None before the first) and how many findings it recorded."""

    rule: str
    status: RuleStatus = RuleStatus.NOT_EVALUATED
    parameters: Mapping[str, Any] = field(default_factory=dict)
    last_step: int | None = None
    findings: int = 0
    updated_at: int | None = None


@dataclass(frozen=True)
class Alert:
    """A finding with the run it was found on, as the sidebar's alerts list them."""

    finding: Finding
    run_id: str
    run_name: str
    experiment_id: int
