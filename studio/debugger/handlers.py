"""REST handlers of the training debugger: parse, make one call, serialize.

They reach the app's `DebuggerService` as `debugger`; the panel's reads of tensor series go
through `studio.debugger.reads` on the service's series interface.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from jupyter_server.auth.decorator import authorized
from tornado import web

from studio.debugger import reads
from studio.debugger.feature import FEATURE
from studio.debugger.schemas import (
    AlertsOut,
    AlertsQuery,
    FindingsIn,
    FindingsOut,
    FindingsQuery,
    HistogramsOut,
    HistogramsQuery,
    RulesIn,
    RulesOut,
    StatsOut,
    StatsQuery,
    TensorsOut,
    TensorsQuery,
)
from studio.openapi import endpoint
from studio.tracking.validation import is_run_id
from studio.web import Route, StudioAPIHandler

if TYPE_CHECKING:
    from studio.debugger.service import DebuggerService


class DebuggerHandler(StudioAPIHandler):
    """Base of the debugger's handlers, authorized as "studio.debugger"."""

    auth_resource = FEATURE.auth_resource

    @property
    def debugger(self) -> DebuggerService:
        return cast("DebuggerService", self.settings[FEATURE.settings_key])

    def path_run_id(self, value: str) -> str:
        """A run id from the path; one no run can have is a 404 before any SQL."""
        if not is_run_id(value):
            raise self.not_found(f"No run has id {value!r}.")
        return value


class TensorsHandler(DebuggerHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "A run's watched tensors with the statistics, histograms and summaries stored",
        operation_id="listDebuggerTensors",
        query=TensorsQuery,
        response=TensorsOut,
    )
    async def get(self, run_id: str) -> None:
        query = self.parse_query(TensorsQuery)
        catalog = await self.call(
            reads.tensor_catalog, self.debugger.series, self.path_run_id(run_id), query.mode
        )
        self.reply(TensorsOut.from_entity(catalog))


class StatsHandler(DebuggerHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "Statistics of tensors over steps, each downsampled keeping every bucket's extremes",
        operation_id="getDebuggerStats",
        query=StatsQuery,
        response=StatsOut,
    )
    async def get(self, run_id: str) -> None:
        query = self.parse_query(StatsQuery)
        found = await self.call(
            reads.tensor_series,
            self.debugger.series,
            self.path_run_id(run_id),
            query.tensor,
            query.stat,
            query.mode,
            query.max_points,
            min_step=query.min_step,
            max_step=query.max_step,
        )
        self.reply(StatsOut.from_entities(found))


class HistogramsHandler(DebuggerHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "A tensor's histograms over steps, at most max_steps of them, evenly chosen",
        operation_id="getDebuggerHistograms",
        query=HistogramsQuery,
        response=HistogramsOut,
    )
    async def get(self, run_id: str) -> None:
        query = self.parse_query(HistogramsQuery)
        found = await self.call(
            reads.histograms,
            self.debugger.series,
            self.path_run_id(run_id),
            query.tensor,
            query.mode,
            query.max_steps,
            min_step=query.min_step,
            max_step=query.max_step,
        )
        self.reply(HistogramsOut.from_entity(found))


class FindingsHandler(DebuggerHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "A run's findings in the order recorded, after a finding if given",
        operation_id="listDebuggerFindings",
        query=FindingsQuery,
        response=FindingsOut,
    )
    async def get(self, run_id: str) -> None:
        query = self.parse_query(FindingsQuery)
        found = await self.call(
            self.debugger.get_findings,
            self.path_run_id(run_id),
            query.rule,
            after_id=query.after_id,
            max_results=query.max_results,
        )
        self.reply(FindingsOut.from_entities(found))

    @web.authenticated
    @authorized
    @endpoint(
        "Record findings of a run, all or none; answers them with their ids",
        operation_id="recordDebuggerFindings",
        body=FindingsIn,
        response=FindingsOut,
        status=201,
    )
    async def post(self, run_id: str) -> None:
        key = self.path_run_id(run_id)
        body = self.parse_body(FindingsIn)
        stored = await self.call(
            self.debugger.record_findings, key, [finding.to_entity() for finding in body.findings]
        )
        self.reply(FindingsOut.from_entities(stored), 201)


class RulesHandler(DebuggerHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "A run's rule states, by rule name",
        operation_id="listDebuggerRules",
        response=RulesOut,
    )
    async def get(self, run_id: str) -> None:
        states = await self.call(self.debugger.get_rule_states, self.path_run_id(run_id))
        self.reply(RulesOut.from_entities(states))

    @web.authenticated
    @authorized
    @endpoint(
        "Create or replace rules' states on a run; answers every rule's state",
        operation_id="saveDebuggerRules",
        # As every replacing write documents it; the rule states themselves cannot clash.
        errors=(409,),
        body=RulesIn,
        response=RulesOut,
    )
    async def put(self, run_id: str) -> None:
        key = self.path_run_id(run_id)
        body = self.parse_body(RulesIn)
        await self.call(
            self.debugger.save_rule_states, key, [state.to_entity() for state in body.rules]
        )
        states = await self.call(self.debugger.get_rule_states, key)
        self.reply(RulesOut.from_entities(states))


class AlertsHandler(DebuggerHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "Every run's newest findings, newest first; after a finding if given",
        operation_id="listDebuggerAlerts",
        query=AlertsQuery,
        response=AlertsOut,
    )
    async def get(self) -> None:
        query = self.parse_query(AlertsQuery)
        found = await self.call(self.debugger.recent_findings, query.after_id, query.max_results)
        self.reply(AlertsOut.from_entities(found, query.after_id))


ROUTES: list[Route] = [
    Route("/studio/api/runs/{run_id}/debugger/tensors", TensorsHandler),
    Route("/studio/api/runs/{run_id}/debugger/stats", StatsHandler),
    Route("/studio/api/runs/{run_id}/debugger/histograms", HistogramsHandler),
    Route("/studio/api/runs/{run_id}/debugger/findings", FindingsHandler),
    Route("/studio/api/runs/{run_id}/debugger/rules", RulesHandler),
    Route("/studio/api/debugger/alerts", AlertsHandler),
]
