"""REST route of runs' evaluations: what the run panel's Evaluation tab draws.

Authorized as "read" on "studio.evaluation".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from jupyter_server.auth.decorator import authorized
from tornado import web

from studio.evaluation.feature import FEATURE
from studio.evaluation.schemas import EvaluationsOut
from studio.openapi import endpoint
from studio.tracking.validation import is_run_id
from studio.web import Route, StudioAPIHandler

if TYPE_CHECKING:
    from studio.evaluation.service import EvaluationService

__all__ = ["ROUTES", "EvaluationHandler", "EvaluationsHandler"]


class EvaluationHandler(StudioAPIHandler):
    """Base of evaluation's handlers, authorized as "studio.evaluation"."""

    auth_resource = FEATURE.auth_resource

    @property
    def evaluation(self) -> EvaluationService:
        return cast("EvaluationService", self.settings[FEATURE.settings_key])

    def path_run_id(self, value: str) -> str:
        if not is_run_id(value):
            raise self.not_found(f"No run has id {value!r}.")
        return value


class EvaluationsHandler(EvaluationHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "A run's evaluations, with their metrics, baseline, folds, thresholds and figures",
        operation_id="getEvaluations",
        response=EvaluationsOut,
        errors=(404,),
    )
    async def get(self, run_id: str) -> None:
        self.reply(await self.call(self.evaluation.evaluations, self.path_run_id(run_id)))


ROUTES: list[Route] = [Route("/studio/api/evaluations/{run_id}", EvaluationsHandler)]
