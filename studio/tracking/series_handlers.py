"""REST handlers of a run's series of other kinds than metrics (`series_api`): parse, make one
service call, serialize."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jupyter_server.auth.decorator import authorized
from tornado import web

from studio.openapi import endpoint
from studio.tracking.handlers import TrackingHandler
from studio.tracking.series_schemas import (
    SeriesAppendIn,
    SeriesListOut,
    SeriesListQuery,
    SeriesPointsOut,
    SeriesPointsQuery,
    SeriesReadIn,
    SeriesReadOut,
)
from studio.web import Route

if TYPE_CHECKING:
    from studio.tracking.series_api import RunSeries


class SeriesHandler(TrackingHandler):
    @property
    def series(self) -> RunSeries:
        return self.tracking.series


class SeriesListHandler(SeriesHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "List a run's series of one kind, with their point counts and step ranges",
        operation_id="listSeries",
        query=SeriesListQuery,
        response=SeriesListOut,
    )
    async def get(self, run_id: str) -> None:
        query = self.parse_query(SeriesListQuery)
        page = await self.call(
            self.series.list_series_page,
            self.path_run_id(run_id),
            query.kind,
            query.prefix,
            max_results=query.max_results,
            page_token=query.page_token,
        )
        self.reply(SeriesListOut.from_entity(page))


class SeriesPointsHandler(SeriesHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "A series' points in step order, in a step range if given: downsampled when max_points "
        "is given, else in pages",
        operation_id="getSeriesPoints",
        query=SeriesPointsQuery,
        response=SeriesPointsOut,
    )
    async def get(self, run_id: str) -> None:
        query = self.parse_query(SeriesPointsQuery)
        history = await self.call(
            self.series.read,
            self.path_run_id(run_id),
            query.kind,
            query.key,
            query.max_points,
            max_results=query.max_results,
            page_token=query.page_token,
            min_step=query.min_step,
            max_step=query.max_step,
        )
        self.reply(SeriesPointsOut.from_entity(history))

    @web.authenticated
    @authorized
    @endpoint(
        "Append points to many series of a run, all or nothing",
        operation_id="appendSeries",
        errors=(409, 413),
        body=SeriesAppendIn,
        status=204,
    )
    async def post(self, run_id: str) -> None:
        body = self.parse_body(SeriesAppendIn)
        points = {s.key: (s.steps, s.timestamps, s.values) for s in body.series}
        await self.call(
            self.series.append,
            self.path_run_id(run_id),
            body.kind,
            points,
            batch_id=body.batch_id,
        )
        self.reply(None, 204)


class SeriesReadHandler(SeriesHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "Several series of a run, each downsampled to at most max_points, keeping extremes",
        operation_id="readSeries",
        body=SeriesReadIn,
        response=SeriesReadOut,
    )
    async def post(self, run_id: str) -> None:
        body = self.parse_body(SeriesReadIn)
        found = await self.call(
            self.series.read_many,
            self.path_run_id(run_id),
            body.kind,
            body.keys,
            body.max_points,
            min_step=body.min_step,
            max_step=body.max_step,
        )
        self.reply(SeriesReadOut.from_entities(found))


SERIES_ROUTES: list[Route] = [
    Route("/studio/api/runs/{run_id}/series", SeriesListHandler),
    Route("/studio/api/runs/{run_id}/series/points", SeriesPointsHandler),
    Route("/studio/api/runs/{run_id}/series/read", SeriesReadHandler),
]
