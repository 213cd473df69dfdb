"""The remote side of the debugger: findings, rule states and tensor statistics of runs on a
Studio server, with `DebuggerService`'s names, answers and errors.

It rides on the run's `RestTrackingClient`: the same base URL, token and error handling, and
its series interface for the statistics (which are series of their run).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

from pydantic import ValidationError

from studio.debugger.schemas import (
    MAX_FINDINGS_PAGE,
    MAX_FINDINGS_POSTED,
    FindingsIn,
    FindingsOut,
    RulesIn,
    RulesOut,
)
from studio.debugger.service import DebuggerService
from studio.debugger.store import plain_json
from studio.errors import InvalidInput

if TYPE_CHECKING:
    import pandas as pd

    from studio.debugger.entities import Finding, RuleState
    from studio.tracking.rest import RestTrackingClient
    from studio.tracking.rest_series import RestRunSeries

__all__ = ["RestDebuggerClient"]


class RestDebuggerClient:
    """`DebuggerService`'s reads and writes of runs over a Studio server's REST API."""

    def __init__(self, tracking: RestTrackingClient) -> None:
        self.tracking = tracking
        # The same request function the tracking client's series use (its URL and token).
        self._json = tracking._json
        self.series: RestRunSeries = tracking.series

    def __repr__(self) -> str:
        return f"RestDebuggerClient({self.tracking.base_url!r})"

    def record_findings(self, run_id: str, findings: Sequence[Finding]) -> list[Finding]:
        """As `DebuggerService.record_findings`; more than one request holds are sent as
        several, each all or nothing."""
        stored: list[Finding] = []
        for start in range(0, len(findings), MAX_FINDINGS_POSTED):
            part = findings[start : start + MAX_FINDINGS_POSTED]
            body = _checked(
                FindingsIn, {"findings": [_finding_fields(finding) for finding in part]}
            )
            answer = self._json("POST", _path(run_id, "findings"), FindingsOut, body=body)
            stored += [finding.to_entity() for finding in answer.findings]
        return stored

    def get_findings(
        self,
        run_id: str,
        rule: str | None = None,
        *,
        after_id: int | None = None,
        max_results: int | None = None,
    ) -> list[Finding]:
        """As `DebuggerService.get_findings`: without `max_results`, every page followed."""
        found: list[Finding] = []
        while True:
            wanted = MAX_FINDINGS_PAGE if max_results is None else max_results - len(found)
            query: dict[str, Any] = {"max_results": min(wanted, MAX_FINDINGS_PAGE)}
            if rule is not None:
                query["rule"] = rule
            if after_id is not None:
                query["after_id"] = after_id
            page = self._json("GET", _path(run_id, "findings"), FindingsOut, query=query)
            found += [finding.to_entity() for finding in page.findings]
            if len(page.findings) < query["max_results"] or len(found) == max_results:
                return found
            after_id = page.findings[-1].id

    def save_rule_states(self, run_id: str, states: Sequence[RuleState]) -> None:
        body = _checked(RulesIn, {"rules": [_state_fields(state) for state in states]})
        self._json("PUT", _path(run_id, "rules"), RulesOut, body=body)

    def get_rule_states(self, run_id: str) -> list[RuleState]:
        answer = self._json("GET", _path(run_id, "rules"), RulesOut)
        return [state.to_entity() for state in answer.rules]

    def get_tensor_stats(
        self,
        run_id: str,
        tensor: str | Iterable[str] | None = None,
        stats: str | Iterable[str] | None = None,
        mode: str | None = None,
        *,
        min_step: int | None = None,
        max_step: int | None = None,
    ) -> pd.DataFrame:
        """As `DebuggerService.get_tensor_stats`, at full resolution: the run's series are
        listed and each read through tracking's series routes, a page of up to 100,000
        points per request."""
        # The service's own reading, on this client's series interface (all it touches).
        return DebuggerService.get_tensor_stats(
            cast("DebuggerService", self),
            run_id,
            tensor,
            stats,
            mode,
            min_step=min_step,
            max_step=max_step,
        )


def _path(run_id: str, what: str) -> str:
    return f"/runs/{quote(run_id, safe='')}/debugger/{what}"


def _finding_fields(finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "step": finding.step,
        "mode": finding.mode,
        "tensors": list(finding.tensors),
        "message": finding.message,
        "values": plain_json(finding.values),
    }


def _state_fields(state: RuleState) -> dict[str, Any]:
    return {
        "rule": state.rule,
        "status": state.status,
        "parameters": plain_json(state.parameters),
        "last_step": state.last_step,
    }


def _checked(model: type[FindingsIn] | type[RulesIn], fields: dict[str, Any]) -> Any:
    """The request body, refused before sending as the local service would refuse it."""
    try:
        return model.model_validate(fields, strict=False)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors(include_url=False)
        )
        raise InvalidInput(problems) from exc
