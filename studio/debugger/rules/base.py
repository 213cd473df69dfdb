"""A rule, and the engine that runs rules on the records of a training run.

A rule is a small Python class: it declares the collections it needs, keeps whatever state it
needs between steps, and looks at each `StepRecord` as it arrives:

    class LossAbove(Rule):
        collections = ("losses",)

        def __init__(self, limit: float = 10.0, **options):
            super().__init__(limit=limit, **options)
            self.limit = limit

        def observe(self, record):
            if "losses/loss" in record and record.stat("losses/loss", "mean") > self.limit:
                return [self.finding(record, ("losses/loss",), "The loss is above the limit.")]
            return []

A rule that fires when nothing arrives (StalledTraining) sets `watchdog = True` and answers
`idle(seconds)`, which the engine's watchdog thread calls.

Numpy and the standard library only (see `studio.debugger.record`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from studio.debugger.entities import Finding, RuleState, RuleStatus

if TYPE_CHECKING:
    from studio.debugger.record import StepRecord

__all__ = ["ACTIONS", "Rule"]

ACTIONS: tuple[str, ...] = ("alert", "stop", "record")
"""What a firing rule does: alert (always), stop training, save a flight recording."""


class Rule:
    """A rule's base class (see the module). Keyword arguments of `__init__` are the rule's
    parameters, recorded with its state; `actions` adds "stop" and/or "record" to "alert"."""

    collections: ClassVar[tuple[str, ...]] = ()
    """The collections the rule needs the hook to save (empty: whatever is saved)."""

    modes: ClassVar[tuple[str, ...] | None] = None
    """The modes whose records the rule looks at (None: every mode)."""

    watchdog: ClassVar[bool] = False
    """Whether the engine's watchdog thread calls `idle` (rules that fire on silence)."""

    def __init__(self, *, actions: str | Iterable[str] = (), **parameters: Any) -> None:
        wanted = (actions,) if isinstance(actions, str) else tuple(actions)
        unknown = [action for action in wanted if action not in ACTIONS]
        if unknown:
            raise ValueError(f"Unknown actions {unknown}: choose among {ACTIONS}.")
        self.actions: frozenset[str] = frozenset(("alert", *wanted))
        self.parameters: dict[str, Any] = dict(parameters)

    @property
    def name(self) -> str:
        """The rule's name: its class's, unless a subclass says otherwise."""
        return type(self).__name__

    def observe(self, record: StepRecord) -> Sequence[Finding]:
        """Look at one step's record; answer the findings it raises (none: an empty list)."""
        return []

    def idle(self, seconds: float, last_step: int | None) -> Sequence[Finding]:
        """For watchdog rules: nothing has arrived for `seconds` since `last_step`."""
        return []

    def finish(self) -> Sequence[Finding]:
        """The training ended: the findings of what waited for more records (an evaluation
        pass still open, say)."""
        return []

    def finding(
        self,
        record: StepRecord,
        tensors: Sequence[str],
        message: str,
        values: Mapping[str, Any] | None = None,
    ) -> Finding:
        """A finding of this rule at `record`'s step and mode."""
        return Finding(
            rule=self.name,
            step=record.step,
            tensors=tuple(tensors),
            message=message,
            mode=record.mode,
            values=dict(values or {}),
        )

    def state(self, status: RuleStatus, last_step: int | None, findings: int) -> RuleState:
        """This rule's state, as the engine records it."""
        return RuleState(
            rule=self.name,
            status=status,
            parameters=self.parameters,
            last_step=last_step,
            findings=findings,
        )
