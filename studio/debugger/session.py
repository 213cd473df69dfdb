"""A debugging session: where a hook's records go.

Both framework entry points (`TorchHook`, scikit-learn's `watch`) hand each saved step's
`StepRecord` to one `DebugSession`, which

- runs the rules on it, in the training process, as it arrives;
- keeps the findings, and carries out their rules' actions: an alert always (the session's
  listeners, e.g. the notebook widget), `should_stop` for "stop", a flight recording for
  "record";
- hands the record, the new findings and the rules' states to its sink, which writes them
  with the run on a thread of its own, so that the training step never waits for the store.

Without a run the session keeps everything in memory (the rules still run): that is all a
training machine with torch and numpy alone needs.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from studio.debugger.rules.engine import RuleEngine
from studio.debugger.rules.watchdog import Watchdog

if TYPE_CHECKING:
    from studio.debugger.entities import Finding, RuleState
    from studio.debugger.record import StepRecord
    from studio.debugger.rules.base import Rule

__all__ = ["DebugSession", "Sink", "StopTraining"]

STATES_EVERY_S = 1.0
"""How often, at most, the rules' states go to the sink between findings."""

Listener = Callable[["DebugSession", "StepRecord | None", "Sequence[Finding]"], None]


class StopTraining(Exception):
    """Raised by a hook at a step boundary once a rule with the "stop" action has fired."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        self.findings = tuple(findings)
        first = self.findings[0] if self.findings else None
        where = f"{first.rule} at step {first.step}: {first.message}" if first else "a rule"
        super().__init__(f"Training stopped by {where}")


class Sink(Protocol):
    """Where a session's records, findings and rule states are kept."""

    def write(
        self, record: StepRecord | None, findings: Sequence[Finding], states: Sequence[RuleState]
    ) -> None:
        """Queue a record (None: findings or states alone); must not block the caller."""

    def flush(self, timeout: float | None = None) -> None:
        """Wait until everything queued is stored."""

    def close(self) -> None:
        """Flush, then stop."""


class Display(Protocol):
    """A live view of the session (a listener too); `close` renders its final state."""

    def close(self) -> None: ...


class FlightRecorder(Protocol):
    """The last saved steps' full tensor values, written as run artifacts on demand."""

    def dump(self, findings: Sequence[Finding]) -> list[str]:
        """Write the recording; answer the artifact paths."""


def _logger() -> logging.Logger:
    return logging.getLogger("studio.debugger")


