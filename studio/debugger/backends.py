"""Which debugger backend serves a tracking backend: the local `DebuggerService` on the
tracking service's own database, or a `RestDebuggerClient` on the same Studio server.

`studio.Client` and a run's `RunSink` find theirs here, so that the debugger follows wherever
the run is logged (`STUDIO_TRACKING_URI`), with no configuration of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from studio.debugger.rest import RestDebuggerClient
from studio.debugger.service import DebuggerService
from studio.tracking.rest import RestTrackingClient
from studio.tracking.service import TrackingService

if TYPE_CHECKING:
    import pandas as pd

    from studio.debugger.entities import Finding, RuleState
    from studio.tracking.backends import SeriesBackend

__all__ = ["DebuggerBackend", "debugger_backend"]


class DebuggerBackend(Protocol):
    """What `DebuggerService` and `RestDebuggerClient` both offer."""

    @property
    def series(self) -> SeriesBackend: ...

    def record_findings(self, run_id: str, findings: Sequence[Finding]) -> list[Finding]: ...
    def get_findings(
        self,
        run_id: str,
        rule: str | None = None,
        *,
        after_id: int | None = None,
        max_results: int | None = None,
    ) -> list[Finding]: ...
    def save_rule_states(self, run_id: str, states: Sequence[RuleState]) -> None: ...
    def get_rule_states(self, run_id: str) -> list[RuleState]: ...
    def get_tensor_stats(
        self,
        run_id: str,
        tensor: str | Iterable[str] | None = None,
        stats: str | Iterable[str] | None = None,
        mode: str | None = None,
        *,
        min_step: int | None = None,
        max_step: int | None = None,
    ) -> pd.DataFrame: ...


def debugger_backend(tracking: Any) -> DebuggerBackend:
    """The debugger backend beside a tracking backend (a `TrackingService` or a
    `RestTrackingClient`, as `studio.tracking.backends.connect` makes them)."""
    if isinstance(tracking, RestTrackingClient):
        return RestDebuggerClient(tracking)
    if isinstance(tracking, TrackingService):
        return DebuggerService(tracking.store.db)
    raise TypeError(f"No debugger backend serves {tracking!r}.")
