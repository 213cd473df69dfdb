"""The rule engine: runs a set of rules on each record as it arrives, and keeps their states."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from studio.debugger.entities import Finding, RuleState, RuleStatus

if TYPE_CHECKING:
    from studio.debugger.record import StepRecord
    from studio.debugger.rules.base import Rule

__all__ = ["RuleEngine"]


class RuleEngine:
    """Runs `rules` on records, in the training process. Thread-safe: the training thread
    observes while a watchdog thread may ask idle rules."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        names = [rule.name for rule in rules]
        if len(set(names)) != len(names):
            raise ValueError(f"Each rule once: {sorted(names)} repeats a name.")
        self.rules = list(rules)
        self._lock = threading.Lock()
        self._last_step: dict[str, int | None] = {rule.name: None for rule in rules}
        self._counts: dict[str, int] = {rule.name: 0 for rule in rules}

    def observe(self, record: StepRecord) -> list[Finding]:
        """Every rule's findings on one record (rules of other modes skip it)."""
        found: list[Finding] = []
        with self._lock:
            for rule in self.rules:
                if rule.modes is not None and record.mode not in rule.modes:
                    continue
                new = list(rule.observe(record))
                self._account(rule, record.step, new)
                found += new
        return found

    def idle(self, seconds: float, last_step: int | None) -> list[Finding]:
        """The watchdog rules' findings after `seconds` without a record."""
        found: list[Finding] = []
        with self._lock:
            for rule in self.rules:
                if rule.watchdog:
                    new = list(rule.idle(seconds, last_step))
                    if new:
                        self._account(rule, last_step, new)
                    found += new
        return found

    def finish(self) -> list[Finding]:
        """Every rule's findings once the last record has been observed."""
        found: list[Finding] = []
        with self._lock:
            for rule in self.rules:
                new = list(rule.finish())
                if new:
                    self._account(rule, None, new)
                found += new
        return found

    def rule(self, name: str) -> Rule:
        """The rule of that name (KeyError otherwise)."""
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise KeyError(name)

    def states(self) -> list[RuleState]:
        """Each rule's state now."""
        with self._lock:
            return [
                rule.state(
                    self._status(rule.name), self._last_step[rule.name], self._counts[rule.name]
                )
                for rule in self.rules
            ]

    def _status(self, name: str) -> RuleStatus:
        if self._last_step[name] is None and not self._counts[name]:
            return RuleStatus.NOT_EVALUATED
        # Like SageMaker's IssuesFound: a rule that fired on a run stays firing on it.
        return RuleStatus.FIRING if self._counts[name] else RuleStatus.OK

    def _account(self, rule: Rule, step: int | None, new: list[Finding]) -> None:
        if step is not None:
            self._last_step[rule.name] = step
        self._counts[rule.name] += len(new)
