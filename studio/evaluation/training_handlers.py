"""REST routes of built-in algorithms: the catalogue, a file's columns, and training as a job.

Training is authorized as "execute" on "studio.evaluation": it runs code (the job's notebook),
like the jobs' own run routes. Paths are relative to the server's root and never lead out of
it; the template notebook lands beside the data, where the file browser shows it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from jupyter_server.auth.decorator import authorized
from tornado import web

from studio.evaluation.catalogue import Algorithm, algorithms
from studio.evaluation.data import inspect_dataset
from studio.evaluation.feature import FEATURE
from studio.evaluation.schemas import (
    AlgorithmOut,
    AlgorithmsOut,
    AlgorithmsQuery,
    DatasetIn,
    DatasetOut,
    HyperparameterOut,
    TrainIn,
)
from studio.evaluation.training import prepare_training
from studio.jobs.handlers import JobsHandler, authorized_to_execute
from studio.jobs.notebooks import resolve_in_root
from studio.jobs.schemas import JobRunOut
from studio.openapi import endpoint
from studio.web import Route

if TYPE_CHECKING:
    from studio.jobs.entities import JobRun

__all__ = ["ROUTES"]


class TrainingHandler(JobsHandler):
    auth_resource = FEATURE.auth_resource


def algorithm_out(algorithm: Algorithm, task: str | None) -> AlgorithmOut:
    """An algorithm on the wire, its hyperparameters those that apply to `task`."""
    tasks = algorithm.tasks if task is None else (task,)
    estimators = dict.fromkeys(algorithm.estimator_class(each) for each in tasks)
    return AlgorithmOut(
        name=algorithm.name,
        title=algorithm.title,
        tasks=list(algorithm.tasks),
        library=algorithm.library,
        estimator=" / ".join(estimators),
        description=algorithm.description,
        hyperparameters=[
            HyperparameterOut(
                name=h.name,
                kind=h.kind,
                default=h.default,
                low=h.low,
                high=h.high,
                log=h.log,
                choices=None if h.choices is None else list(h.choices),
                nullable=h.nullable,
                help=h.help,
            )
            for h in algorithm.hyperparameters_for(task)
        ],
    )


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
        task = self.parse_query(AlgorithmsQuery).task
        found = [algorithm_out(algorithm, task) for algorithm in algorithms(task)]
        self.reply(AlgorithmsOut(algorithms=found))


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
        body = self.parse_body(DatasetIn)
        self.reply(DatasetOut(**await self.call(self._inspect, body)))

    def _inspect(self, body: DatasetIn) -> dict[str, object]:
        described = inspect_dataset(resolve_in_root(self.root, body.path), body.target)
        return {**described, "path": body.path}


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
        body = self.parse_body(TrainIn)
        await self.queued(await self.call(self._submit, body))

    def _submit(self, body: TrainIn) -> JobRun:
        notebook, parameters = prepare_training(body, self.root, self.jobs.config.home)
        return self.jobs.submit(
            notebook,
            parameters=parameters,
            experiment=body.experiment,
            name=f"train {parameters['algorithm']} on {Path(parameters['data_path']).name}"[:200],
        )


ROUTES: list[Route] = [
    Route("/studio/api/algorithms", AlgorithmsHandler),
    Route("/studio/api/datasets/inspect", DatasetHandler),
    Route("/studio/api/training", TrainHandler),
]
