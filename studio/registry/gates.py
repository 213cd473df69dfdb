"""Promotion gates: conditions a version's run metrics must meet, written `>= 0.9`.

A registered model declares `{"accuracy": ">= 0.9", "log_loss": "< 0.3"}`; approving a
version checks its run's latest value of each metric. `studio.evaluate(thresholds=...)`
reads the same syntax, so one rule is written one way everywhere.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from studio.errors import InvalidInput

__all__ = [
    "MAX_CONDITION_LENGTH",
    "MAX_GATES",
    "OPERATORS",
    "Condition",
    "GateResult",
    "check_gates",
    "parse_condition",
    "parse_gate",
    "validate_gates",
]

MAX_CONDITION_LENGTH = 100
MAX_GATES = 100
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
}
_CONDITION = re.compile(r"^\s*(>=|<=|==|!=|>|<)\s*(\S+)\s*$")
_GATE = re.compile(r"^\s*([^<>=!\s][^<>=!]*?)\s*((?:>=|<=|==|!=|>|<).*)$")


@dataclass(frozen=True)
class Condition:
    """An operator and a finite number: `>= 0.9`."""

    op: str
    value: float

    def holds(self, measured: float | None) -> bool:
        if measured is None or math.isnan(measured):
            return False
        return OPERATORS[self.op](measured, self.value)

    def __str__(self) -> str:
        return f"{self.op} {_number(self.value)}"


@dataclass(frozen=True)
class GateResult:
    """One gate checked: the run's latest value of `metric` (None: never logged)."""

    metric: str
    condition: str
    value: float | None
    passed: bool

    @property
    def message(self) -> str:
        if self.value is None:
            return f"{self.metric} {self.condition}: the run logged no {self.metric!r} metric"
        verdict = "passes" if self.passed else "fails"
        return f"{self.metric} {self.condition}: {_number(self.value)} {verdict}"


def parse_condition(text: str) -> Condition:
    """`">= 0.9"` -> Condition(">=", 0.9); InvalidInput naming the text otherwise."""
    if not isinstance(text, str) or len(text) > MAX_CONDITION_LENGTH:
        raise InvalidInput(f"Invalid condition {text!r}: write an operator and a number.")
    found = _CONDITION.match(text)
    wrong = InvalidInput(
        f"Invalid condition {text!r}: write an operator (>=, >, <=, <, ==, !=) and a number, "
        "e.g. '>= 0.9'."
    )
    if found is None:
        raise wrong
    try:
        value = float(found.group(2))
    except ValueError:
        raise wrong from None
    if not math.isfinite(value):
        raise wrong
    return Condition(found.group(1), value)


def parse_gate(text: str) -> tuple[str, Condition]:
    """`"accuracy >= 0.9"` -> ("accuracy", Condition(">=", 0.9)) (the command line's form)."""
    found = _GATE.match(text) if isinstance(text, str) else None
    if found is None:
        raise InvalidInput(f"Invalid gate {text!r}: write a metric, an operator and a number.")
    return found.group(1), parse_condition(found.group(2))


def validate_gates(gates: Mapping[str, str] | None) -> dict[str, str]:
    """Gates checked and normalised (`">=0.90"` -> `">= 0.9"`)."""
    if gates is None:
        return {}
    if len(gates) > MAX_GATES:
        raise InvalidInput(f"A model has at most {MAX_GATES} gates.")
    checked = {}
    for metric, text in gates.items():
        if (
            not isinstance(metric, str)
            or not metric.strip()
            or len(metric) > 250
            or "\x00" in metric
        ):
            raise InvalidInput(f"Invalid gate metric name {metric!r}.")
        checked[metric] = str(parse_condition(text))
    return checked


def check_gates(gates: Mapping[str, str], metrics: Mapping[str, float]) -> list[GateResult]:
    """Each gate against `metrics` (a run's latest values), in the gates' order."""
    results = []
    for metric, text in gates.items():
        condition = parse_condition(text)
        value = metrics.get(metric)
        results.append(GateResult(metric, str(condition), value, condition.holds(value)))
    return results


def _number(value: float) -> str:
    """A number as written back: 0.9, 3, 1e-07 (never rounded away)."""
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
