"""REST handlers of experiment tracking: parse, make one service call, serialize."""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING, cast
from urllib.parse import quote

from jupyter_server.auth.decorator import authorized
from tornado import web

from studio.openapi import endpoint
from studio.tracking.feature import FEATURE
from studio.tracking.schemas import (
    ArtifactListOut,
    ArtifactOut,
    ArtifactQuery,
    BatchIn,
    ExperimentCreateIn,
    ExperimentListOut,
    ExperimentListQuery,
    ExperimentOut,
    ExperimentUpdateIn,
    MetricHistoryOut,
    MetricHistoryQuery,
    RunCreateIn,
    RunOut,
    RunUpdateIn,
    metric_tuples,
)
from studio.tracking.schemas_search import RunListOut, RunSearchIn, RunSearchQuery
from studio.tracking.store import DEFAULT_EXPERIMENT, now_ms
from studio.tracking.validation import MAX_EXPERIMENT_ID, is_run_id
from studio.web import Route, StudioAPIHandler

if TYPE_CHECKING:
    from studio.tracking.entities import RunRecord
    from studio.tracking.service import TrackingService

DOWNLOAD_CHUNK = 1 << 20
DOWNLOAD_TYPE = "application/octet-stream"
_EXPERIMENT_ID = {"experiment_id": {"type": "integer", "minimum": 1, "maximum": MAX_EXPERIMENT_ID}}


class TrackingHandler(StudioAPIHandler):
    """Base of the tracking handlers: they reach the app's TrackingService as `tracking`."""

    auth_resource = FEATURE.auth_resource

    def path_run_id(self, value: str) -> str:
        """A run id from the path; one no run can have (Studio makes and accepts only ids of
        RUN_ID_PATTERN) names nothing, so it is a 404 before any SQL (PostgreSQL refuses a
        NUL in text outright)."""
        if not is_run_id(value):
            raise self.not_found(f"No run has id {value!r}.")
        return value

    @property
    def tracking(self) -> TrackingService:
        return cast("TrackingService", self.settings[FEATURE.settings_key])

    async def search(self, search: RunSearchIn) -> None:
        page = await self.call(
            self.tracking.search_runs,
            search.experiment_ids,
            filter=search.filter,
            order_by=search.order_by,
            max_results=search.max_results,
            page_token=search.page_token,
            offset=search.offset,
            parent_run_id=search.parent_run_id,
            include_total=search.include_total,
            tree=search.tree,
        )
        self.reply(RunListOut.from_entity(page))


class ExperimentsHandler(TrackingHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "List experiments, the most recently active first",
        operation_id="listExperiments",
        query=ExperimentListQuery,
        response=ExperimentListOut,
    )
    async def get(self) -> None:
        query = self.parse_query(ExperimentListQuery)
        page = await self.call(
            self.tracking.list_experiment_page,
            include_archived=query.include_archived,
            name_contains=query.name,
            max_results=query.max_results,
            page_token=query.page_token,
        )
        self.reply(ExperimentListOut.from_entity(page))

    @web.authenticated
    @authorized
    @endpoint(
        "Create an experiment",
        body=ExperimentCreateIn,
        operation_id="createExperiment",
        errors=(409,),
        response=ExperimentOut,
        status=201,
    )
    async def post(self) -> None:
        body = self.parse_body(ExperimentCreateIn)
        created = await self.call(
            self.tracking.create_experiment, body.name, body.description, body.tags
        )
        self.reply(ExperimentOut.from_entity(created), 201)


