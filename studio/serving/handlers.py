"""REST handlers of endpoints on the Jupyter server: parse, make one call, serialize.

They reach the app's `EndpointService` as `endpoints` and answer through
`studio.serving.views`. Authorization on "studio.serving": reads are "read"; changing the
configuration and sending feedback "write"; and "execute" whatever starts processes or runs
models: start, stop and invocations (like Jupyter's own kernels and terminals). So a
deployment may let users watch endpoints without letting them serve or call any.

The invocation route is a proxy: the panel's "try it" box goes through the Jupyter server, so
it works where the serving port is not reachable from the browser (JupyterHub, Binder). It
forwards the raw body with its Content-Type and X-Target-Variant to a live replica, with the
endpoint's proxy key, and answers with the replica's status, body, X-Variant and X-Request-Id
as they came.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from jupyter_server.auth.decorator import authorized
from tornado import httpclient, web

from studio.errors import StudioError
from studio.openapi import endpoint
from studio.serving import views
from studio.serving.feature import FEATURE
from studio.serving.process import NotRunning
from studio.serving.schemas import (
    CapturesOut,
    CapturesQuery,
    EndpointIn,
    EndpointOut,
    EndpointPatch,
    EndpointsOut,
    EvaluationOut,
    EventsOut,
    FeedbackIn,
    FeedbackOut,
    MetricsOut,
    MetricsQuery,
    StartIn,
)
from studio.serving.validation import ENDPOINT_NAME_PATTERN
from studio.web import Route, StudioAPIHandler, authorized_to, http_error

if TYPE_CHECKING:
    from studio.serving.service import EndpointService

__all__ = ["PROXY_TIMEOUT", "ROUTES"]

F = TypeVar("F", bound=Callable[..., Any])
# Starting a server or calling a model runs code: Jupyter's own action for it.
authorized_to_execute = authorized_to("execute")
PROXY_TIMEOUT = 60.0
"""Seconds the proxy waits for a replica's answer."""
_FORWARDED = ("Content-Type", "X-Target-Variant", "X-Request-Id", "Accept")
_RETURNED = ("X-Variant", "X-Request-Id")
_NAME = {"type": "string", "pattern": ENDPOINT_NAME_PATTERN}


class EndpointsHandler(StudioAPIHandler):
    """Base of the endpoints' handlers, authorized as "studio.serving"."""

    auth_resource = FEATURE.auth_resource

    @property
    def endpoints(self) -> EndpointService:
        return cast("EndpointService", self.settings[FEATURE.settings_key])

    @property
    def actor(self) -> str | None:
        """Who made a change, for the deployment history."""
        return getattr(self.current_user, "username", None)


class EndpointListHandler(EndpointsHandler):
    @web.authenticated
    @authorized
    @endpoint("Endpoints by name", operation_id="listEndpoints", response=EndpointsOut)
    async def get(self) -> None:
        self.reply(await self.call(views.endpoints_out, self.endpoints))

    @web.authenticated
    @authorized
    @endpoint(
        "Create an endpoint serving approved model versions",
        operation_id="createEndpoint",
        body=EndpointIn,
        response=EndpointOut,
        status=201,
        errors=(404, 409),
    )
    async def post(self) -> None:
        body = self.parse_body(EndpointIn)
        self.reply(await self.call(views.create_endpoint, self.endpoints, body, self.actor), 201)


class EndpointHandler(EndpointsHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "An endpoint, its variants and replicas", operation_id="getEndpoint", response=EndpointOut
    )
    async def get(self, name: str) -> None:
        found = await self.call(self.endpoints.get, name)
        self.reply(views.endpoint_out(found))

    @web.authenticated
    @authorized
    @endpoint(
        "Change an endpoint live: weights, variants added or removed, capture",
        operation_id="updateEndpoint",
        body=EndpointPatch,
        response=EndpointOut,
        errors=(409,),
    )
    async def patch(self, name: str) -> None:
        body = self.parse_body(EndpointPatch)
        self.reply(await self.call(views.update_endpoint, self.endpoints, name, body, self.actor))

    @web.authenticated
    @authorized
    @endpoint(
        "Delete a stopped endpoint (its history stays)",
        operation_id="deleteEndpoint",
        status=204,
        errors=(409,),
    )
    async def delete(self, name: str) -> None:
        await self.call(self.endpoints.delete, name, actor=self.actor)
        self.reply(None, 204)


class StartHandler(EndpointsHandler):
    @web.authenticated
    @authorized_to_execute
    @endpoint(
        "Start a server for the endpoint on this machine; answers once it is ready",
        operation_id="startEndpoint",
        body=StartIn,
        response=EndpointOut,
        errors=(409,),
    )
    async def post(self, name: str) -> None:
        body = self.parse_body(StartIn)
        await self.call(
            self.endpoints.start, name, port=body.port, workers=body.workers, actor=self.actor
        )
        self.reply(views.endpoint_out(await self.call(self.endpoints.get, name)))


