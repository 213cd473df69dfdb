"""REST routes of AutoML: start one as a notebook job, list them, and a leaderboard.

Starting is authorized as "execute" on "studio.evaluation" (it runs code); reading as "read".
"""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from studio.evaluation.feature import FEATURE
from studio.evaluation.schemas import AutoMLDetailOut, AutoMLIn, AutoMLsOut, AutoMLsQuery
from studio.jobs.handlers import JobsHandler, authorized_to_execute
from studio.jobs.schemas import JobRunOut
from studio.openapi import endpoint
from studio.web import Route

__all__ = ["ROUTES"]


class AutoMLHandlerBase(JobsHandler):
    auth_resource = FEATURE.auth_resource


class AutoMLsHandler(AutoMLHandlerBase):
    @web.authenticated
    @authorized
    @endpoint(
        "AutoML searches, newest first",
        operation_id="listAutoML",
        query=AutoMLsQuery,
        response=AutoMLsOut,
    )
    async def get(self) -> None:
        raise web.HTTPError(501, "not implemented yet")  # AUTOML

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
        raise web.HTTPError(501, "not implemented yet")  # AUTOML


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
        raise web.HTTPError(501, "not implemented yet")  # AUTOML


ROUTES: list[Route] = [
    Route("/studio/api/automl", AutoMLsHandler),
    Route("/studio/api/automl/{run_id}", AutoMLHandler),
]
