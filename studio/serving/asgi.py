"""The serving process's ASGI app: `studio serve` runs `studio.serving.asgi:app` on uvicorn.

uvicorn spawns each worker afresh and imports this module there, so everything a worker
needs (the endpoint, its replica, the store, the limits) comes through the environment that
`studio serve` sets (`ServeSettings.environment`). A worker reads its endpoint's
configuration from the store at start-up, builds an immutable `Router`, then polls the
configuration's stamp every half second and swaps in a new router when it moves: weights
and variants change live, and requests in flight finish on the router they started with.

Every answered request is handed to the `Recorder` before its response is sent (metrics,
predictions for feedback, capture). uvicorn runs the lifespan's shutdown only after every
open connection has been answered, so the recorder's last flush there loses nothing that was
acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import signal
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from studio._version import __version__
from studio.config import StudioConfig
from studio.db.engine import Database
from studio.errors import Conflict, InvalidInput
from studio.serving.auth import Authenticator
from studio.serving.feedback import endpoint_task, record_feedback_batch
from studio.serving.loading import ModelCache
from studio.serving.openapi_serving import serving_document
from studio.serving.recorder import Recorder
from studio.serving.router import RoutedVariant, Router
from studio.serving.scoring import ScoringError, encode_predictions, parse_request
from studio.serving.service import EndpointService
from studio.serving.settings import ServeSettings
from studio.serving.shadow import ShadowCopy, ShadowSender
from studio.serving.validation import is_loopback

if TYPE_CHECKING:
    from starlette.requests import Request

    from studio.serving.entities import EndpointConfig

__all__ = ["ServingState", "app", "create_app"]

log = logging.getLogger(__name__)

REQUEST_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
MAX_FEEDBACK_ITEMS = 10_000
SHADOW_DRAIN_S = 5.0


@dataclass
class ServingState:
    """What a worker's handlers share; `router` is replaced whole, never changed."""

    settings: ServeSettings
    database: Database
    service: EndpointService
    models: ModelCache
    recorder: Recorder
    shadows: ShadowSender
    auth: Authenticator
    router: Router
    worker_id: str
    # Set at shutdown: the configuration watcher returns between two polls.
    stopping: asyncio.Event = field(default_factory=asyncio.Event)