class ExperimentHandler(TrackingHandler):
    @web.authenticated
    @authorized
    @endpoint("Get an experiment", response=ExperimentOut, operation_id="getExperiment")
    async def get(self, experiment_id: str) -> None:
        found = await self.call(
            self.tracking.get_experiment,
            self.path_id(experiment_id, "experiment", MAX_EXPERIMENT_ID),
        )
        self.reply(ExperimentOut.from_entity(found))

    @web.authenticated
    @authorized
    @endpoint(
        "Rename, describe, tag, archive or restore an experiment",
        operation_id="updateExperiment",
        errors=(409,),
        body=ExperimentUpdateIn,
        response=ExperimentOut,
    )
    async def patch(self, experiment_id: str) -> None:
        key = self.path_id(experiment_id, "experiment", MAX_EXPERIMENT_ID)
        body = self.parse_body(ExperimentUpdateIn)
        updated = await self.call(
            self.tracking.update_experiment,
            key,
            name=body.name,
            description=body.description,
            tags=body.tags,
            archived=body.archived,
        )
        self.reply(ExperimentOut.from_entity(updated))

    @web.authenticated
    @authorized
    @endpoint(
        "Delete an experiment with its runs and their artifacts",
        status=204,
        operation_id="deleteExperiment",
        errors=(409,),
    )
    async def delete(self, experiment_id: str) -> None:
        key = self.path_id(experiment_id, "experiment", MAX_EXPERIMENT_ID)
        await self.call(self.tracking.delete_experiment, key)
        self.reply(None, 204)


def _create_run(service: TrackingService, body: RunCreateIn) -> RunRecord:
    experiment_id = body.experiment_id
    if experiment_id is None:
        experiment = service.get_or_create_experiment(body.experiment_name or DEFAULT_EXPERIMENT)
        experiment_id = experiment.id
    return service.create_run(
        experiment_id,
        name=body.name,
        run_id=body.run_id,
        parent_run_id=body.parent_run_id,
        source=body.source,
        params=body.params,
        tags=body.tags,
        metrics=metric_tuples(body.metrics, now_ms()),
        status=body.status,
        start_time=body.start_time,
        end_time=body.end_time,
    )


class RunsHandler(TrackingHandler):
    @web.authenticated
    @authorized
    @endpoint("Search runs", query=RunSearchQuery, operation_id="searchRuns", response=RunListOut)
    async def get(self) -> None:
        await self.search(self.parse_query(RunSearchQuery).to_search())

    @web.authenticated
    @authorized
    @endpoint(
        "Create a run (in experiment_id, or in experiment_name, created if missing)",
        operation_id="createRun",
        errors=(404, 409, 413),
        body=RunCreateIn,
        response=RunOut,
        status=201,
    )
    async def post(self) -> None:
        body = self.parse_body(RunCreateIn)
        created = await self.call(_create_run, self.tracking, body)
        self.reply(RunOut.from_entity(created), 201)


class RunSearchHandler(TrackingHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "Search runs (the query in a JSON body)",
        body=RunSearchIn,
        operation_id="searchRunsWithBody",
        response=RunListOut,
    )
    async def post(self) -> None:
        await self.search(self.parse_body(RunSearchIn))


class RunHandler(TrackingHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "Get a run with its params, tags and metric summaries",
        response=RunOut,
        operation_id="getRun",
    )
    async def get(self, run_id: str) -> None:
        found = await self.call(self.tracking.get_run, self.path_run_id(run_id))
        self.reply(RunOut.from_entity(found))

    @web.authenticated
    @authorized
    @endpoint(
        "Change a run's status, name or end time",
        body=RunUpdateIn,
        operation_id="updateRun",
        errors=(409,),
        response=RunOut,
    )
    async def patch(self, run_id: str) -> None:
        body = self.parse_body(RunUpdateIn)
        updated = await self.call(
            self.tracking.update_run,
            self.path_run_id(run_id),
            status=body.status,
            end_time=body.end_time,
            name=body.name,
        )
        self.reply(RunOut.from_entity(updated))

    @web.authenticated
    @authorized
    @endpoint(
        "Delete a run, its child runs and their artifacts",
        status=204,
        operation_id="deleteRun",
        errors=(409,),
    )
    async def delete(self, run_id: str) -> None:
        await self.call(self.tracking.delete_run, self.path_run_id(run_id))
        self.reply(None, 204)


