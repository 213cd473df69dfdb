"""The remote side of the debugger: findings, rule states and tensor statistics of runs on a
Studio server, with `DebuggerService`'s names, answers and errors.

It rides on the run's `RestTrackingClient`: the same base URL, token and error handling, and
its series interface for the statistics (which are series of their run).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
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
from studio.tracking.rest_series import RestRunSeries
from studio.tracking.validation import MAX_HISTORY_POINTS, MAX_SERIES_READ_KEYS

if TYPE_CHECKING:
    import pandas as pd

    from studio.debugger.entities import Finding, RuleState
    from studio.tracking.entities import MetricHistory
    from studio.tracking.rest import RestTrackingClient

__all__ = ["RestDebuggerClient", "WholeSeries"]

MIN_POINTS = 2  # the fewest points a downsampled read may ask for


class RestDebuggerClient:
    """`DebuggerService`'s reads and writes of runs over a Studio server's REST API."""

    def __init__(self, tracking: RestTrackingClient) -> None:
        self.tracking = tracking
        # The request functions the tracking client's series use (its URL and token).
        self._json = tracking._json
        self.series = WholeSeries(tracking._json, tracking._send)

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
        listed, then read whole through tracking's series routes, many in one request
        (`WholeSeries`)."""
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


class WholeSeries(RestRunSeries):
    """Tracking's `RestRunSeries` whose `read_many` of every point asks for many series at
    once.

    Reading whole series one request each (with their pages) makes a thousand requests for
    a hundred tensors' statistics. Series read downsampled to at least their length come
    back whole (`downsampled` false), so series of similar lengths are read together, as
    many as one request allows; one longer than a request holds is read in pages.
    """

    def _read_many(
        self,
        run_id: str,
        kind: str,
        keys: Sequence[str],
        max_points: int | None,
        min_step: int | None,
        max_step: int | None,
    ) -> dict[str, MetricHistory]:
        # `read_many`'s reading (as histories, or arrays made from them).
        if max_points is not None or not keys:
            return super()._read_many(run_id, kind, keys, max_points, min_step, max_step)
        counts = {info.key: info.count for info in self.list_series(run_id, kind)}
        found: dict[str, MetricHistory] = {}
        for group, most in _groups(sorted(keys, key=lambda key: counts.get(key, 0)), counts):
            found |= super()._read_many(run_id, kind, group, most, min_step, max_step)
        for key, history in found.items():
            if history.downsampled:  # longer than a request holds, or grown since listed
                found[key] = self.read(run_id, kind, key, min_step=min_step, max_step=max_step)
        return {key: found[key] for key in keys}


def _groups(keys: list[str], counts: dict[str, int]) -> Iterator[tuple[list[str], int]]:
    """Keys in order of length, in groups read whole by one request each: (keys, points)."""
    group: list[str] = []
    most = MIN_POINTS
    for key in keys:
        length = max(MIN_POINTS, min(counts.get(key, 0), MAX_HISTORY_POINTS))
        full = (len(group) + 1) * length > MAX_HISTORY_POINTS
        if group and (full or len(group) >= MAX_SERIES_READ_KEYS):
            yield group, most
            group = []
        group.append(key)
        most = length  # the longest so far: keys come shortest first
    if group:
        yield group, most


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
