"""REST routes of built-in algorithms: the catalogue, a file's columns, and training as a job.

Training is authorized as "execute" on "studio.evaluation": it runs code (the job's notebook),
like the jobs' own run routes. Paths are relative to the server's root and never lead out of
it; the template notebook lands beside the data, where the file browser shows it.
"""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from studio.evaluation.feature import FEATURE
from studio.evaluation.schemas import AlgorithmsOut, AlgorithmsQuery, DatasetIn, DatasetOut, TrainIn
from studio.jobs.handlers import JobsHandler, authorized_to_execute
from studio.jobs.schemas import JobRunOut
from studio.openapi import endpoint
from studio.web import Route

__all__ = ["ROUTES"]


class TrainingHandler(JobsHandler):
    auth_resource = FEATURE.auth_resource


class AlgorithmsHandler(TrainingHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "The built-in algorithms installed here, with their hyperparameters",
        operation_id="listAlgorithms",
        query=AlgorithmsQuery,
        response=AlgorithmsOut,
    )
    async def get(self) -> None:
        raise web.HTTPError(501, "not implemented yet")  # BUILTIN


class DatasetHandler(TrainingHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "A CSV or Parquet file's columns, a preview, and the task its target implies",
        operation_id="inspectDataset",
        body=DatasetIn,
        response=DatasetOut,
        errors=(404,),
    )
    async def post(self) -> None:
        raise web.HTTPError(501, "not implemented yet")  # BUILTIN


class TrainHandler(TrainingHandler):
    @web.authenticated
    @authorized_to_execute
    @endpoint(
        "Train a built-in algorithm on a file, as a notebook job written beside it",
        operation_id="trainModel",
        body=TrainIn,
        response=JobRunOut,
        status=201,
        errors=(404,),
    )
    async def post(self) -> None:
        raise web.HTTPError(501, "not implemented yet")  # BUILTIN


ROUTES: list[Route] = [
    Route("/studio/api/algorithms", AlgorithmsHandler),
    Route("/studio/api/datasets/inspect", DatasetHandler),
    Route("/studio/api/training", TrainHandler),
]
