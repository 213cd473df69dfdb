"""REST routes of AutoML: start one as a notebook job, list them, and a leaderboard.

Starting is authorized as "execute" on "studio.evaluation" (it runs code); reading as "read".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar, cast

from jupyter_server.auth.decorator import authorized
from tornado import web

from studio.evaluation.automl_notebooks import prepare_automl_job
from studio.evaluation.feature import FEATURE
from studio.evaluation.schemas import (
    AutoMLDetailOut,
    AutoMLIn,
    AutoMLOut,
    AutoMLsOut,
    AutoMLsQuery,
)
from studio.jobs.handlers import JobsHandler, authorized_to_execute
from studio.jobs.notebooks import resolve_below_root
from studio.jobs.schemas import JobRunOut
from studio.jobs.views import relative_path
from studio.openapi import endpoint
from studio.web import Route

if TYPE_CHECKING:
    from studio.evaluation.service import EvaluationService
    from studio.jobs.entities import JobRun

__all__ = ["ROUTES"]

Summary = TypeVar("Summary", bound=AutoMLOut)


class AutoMLHandlerBase(JobsHandler):
    auth_resource = FEATURE.auth_resource

    @property
    def evaluation(self) -> EvaluationService:
        return cast("EvaluationService", self.settings[FEATURE.settings_key])

    def in_root(self, automl: Summary) -> Summary:
        """Paths on the wire are relative to the server's root (as they are when inside it)."""
        return automl.model_copy(
            update={
                "notebooks": {
                    key: relative_path(self.root, path) for key, path in automl.notebooks.items()
                },
                "data": relative_path(self.root, automl.data)
                if "/" in automl.data
                else automl.data,
            }
        )


class AutoMLsHandler(AutoMLHandlerBase):
    @web.authenticated
    @authorized
    @endpoint(
        "AutoML searches, newest first",
        operation_id="listAutoML",
        query=AutoMLsQuery,
        response=AutoMLsOut,
        errors=(404,),
    )
    async def get(self) -> None:
        query = self.parse_query(AutoMLsQuery)
        found = await self.call(self.evaluation.list_automl, query.experiment_id, query.max_results)
        self.reply(AutoMLsOut(automls=[self.in_root(automl) for automl in found.automls]))

    @web.authenticated
    @authorized_to_execute
    @endpoint(
        "Start an AutoML search on a file, as a notebook job",
        operation_id="startAutoML",
        body=AutoMLIn,
        response=JobRunOut,
        status=201,
        errors=(404,),
    )
    async def post(self) -> None:
        body = self.parse_body(AutoMLIn)
        await self.queued(await self.call(self._submit, body))

    def _submit(self, body: AutoMLIn) -> JobRun:
        source = resolve_below_root(self.root, body.path)
        experiment = body.experiment or f"automl-{source.stem}"
        notebook, parameters = prepare_automl_job(
            source,
            {
                "target": body.target,
                "task": body.task,
                "metric": body.metric,
                "time_budget": body.time_budget,
                "experiment": experiment,
                "seed": body.seed,
                "register_as": body.register_as,
            },
            self.jobs.config.home,
        )
        return self.jobs.submit(
            notebook,
            parameters=parameters,
            experiment=experiment,
            name=f"automl {source.name}"[:200],
        )


class AutoMLHandler(AutoMLHandlerBase):
    @web.authenticated
    @authorized
    @endpoint(
        "One AutoML search with its leaderboard",
        operation_id="getAutoML",
        response=AutoMLDetailOut,
        errors=(404,),
    )
    async def get(self, run_id: str) -> None:
        self.reply(self.in_root(await self.call(self.evaluation.get_automl, run_id)))


ROUTES: list[Route] = [
    Route("/studio/api/automl", AutoMLsHandler),
    Route("/studio/api/automl/{run_id}", AutoMLHandler),
]