class DebugSession:
    """Rules, findings, actions and the sink of one watched training (see the module).

    `rules` is "default" (every built-in rule with its defaults), None or [] (none), or a
    list of `Rule` instances. `run` is a `studio.Run` (None: keep everything in memory).
    `display` shows the session live (`studio.debugger.widget`): a widget under the cell in a
    notebook, one printed line per finding in a terminal.
    """

    def __init__(
        self,
        run: Any = None,
        rules: str | Sequence[Rule] | None = "default",
        *,
        sink: Sink | None = None,
        flight_recorder: FlightRecorder | None = None,
        display: bool = True,
    ) -> None:
        self.run = run
        self.engine = RuleEngine(_rules(rules))
        self.sink = sink if sink is not None else _sink_for(run)
        self.flight_recorder = flight_recorder
        self.findings: list[Finding] = []
        self.records = 0
        self.last_step: int | None = None
        self.last_seen = time.monotonic()
        self.listeners: list[Listener] = []
        self._stop: list[Finding] = []
        self._lock = threading.Lock()
        self._closed = False
        self._states_sent = -math.inf
        self.display = _display(self) if display else None
        # Last: its thread calls `idle`, which needs everything above.
        self.watchdog = Watchdog.start_for(self)

    @property
    def rules(self) -> list[Rule]:
        return self.engine.rules

    @property
    def should_stop(self) -> bool:
        """Whether a rule with the "stop" action has fired."""
        return bool(self._stop)

    def raise_if_stopped(self) -> None:
        """Raise `StopTraining` if a stopping rule has fired: call it at a step boundary."""
        if self._stop:
            raise StopTraining(self._stop)

    def submit(self, record: StepRecord) -> list[Finding]:
        """Run the rules on one record, act on the findings, and queue it all for the store."""
        new = self.engine.observe(record)
        with self._lock:
            self.records += 1
            self.last_step = record.step
            self.last_seen = time.monotonic()
        self._act(record, new)
        return new

    def heartbeat(self, step: int) -> None:
        """A step ended, whether saved or not: the watchdog's rules measure silence from
        here. A hook calls this at every step boundary, where a record of a saved step only
        arrives an interval later; two assignments, no lock (each is atomic)."""
        self.last_step = step
        self.last_seen = time.monotonic()

    def idle(self) -> list[Finding]:
        """Ask the watchdog rules about the silence since the last record (the watchdog
        thread calls this)."""
        with self._lock:
            seconds = time.monotonic() - self.last_seen
            last_step = self.last_step
        new = self.engine.idle(seconds, last_step)
        if new:
            self._act(None, new)
        return new

    def states(self) -> list[RuleState]:
        return self.engine.states()

    def flush(self, timeout: float | None = None) -> None:
        if self.sink is not None:
            self.sink.flush(timeout)

    def close(self) -> None:
        """Store the final rule states and wait until everything is stored."""
        if self._closed:
            return
        self._closed = True
        if self.watchdog is not None:
            self.watchdog.stop()
        last = self.engine.finish()
        if last:
            self._act(None, last)
        if self.display is not None:
            try:
                self.display.close()
            except Exception:  # a broken display must not end the training
                _logger().exception("The debugger's display could not be closed.")
        if self.sink is not None:
            self.sink.write(None, (), self.states())
            self.sink.close()

    def _states_to_write(
        self, record: StepRecord | None, new: Sequence[Finding]
    ) -> list[RuleState]:
        # The sink keeps each rule's last state; between findings, once a second tells the
        # panel where the rules stand without building every state at every saved step.
        now = time.monotonic()
        if new or record is None or now - self._states_sent >= STATES_EVERY_S:
            self._states_sent = now
            return self.states()
        return []

    def _act(self, record: StepRecord | None, new: Sequence[Finding]) -> None:
        stopping = [f for f in new if "stop" in self.engine.rule(f.rule).actions]
        recording = [f for f in new if "record" in self.engine.rule(f.rule).actions]
        with self._lock:
            self.findings += new
            self._stop += stopping
        # A display shows each finding already: logged as a warning too, it would show twice.
        level = logging.INFO if self.display is not None else logging.WARNING
        for finding in new:
            _logger().log(level, "%s at step %s: %s", finding.rule, finding.step, finding.message)
        if recording and self.flight_recorder is not None:
            try:
                self.flight_recorder.dump(recording)
            except Exception:  # a recording lost must not end the training
                _logger().exception("The flight recording could not be written.")
        if self.sink is not None:
            self.sink.write(record, new, self._states_to_write(record, new))
        for listener in list(self.listeners):
            try:
                listener(self, record, new)
            except Exception:  # a broken display must not end the training
                _logger().exception("A debugger listener failed.")


def _rules(rules: str | Sequence[Rule] | None) -> list[Rule]:
    if rules is None:
        return []
    if isinstance(rules, str):
        if rules != "default":
            raise ValueError(f'rules is "default", None or a list of rules, not {rules!r}.')
        from studio.debugger.rules import default_rules

        return default_rules()
    return list(rules)


def _display(session: DebugSession) -> Display:
    # Imported here: the widget's module is needed only where something is shown.
    from studio.debugger.widget import show

    return show(session)


def _sink_for(run: Any) -> Sink | None:
    if run is None:
        return None
    # Imported here: the store's sink pulls in the server stack, which a hook without a run
    # never needs.
    from studio.debugger.run_sink import RunSink

    return RunSink(run)