def create_app(settings: ServeSettings | None = None) -> Starlette:
    """The serving app; without `settings` they are read from the environment at start-up
    (uvicorn's workers import `app` below)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state = await _start(settings or ServeSettings.from_environ())
        app.state.serving = state
        watcher = asyncio.create_task(_watch(state))
        try:
            yield
        finally:
            # Not cancelled: a store call running in a thread would outlive the cancel and
            # bring a connection back to a disposed pool, left open. It returns when done.
            state.stopping.set()
            await asyncio.gather(watcher, return_exceptions=True)
            await state.shadows.drain(SHADOW_DRAIN_S)
            await asyncio.to_thread(state.recorder.close)
            state.database.dispose()

    routes = [
        Route("/ping", _ping, methods=["GET"]),
        Route("/health", _health, methods=["GET"]),
        Route("/version", _version, methods=["GET"]),
        Route("/openapi.json", _openapi, methods=["GET"]),
        Route("/metadata", _metadata, methods=["GET"]),
        Route("/invocations", _invocations, methods=["POST"]),
        Route("/feedback", _feedback, methods=["POST"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


async def _start(settings: ServeSettings) -> ServingState:
    studio = settings.studio or StudioConfig.resolve()
    database = Database.from_config(studio)
    service = EndpointService.from_database(database, studio)
    models = ModelCache(studio.artifact_root, studio.home / "cache" / "models")
    config, stamp = await asyncio.to_thread(_read_config, service, settings.endpoint)
    router = await asyncio.to_thread(_build_router, config, stamp, models)
    worker_id = f"{settings.replica_id or 'local'}:{os.getpid()}"[:64]
    recorder = Recorder(database, studio, config.endpoint_id, config.name, worker_id)
    recorder.set_config(config)
    recorder.start()
    return ServingState(
        settings=settings,
        database=database,
        service=service,
        models=models,
        recorder=recorder,
        shadows=ShadowSender(recorder),
        auth=Authenticator(settings.token, open_to_network=not is_loopback(settings.bind_host)),
        router=router,
        worker_id=worker_id,
    )


def _read_config(service: EndpointService, name: str) -> tuple[EndpointConfig, tuple[int, int]]:
    # The stamp first: a change between the two reads leaves an older stamp, and the next
    # poll sees it move and reads again.
    stamp = service.config_stamp(name)
    return service.config(name), stamp


def _build_router(config: EndpointConfig, stamp: tuple[int, int], models: ModelCache) -> Router:
    loaded = {variant.name: models.load(variant) for variant in config.variants}
    return Router(config, stamp, loaded)


async def _watch(state: ServingState) -> None:
    """Poll the configuration's stamp; swap in a new router when it moves. A failure (the
    store unreachable, a new model that does not load) is logged and the current router
    keeps serving."""
    supervisor = state.settings.supervisor_pid
    name = state.settings.endpoint
    # The last failure logged: the same one again (an alias deleted, a version rejected) is
    # retried on every poll but logged once, not twice a second.
    logged_failure: tuple[tuple[int, int] | None, str] | None = None
    while True:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(state.stopping.wait(), state.settings.poll_interval)
        if state.stopping.is_set():
            return
        if supervisor and supervisor != os.getpid() and os.getppid() != supervisor:
            # The supervisor died (SIGKILL): shut down gracefully rather than serve on as an
            # orphan nobody can stop.
            log.warning("studio serve %s: supervisor %d is gone; stopping", name, supervisor)
            if state.settings.replica_id:
                with contextlib.suppress(Exception):  # stopping matters more than the record
                    await asyncio.to_thread(
                        state.service.replica_stopped,
                        state.settings.replica_id,
                        f"its supervisor (pid {supervisor}) died; its workers stopped themselves",
                    )
            os.kill(os.getpid(), signal.SIGTERM)
            return
        polled: tuple[int, int] | None = None
        try:
            stamp = polled = await asyncio.to_thread(state.service.config_stamp, name)
            if stamp == state.router.stamp:
                continue
            config, stamp = await asyncio.to_thread(_read_config, state.service, name)
            router = await asyncio.to_thread(_build_router, config, stamp, state.models)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            failure = (polled, f"{type(exc).__name__}: {exc}")
            if failure != logged_failure:
                log.exception("studio serve %s: reading the new configuration failed", name)
                logged_failure = failure
            continue
        logged_failure = None
        state.router = router
        state.recorder.set_config(config)
        state.models.keep_only(router.model_keys())
        log.info("studio serve %s: configuration %d in service", name, config.config_version)


def _state(request: Request) -> ServingState:
    state: ServingState = request.app.state.serving
    return state


def _error(error: ScoringError, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"error_code": error.error_code, "message": error.message}
    return JSONResponse(body, status_code=error.status, headers=headers)


async def _ping(request: Request) -> Response:
    # uvicorn accepts connections only once the lifespan has loaded every model.
    return PlainTextResponse("\n")


async def _version(request: Request) -> Response:
    return PlainTextResponse(__version__)


async def _openapi(request: Request) -> Response:
    settings = _state(request).settings
    return JSONResponse(serving_document(settings.max_body_bytes, settings.max_rows))


async def _health(request: Request) -> Response:
    # Variant names and traffic are the endpoint's business: behind its token, like
    # /metadata (load balancers probe /ping, which stays open).
    state = _state(request)
    router = state.router
    try:
        await state.auth.check(request.headers, router.config)
    except ScoringError as exc:
        return _error(exc)
    return JSONResponse(
        {
            "status": "ok",
            "endpoint": router.config.name,
            "config_version": router.config.config_version,
            "worker": state.worker_id,
            "variants": {
                name: {
                    "role": variant.served.role.value,
                    "requests": variant.loaded.answers.requests,
                    "batches": variant.loaded.answers.batches,
                }
                for name, variant in router.variants.items()
            },
            "shadow_copies": {
                "sent": state.shadows.sent,
                "failed": state.shadows.failed,
                "dropped": state.shadows.dropped,
                "pending": state.shadows.pending,
            },
        }
    )


async def _metadata(request: Request) -> Response:
    state = _state(request)
    config = state.router.config
    try:
        await state.auth.check(request.headers, config)
    except ScoringError as exc:
        return _error(exc)
    return JSONResponse(
        {
            "name": config.name,
            "config_version": config.config_version,
            "task": config.task.value if config.task else None,
            "variants": [
                {
                    "name": variant.name,
                    "role": variant.role.value,
                    "weight": variant.weight,
                    "sampling": variant.sampling,
                    "model_uri": variant.model_uri,
                    "model_name": variant.model_name,
                    "model_version": variant.model_version,
                    "signature": variant.signature,
                    "input_example": variant.input_example,
                }
                for variant in config.variants
            ],
        }
    )


async def _invocations(request: Request) -> Response:
    started = time.perf_counter()
    state = _state(request)
    router = state.router  # one snapshot for the whole request
    given_id = request.headers.get("x-request-id", "")
    request_id = given_id if REQUEST_ID.fullmatch(given_id) else uuid.uuid4().hex
    headers = {"X-Request-Id": request_id}
    try:
        await state.auth.check(request.headers, router.config)
        variant = router.choose(request.headers.get("x-target-variant") or None)
    except ScoringError as exc:
        return _error(exc, headers)
    headers["X-Variant"] = variant.name
    content_type = request.headers.get("content-type")
    body: bytes | None = None
    rows = 0
    try:
        body = await _read_body(request, state.settings.max_body_bytes)
        frame = parse_request(
            body, content_type, variant.served.signature, max_rows=state.settings.max_rows
        )
        rows = len(frame)
        copy = ShadowCopy(request_id, body, content_type, state.settings.max_rows)
        for shadow in router.shadows_for(variant):
            state.shadows.send(shadow, copy)
        predictions = encode_predictions(await _predict(variant, frame))
    except ScoringError as exc:
        _record(state, request_id, variant, started, rows, body, content_type, None, exc)
        return _error(exc, headers)
    _record(state, request_id, variant, started, rows, body, content_type, predictions, None)
    return JSONResponse({"predictions": predictions}, headers=headers)


async def _predict(variant: RoutedVariant, frame: Any) -> Any:
    try:
        return await variant.loaded.answers.predict(frame)
    except ValueError as exc:
        # scikit-learn's own input checks (a value out of the model's domain, an infinity):
        # the request's fault, not the server's.
        raise ScoringError(
            422, "MODEL_REJECTED_INPUT", f"Variant {variant.name!r} cannot score it: {exc}"
        ) from exc
    except Exception as exc:
        log.exception("variant %s failed to predict", variant.name)
        raise ScoringError(
            500, "MODEL_ERROR", f"Variant {variant.name!r} failed: {type(exc).__name__}: {exc}"
        ) from exc


def _record(
    state: ServingState,
    request_id: str,
    variant: RoutedVariant,
    started: float,
    rows: int,
    body: bytes | None,
    content_type: str | None,
    predictions: list[Any] | None,
    error: ScoringError | None,
) -> None:
    state.recorder.record(
        request_id=request_id,
        variant=variant.name,
        shadow=variant.shadow,
        latency_ms=(time.perf_counter() - started) * 1000,
        ok=error is None,
        rows=rows,
        body=body,
        content_type=content_type,
        predictions=predictions,
        error=None if error is None else f"{error.status} {error.error_code}: {error.message}",
    )


async def _read_body(request: Request, limit: int) -> bytes:
    too_large = ScoringError(
        413, "REQUEST_TOO_LARGE", f"The request body is over the limit of {limit:,} bytes."
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def _feedback(request: Request) -> Response:
    state = _state(request)
    config = state.router.config
    try:
        await state.auth.check(request.headers, config)
        items = _feedback_items(await _read_body(request, state.settings.max_body_bytes))
    except ScoringError as exc:
        return _error(exc)

    try:
        counts = await asyncio.to_thread(
            record_feedback_batch,
            state.database,
            config.endpoint_id,
            items,
            endpoint_task(config),  # declared, or implied by the first primary's signature
        )
    except (InvalidInput, Conflict) as exc:  # a label that does not fit, a second label
        return _error(ScoringError(exc.http_status, exc.code.value.upper(), exc.message))
    return JSONResponse(counts)


def _feedback_items(body: bytes) -> list[tuple[str, Any]]:
    def bad(message: str) -> ScoringError:
        return ScoringError(400, "BAD_REQUEST", message)

    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise bad(f"The body is not JSON: {exc}") from exc
    items = parsed if isinstance(parsed, list) else [parsed]
    if len(items) > MAX_FEEDBACK_ITEMS:
        raise ScoringError(413, "REQUEST_TOO_LARGE", f"At most {MAX_FEEDBACK_ITEMS:,} labels.")
    result = []
    for index, item in enumerate(items):
        if not isinstance(item, dict) or "label" not in item:
            raise bad(f'Item {index} must be an object with "request_id" and "label".')
        request_id = item.get("request_id")
        if not isinstance(request_id, str) or not REQUEST_ID.fullmatch(request_id):
            raise bad(f"Item {index}: request_id must be 1 to 64 of [A-Za-z0-9_.:-].")
        result.append((request_id, item["label"]))
    return result


app = create_app()
