"""What the endpoints' REST handlers answer, made from `EndpointService` calls and from the
readers of what replicas record (metrics, online evaluation, feedback, captures).

Each function is the one blocking call a handler makes (off the event loop); none knows
tornado.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from studio.errors import InvalidInput
from studio.serving.entities import VariantRole
from studio.serving.feedback import endpoint_task, record_feedback_batch
from studio.serving.online import online_evaluation
from studio.serving.schemas import (
    MAX_METRICS_POINTS,
    MAX_METRICS_SPAN_S,
    CaptureOut,
    CapturesOut,
    EndpointIn,
    EndpointOut,
    EndpointPatch,
    EndpointsOut,
    EvaluationOut,
    EventOut,
    EventsOut,
    FeedbackItemIn,
    FeedbackOut,
    MetricsOut,
    ReplicaOut,
    VariantIn,
    VariantOut,
)
from studio.serving.store_stats import endpoint_metrics

if TYPE_CHECKING:
    from studio.serving.entities import Endpoint, Task
    from studio.serving.service import EndpointService, ShadowSpec, VariantSpec

__all__ = [
    "DEFAULT_METRICS_SPAN_S",
    "captures_out",
    "create_endpoint",
    "endpoint_out",
    "endpoints_out",
    "evaluation_out",
    "events_out",
    "feedback_out",
    "metrics_out",
    "task_of",
    "update_endpoint",
]

DEFAULT_METRICS_SPAN_S = 600


def endpoint_out(endpoint: Endpoint) -> EndpointOut:
    return EndpointOut(
        name=endpoint.name,
        description=endpoint.description,
        config_version=endpoint.config_version,
        capture=endpoint.capture,
        task=endpoint.task.value if endpoint.task else None,
        has_token=endpoint.has_token,
        host=endpoint.host,
        port=endpoint.port,
        workers=endpoint.workers,
        running=endpoint.running,
        variants=[
            VariantOut(
                name=v.name,
                role=v.role.value,
                model_uri=v.model_uri,
                model_name=v.model_name,
                model_version=v.model_version,
                weight=v.weight,
                sampling=v.sampling,
            )
            for v in endpoint.variants
        ],
        replicas=[
            ReplicaOut(
                id=r.id,
                host=r.host,
                bind_host=r.bind_host,
                port=r.port,
                pid=r.pid,
                workers=r.workers,
                managed=r.managed,
                started_at=r.started_at,
                heartbeat_at=r.heartbeat_at,
                alive=r.alive,
            )
            for r in endpoint.replicas
            if r.stopped_at is None
        ],
        evaluation_since=endpoint.evaluation_since,
        created_at=endpoint.created_at,
        updated_at=endpoint.updated_at,
    )


def endpoints_out(service: EndpointService) -> EndpointsOut:
    return EndpointsOut(endpoints=[endpoint_out(e) for e in service.list()])


def _specs(
    variants: Sequence[VariantIn],
) -> tuple[dict[str, VariantSpec], dict[str, ShadowSpec]]:
    primaries: dict[str, VariantSpec] = {}
    shadows: dict[str, ShadowSpec] = {}
    for variant in variants:
        if variant.name in primaries or variant.name in shadows:
            raise InvalidInput(f"Variant names used twice: {variant.name}.")
        if variant.role == VariantRole.SHADOW.value:
            shadows[variant.name] = (variant.model_uri, variant.sampling)
        else:
            primaries[variant.name] = (variant.model_uri, variant.weight)
    return primaries, shadows


def create_endpoint(service: EndpointService, body: EndpointIn, actor: str | None) -> EndpointOut:
    primaries, shadows = _specs(body.variants)
    created = service.create(
        body.name,
        primaries,
        shadows=shadows,
        capture=body.capture,
        token=body.token,
        task=body.task,
        description=body.description,
        actor=actor,
    )
    return endpoint_out(created)


def update_endpoint(
    service: EndpointService, name: str, body: EndpointPatch, actor: str | None
) -> EndpointOut:
    primaries, shadows = _specs(body.add or [])
    changed = service.update(
        name,
        weights=body.weights,
        variants=primaries or None,
        shadows=shadows or None,
        remove=body.remove or (),
        capture=body.capture,
        description=body.description,
        actor=actor,
    )
    return endpoint_out(changed)


def events_out(service: EndpointService, name: str) -> EventsOut:
    service.get(name)  # a 404 for an endpoint that never was; a deleted one's history stays
    return EventsOut(events=[EventOut(**event) for event in service.events(name)])


def captures_out(service: EndpointService, name: str, limit: int) -> CapturesOut:
    return CapturesOut(
        captures=[CaptureOut(**capture) for capture in service.store.captures(name, limit)]
    )


def task_of(service: EndpointService, name: str) -> Task | None:
    """The endpoint's task, or the one its first primary's signature implies."""
    return endpoint_task(service.config(name))


def metrics_out(
    service: EndpointService, name: str, since: int | None, until: int | None, step: int
) -> MetricsOut:
    now = int(time.time())
    start = since if since is not None else now - DEFAULT_METRICS_SPAN_S
    span = (until if until is not None else now) - start
    if span > MAX_METRICS_SPAN_S or span > step * MAX_METRICS_POINTS:
        raise InvalidInput(
            f"A metrics window spans at most {MAX_METRICS_SPAN_S // 86400} days and "
            f"{MAX_METRICS_POINTS:,} steps: give a later `since` or a longer `step`."
        )
    found = endpoint_metrics(
        service.database, service.endpoint_id(name), since_s=start, until_s=until, step_s=step
    )
    return MetricsOut.model_validate(_finite(found))


def evaluation_out(service: EndpointService, name: str) -> EvaluationOut:
    endpoint = service.get(name)
    task = task_of(service, name)
    if task is None:
        return EvaluationOut(task=None, metric=None, variants={}, comparisons=[])
    found = online_evaluation(
        service.database,
        service.endpoint_id(name),
        task,
        since_ms=endpoint.evaluation_since,
    )
    return EvaluationOut.model_validate(_finite(found))


def feedback_out(
    service: EndpointService, name: str, items: Sequence[FeedbackItemIn]
) -> FeedbackOut:
    endpoint_id = service.endpoint_id(name)
    task = task_of(service, name)
    # All or none: a refused label (unknown task, a second label) leaves the others unwritten.
    counts = record_feedback_batch(
        service.database, endpoint_id, [(item.request_id, item.label) for item in items], task
    )
    return FeedbackOut(scored=counts["scored"], pending=counts["pending"])


def _finite(value: Any) -> Any:
    """JSON-safe: NaN and the infinities (no p-value yet, no variance) become None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value
