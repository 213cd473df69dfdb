"""Wire models of the endpoints' REST API on the Jupyter server: configuration, start and
stop, the deployment history, captures, feedback, and the panel's metrics and evaluation.

Every limit is declared here, so that the OpenAPI document tells clients; the service checks
the same limits for the Python API and the command line. Times are milliseconds since the
epoch, except the metrics' series, which count in seconds as their buckets do.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, RootModel

from studio.registry.orm import URI_LENGTH
from studio.serving.entities import Task, VariantRole
from studio.serving.tokens import MAX_TOKEN_LENGTH, MIN_TOKEN_LENGTH
from studio.serving.validation import (
    ENDPOINT_NAME_PATTERN,
    MAX_DESCRIPTION,
    MAX_VARIANTS,
    MAX_WORKERS,
    VARIANT_NAME_PATTERN,
)
from studio.wire import QueryIn, WireIn, WireOut

MAX_FEEDBACK = 1000
"""Labels in one feedback request."""
MAX_CAPTURES = 1000
MAX_METRICS_SPAN_S = 7 * 24 * 3600
MAX_METRICS_POINTS = 10_000
MAX_EVENTS = 1000
REQUEST_ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"

TaskName = Literal["classification", "regression"]
RoleName = Literal["primary", "shadow"]

if set(TaskName.__args__) != {t.value for t in Task}:  # type: ignore[attr-defined]
    raise RuntimeError("The wire's tasks must be Task's.")
if set(RoleName.__args__) != {r.value for r in VariantRole}:  # type: ignore[attr-defined]
    raise RuntimeError("The wire's variant roles must be VariantRole's.")

EndpointName = Annotated[str, Field(pattern=ENDPOINT_NAME_PATTERN)]
VariantName = Annotated[str, Field(pattern=VARIANT_NAME_PATTERN)]
ModelUri = Annotated[
    str,
    Field(
        min_length=1,
        max_length=URI_LENGTH,
        description="models:/<name>/<version>, models:/<name>@<alias> or models:/<name>/latest",
    ),
]
Weight = Annotated[
    float,
    Field(ge=0, le=1e9, description="A relative share of traffic; 0: only by X-Target-Variant."),
]
Sampling = Annotated[
    float, Field(gt=0, le=1, description="A shadow's share of requests copied to it.")
]
Capture = Annotated[float, Field(ge=0, le=1, description="The share of requests captured.")]
Description = Annotated[str, Field(max_length=MAX_DESCRIPTION)]
Token = Annotated[
    str,
    Field(
        pattern=rf"^[\x21-\x7e]{{{MIN_TOKEN_LENGTH},{MAX_TOKEN_LENGTH}}}$",
        description="The invocation token (kept only as a salted hash).",
    ),
]
Port = Annotated[int, Field(ge=1, le=65535)]
Workers = Annotated[int, Field(ge=1, le=MAX_WORKERS)]


# Configuration ---------------------------------------------------------------------------------


class VariantIn(WireIn, title="EndpointVariantIn"):
    """A model version behind an endpoint: a primary with a weight, or a shadow with a
    sampling share. Only an approved version may be served."""

    name: VariantName
    model_uri: ModelUri
    weight: Weight = 1.0
    role: RoleName = "primary"
    sampling: Sampling = 1.0


class EndpointIn(WireIn, title="EndpointIn"):
    """A new endpoint. Without a token it listens only on loopback."""

    name: EndpointName
    variants: list[VariantIn] = Field(min_length=1, max_length=MAX_VARIANTS)
    capture: Capture = 0.0
    token: Token | None = None
    task: TaskName | None = Field(
        None, description="The online evaluation's task; None: from the model's signature."
    )
    description: Description = ""


class EndpointPatch(WireIn, title="EndpointPatch"):
    """A live change: a new configuration version that running servers pick up."""

    weights: dict[VariantName, Weight] | None = Field(None, max_length=MAX_VARIANTS)
    add: list[VariantIn] | None = Field(
        None, max_length=MAX_VARIANTS, description="Variants added, or replaced by name."
    )
    remove: list[VariantName] | None = Field(None, max_length=MAX_VARIANTS)
    capture: Capture | None = None
    description: Description | None = None


class StartIn(WireIn, title="EndpointStartIn"):
    """Where to start a server on the Jupyter server's machine; None: as last time (the
    port if still free, else a free one)."""

    port: Port | None = None
    workers: Workers | None = None


class VariantOut(WireOut, title="EndpointVariantOut"):
    name: str
    role: RoleName
    model_uri: str
    model_name: str
    model_version: int
    weight: float
    sampling: float


class ReplicaOut(WireOut, title="EndpointReplicaOut"):
    id: str
    host: str
    bind_host: str
    port: int
    pid: int
    workers: int
    managed: bool = Field(description="Started by Studio (which may stop it).")
    started_at: int
    heartbeat_at: int
    alive: bool


class EndpointOut(WireOut, title="EndpointOut"):
    name: str
    description: str
    config_version: int
    capture: float
    task: TaskName | None
    has_token: bool
    host: str
    port: int | None
    workers: int
    running: bool
    variants: list[VariantOut]
    replicas: list[ReplicaOut]
    evaluation_since: int
    created_at: int
    updated_at: int


class EndpointsOut(WireOut, title="EndpointListOut"):
    endpoints: list[EndpointOut]


class EventOut(WireOut, title="EndpointEventOut"):
    id: int
    endpoint: str
    kind: str = Field(
        description="created, deployed, removed, weights, changed, started, stopped, deleted"
    )
    model_uri: str | None
    detail: dict[str, Any]
    actor: str | None
    at: int


class EventsOut(WireOut, title="EndpointEventListOut"):
    events: list[EventOut]


# What happens on an endpoint -------------------------------------------------------------------


class CapturesQuery(QueryIn, title="EndpointCapturesQuery"):
    limit: int = Field(100, ge=1, le=MAX_CAPTURES, description="The newest files, at most.")


class CaptureOut(WireOut, title="EndpointCaptureOut"):
    path: str = Field(description="Relative to the artifact root.")
    records: int
    bytes: int
    first_at: int
    last_at: int


class CapturesOut(WireOut, title="EndpointCaptureListOut"):
    captures: list[CaptureOut]


class FeedbackItemIn(WireIn, title="EndpointFeedbackItemIn"):
    request_id: Annotated[str, Field(pattern=REQUEST_ID_PATTERN)]
    label: Any = Field(description="The true label (or value) of the request's rows.")


class FeedbackIn(
    RootModel[
        FeedbackItemIn
        | Annotated[list[FeedbackItemIn], Field(min_length=1, max_length=MAX_FEEDBACK)]
    ],
    title="EndpointFeedbackIn",
):
    """The label of an answered request by its X-Request-Id, or a list of them (the serving
    process's `POST /feedback` body)."""

    model_config = ConfigDict(strict=True)

    @property
    def items(self) -> list[FeedbackItemIn]:
        return self.root if isinstance(self.root, list) else [self.root]


class FeedbackOut(WireOut, title="EndpointFeedbackOut"):
    scored: int = Field(description="Matched with a recorded prediction now.")
    pending: int = Field(description="Kept until the prediction is written (within a second).")


class MetricsQuery(QueryIn, title="EndpointMetricsQuery"):
    since: int | None = Field(
        None, ge=0, le=2**40, description="Epoch seconds; None: the last 10 minutes."
    )
    until: int | None = Field(None, ge=0, le=2**40, description="Epoch seconds; None: now.")
    step: int = Field(
        5,
        ge=1,
        le=3600,
        description=(
            f"Seconds per point; a window spans at most {MAX_METRICS_SPAN_S // 86400} days "
            f"and {MAX_METRICS_POINTS:,} steps."
        ),
    )


class VariantSeriesOut(WireOut, title="EndpointVariantSeriesOut"):
    shadow: bool
    t: list[int]
    requests: list[float]
    rps: list[float]
    errors: list[float]
    p50: list[float | None]
    p95: list[float | None]
    p99: list[float | None]


class VariantTotalsOut(WireOut, title="EndpointVariantTotalsOut"):
    invocations: int
    errors: int
    p50: float | None
    p95: float | None
    p99: float | None


class MetricsOut(WireOut, title="EndpointMetricsOut"):
    step: int
    variants: dict[str, VariantSeriesOut]
    totals: dict[str, VariantTotalsOut]


class OnlineVariantOut(WireOut, title="EndpointOnlineVariantOut"):
    n: int = Field(description="Labelled predictions.")
    value: float | None = Field(description="Accuracy (classification) or MAE (regression).")
    shadow: bool


class ComparisonOut(WireOut, title="EndpointComparisonOut"):
    control: str
    challenger: str
    test: str
    p_value: float | None
    required_n: int | None
    traffic_still_needed: int | None
    significant: bool
    decided: bool
    winner: str | None
    message: str


class EvaluationOut(WireOut, title="EndpointEvaluationOut"):
    task: TaskName | None
    metric: str | None
    variants: dict[str, OnlineVariantOut]
    comparisons: list[ComparisonOut]