class BatchHandler(TrackingHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "Log params, tags and metric points to a run, all or nothing",
        operation_id="logBatch",
        errors=(409, 413),
        body=BatchIn,
        status=204,
    )
    async def post(self, run_id: str) -> None:
        body = self.parse_body(BatchIn)
        await self.call(
            self.tracking.log_batch,
            self.path_run_id(run_id),
            metrics=metric_tuples(body.metrics, now_ms()),
            params=body.params,
            tags=body.tags,
            batch_id=body.batch_id,
        )
        self.reply(None, 204)


class MetricHistoryHandler(TrackingHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "A metric's points in step order, in a step range if given: downsampled when max_points "
        "is given, else in pages",
        operation_id="getMetricHistory",
        query=MetricHistoryQuery,
        response=MetricHistoryOut,
    )
    async def get(self, run_id: str) -> None:
        query = self.parse_query(MetricHistoryQuery)
        history = await self.call(
            self.tracking.get_metric_history,
            self.path_run_id(run_id),
            query.key,
            query.max_points,
            max_results=query.max_results,
            page_token=query.page_token,
            min_step=query.min_step,
            max_step=query.max_step,
        )
        self.reply(MetricHistoryOut.from_entity(history))


class ArtifactsHandler(TrackingHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "List a folder of a run's artifacts, folders first",
        operation_id="listArtifacts",
        query=ArtifactQuery,
        response=ArtifactListOut,
    )
    async def get(self, run_id: str) -> None:
        query = self.parse_query(ArtifactQuery)
        found = await self.call(self.tracking.list_artifacts, self.path_run_id(run_id), query.path)
        self.reply(ArtifactListOut.from_entities(query.path, found))


class ArtifactContentHandler(TrackingHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "Download an artifact file",
        operation_id="downloadArtifact",
        query=ArtifactQuery,
        raw_response=DOWNLOAD_TYPE,
    )
    async def get(self, run_id: str) -> None:
        query = self.parse_query(ArtifactQuery)
        handle, size = await self.call(
            self.tracking.open_artifact, self.path_run_id(run_id), query.path
        )
        name = posixpath.basename(query.path.rstrip("/"))
        # Always bytes to save, as MLflow answers: the file's name travels in
        # Content-Disposition, and a type guessed from it would be a promise about content
        # that nobody checked (and one the API document cannot list).
        self.set_header("Content-Type", DOWNLOAD_TYPE)
        self.set_header("Content-Disposition", _attachment(name))
        if size is not None:
            self.set_header("Content-Length", size)
        try:
            while chunk := await self.call(handle.read, DOWNLOAD_CHUNK):
                self.write(chunk)
                await self.flush()
        finally:
            handle.close()
        self.finish(set_content_type=DOWNLOAD_TYPE)

    @web.authenticated
    @authorized
    @endpoint(
        "Upload an artifact file (the raw request body) to the given path",
        operation_id="uploadArtifact",
        errors=(409,),
        query=ArtifactQuery,
        response=ArtifactOut,
        status=201,
        raw_body="application/octet-stream",
    )
    async def put(self, run_id: str) -> None:
        query = self.parse_query(ArtifactQuery)
        data = self.request.body
        stored = await self.call(
            self.tracking.upload_artifact, self.path_run_id(run_id), query.path, data
        )
        self.reply(ArtifactOut(path=stored, is_dir=False, size=len(data)), 201)


def _attachment(name: str) -> str:
    """A Content-Disposition for any file name: an ASCII fallback plus the RFC 5987 form."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


ROUTES: list[Route] = [
    Route("/studio/api/experiments", ExperimentsHandler),
    Route("/studio/api/experiments/{experiment_id}", ExperimentHandler, _EXPERIMENT_ID),
    Route("/studio/api/runs", RunsHandler),
    # Before /runs/{run_id}, which would otherwise take "search" for a run id.
    Route("/studio/api/runs/search", RunSearchHandler),
    Route("/studio/api/runs/{run_id}", RunHandler),
    Route("/studio/api/runs/{run_id}/batch", BatchHandler),
    Route("/studio/api/runs/{run_id}/metrics/history", MetricHistoryHandler),
    Route("/studio/api/runs/{run_id}/artifacts", ArtifactsHandler),
    Route("/studio/api/runs/{run_id}/artifacts/content", ArtifactContentHandler),
]