class StopHandler(EndpointsHandler):
    @web.authenticated
    @authorized_to_execute
    @endpoint(
        "Stop the endpoint's servers that Studio started on this machine",
        operation_id="stopEndpoint",
        response=EndpointOut,
    )
    async def post(self, name: str) -> None:
        await self.call(self.endpoints.stop, name, actor=self.actor)
        self.reply(views.endpoint_out(await self.call(self.endpoints.get, name)))


class InvocationsHandler(EndpointsHandler):
    @web.authenticated
    @authorized_to_execute
    @endpoint(
        "Invoke the endpoint through the Jupyter server (proxied to a live replica)",
        operation_id="invokeEndpoint",
        raw_body="application/json",
        raw_response="application/json",
        errors=(401, 413, 415, 503),
    )
    async def post(self, name: str) -> None:
        loop = asyncio.get_running_loop()
        try:
            base, headers = await loop.run_in_executor(
                None, functools.partial(self.endpoints.proxy_target, name)
            )
        except NotRunning as exc:
            raise web.HTTPError(503, "%s", exc.message, reason="not_running") from exc
        except StudioError as exc:
            raise http_error(exc) from exc
        for header in _FORWARDED:
            value = self.request.headers.get(header)
            if value is not None:
                headers[header] = value
        request = httpclient.HTTPRequest(
            f"{base}/invocations",
            method="POST",
            body=self.request.body,
            headers=headers,
            request_timeout=PROXY_TIMEOUT,
        )
        # raise_error=False only spares HTTP answers: a refused connection or a timeout
        # still raises (a replica that died since its last beat, or is not listening yet).
        try:
            answer = await httpclient.AsyncHTTPClient().fetch(request, raise_error=False)
            failure = answer.error if answer.code == 599 else None
        except (OSError, httpclient.HTTPClientError) as exc:
            failure = exc
        if failure is not None:
            raise web.HTTPError(
                503,
                "%s",
                f"The endpoint {name!r} is not running (its server did not answer: {failure}).",
                reason="not_running",
            )
        self.set_status(answer.code, answer.reason)
        for header in _RETURNED:
            value = answer.headers.get(header)
            if value is not None:
                self.set_header(header, value)
        self.finish(
            answer.body or b"",
            set_content_type=answer.headers.get("Content-Type", "application/json"),
        )


class FeedbackHandler(EndpointsHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "Record the true labels of answered requests (by their X-Request-Id)",
        operation_id="sendEndpointFeedback",
        body=FeedbackIn,
        response=FeedbackOut,
    )
    async def post(self, name: str) -> None:
        body = self.parse_body(FeedbackIn)
        self.reply(await self.call(views.feedback_out, self.endpoints, name, body.items))


class MetricsHandler(EndpointsHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "Per-variant requests per second, errors and latency percentiles over time",
        operation_id="getEndpointMetrics",
        query=MetricsQuery,
        response=MetricsOut,
    )
    async def get(self, name: str) -> None:
        query = self.parse_query(MetricsQuery)
        self.reply(
            await self.call(
                views.metrics_out, self.endpoints, name, query.since, query.until, query.step
            )
        )


class EvaluationHandler(EndpointsHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "Online metrics per variant from feedback, and whether one significantly wins",
        operation_id="getEndpointEvaluation",
        response=EvaluationOut,
    )
    async def get(self, name: str) -> None:
        self.reply(await self.call(views.evaluation_out, self.endpoints, name))


class EventsHandler(EndpointsHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "The endpoint's deployment history, oldest first",
        operation_id="listEndpointEvents",
        response=EventsOut,
    )
    async def get(self, name: str) -> None:
        self.reply(await self.call(views.events_out, self.endpoints, name))


class CapturesHandler(EndpointsHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "The newest Parquet files of captured requests",
        operation_id="listEndpointCaptures",
        query=CapturesQuery,
        response=CapturesOut,
    )
    async def get(self, name: str) -> None:
        query = self.parse_query(CapturesQuery)
        self.reply(await self.call(views.captures_out, self.endpoints, name, query.limit))


_PREFIX = "/studio/api/endpoints"
_PATH = {"name": _NAME}
ROUTES: list[Route] = [
    Route(_PREFIX, EndpointListHandler),
    Route(f"{_PREFIX}/{{name}}", EndpointHandler, _PATH),
    Route(f"{_PREFIX}/{{name}}/start", StartHandler, _PATH),
    Route(f"{_PREFIX}/{{name}}/stop", StopHandler, _PATH),
    Route(f"{_PREFIX}/{{name}}/invocations", InvocationsHandler, _PATH),
    Route(f"{_PREFIX}/{{name}}/feedback", FeedbackHandler, _PATH),
    Route(f"{_PREFIX}/{{name}}/metrics", MetricsHandler, _PATH),
    Route(f"{_PREFIX}/{{name}}/evaluation", EvaluationHandler, _PATH),
    Route(f"{_PREFIX}/{{name}}/events", EventsHandler, _PATH),
    Route(f"{_PREFIX}/{{name}}/captures", CapturesHandler, _PATH),
]
