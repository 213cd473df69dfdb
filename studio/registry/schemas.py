"""Wire models of the model registry's REST API: models, versions, aliases, reviews, lineage.

Every limit is declared here, so that the OpenAPI document tells clients; the service checks
the same limits for the Python API and the command line. Times are milliseconds since the
epoch.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from studio.registry.checks import (
    MAX_APPROVED_TYPES,
    MAX_COMMENT_LENGTH,
    MAX_DESCRIPTION_LENGTH,
    MAX_TAG_VALUE_LENGTH,
    MAX_TAGS,
    MAX_TYPE_NAME_LENGTH,
    MAX_VERSION,
)
from studio.registry.entities import ApprovalStatus
from studio.registry.gates import MAX_CONDITION_LENGTH, MAX_GATES
from studio.tracking.validation import MAX_KEY_LENGTH, MAX_NAME_LENGTH
from studio.wire import QueryIn, WireIn, WireOut

MAX_SOURCE_LENGTH = 4096

Status = Literal["PENDING", "APPROVED", "REJECTED"]
if tuple(Status.__args__) != tuple(s.value for s in ApprovalStatus):  # type: ignore[attr-defined]
    raise RuntimeError("The wire's approval statuses must be ApprovalStatus's, in its order.")

ModelName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_NAME_LENGTH,
        pattern=r"^[^/:@]+$",
        description="No '/', ':' or '@': they separate the parts of a models:/ URI.",
    ),
]
Description = Annotated[str, Field(max_length=MAX_DESCRIPTION_LENGTH)]
Comment = Annotated[str, Field(max_length=MAX_COMMENT_LENGTH)]
MetricName = Annotated[str, Field(min_length=1, max_length=MAX_KEY_LENGTH)]
Gates = Annotated[
    dict[MetricName, Annotated[str, Field(min_length=1, max_length=MAX_CONDITION_LENGTH)]],
    Field(
        max_length=MAX_GATES,
        description="Metric -> condition its run must meet to be approved, e.g. '>= 0.9'.",
    ),
]
Tags = Annotated[
    dict[
        Annotated[str, Field(min_length=1, max_length=MAX_KEY_LENGTH)],
        Annotated[str, Field(max_length=MAX_TAG_VALUE_LENGTH)],
    ],
    Field(max_length=MAX_TAGS),
]
TypeName = Annotated[str, Field(min_length=1, max_length=MAX_TYPE_NAME_LENGTH)]


# Models ----------------------------------------------------------------------------------------


class ModelsQuery(QueryIn, title="RegisteredModelsQuery"):
    filter: str | None = Field(
        None, max_length=MAX_NAME_LENGTH, description="Part of a model's name, in any case."
    )


class ModelIn(WireIn, title="RegisteredModelIn"):
    name: ModelName
    description: Description = ""
    gates: Gates = Field(default_factory=dict)
    tags: Tags = Field(default_factory=dict)


class ModelPatch(WireIn, title="RegisteredModelPatch"):
    """The fields given change; `gates` and `tags` replace the old ones."""

    description: Description | None = None
    gates: Gates | None = None
    tags: Tags | None = None

    def changes(self) -> dict[str, Any]:
        given = self.model_dump(include=self.model_fields_set)
        return {key: value for key, value in given.items() if value is not None}


class ModelOut(WireOut, title="RegisteredModelOut"):
    name: str
    description: str
    gates: dict[str, str]
    tags: dict[str, str]
    aliases: dict[str, int] = Field(description="Alias -> the version it names.")
    latest_version: int | None
    version_count: int
    created_at: int
    updated_at: int


class ModelsOut(WireOut, title="RegisteredModelsOut"):
    models: list[ModelOut]


# Versions --------------------------------------------------------------------------------------


class VersionIn(WireIn, title="ModelVersionIn"):
    source: str = Field(
        min_length=1,
        max_length=MAX_SOURCE_LENGTH,
        description="A run id (its 'model' folder) or 'runs:/<run id>/<artifact path>'.",
    )
    description: Description = ""
    tags: Tags = Field(default_factory=dict)


class VersionPatch(WireIn, title="ModelVersionPatch"):
    """The fields given change; `tags` replace the old ones."""

    description: Description | None = None
    tags: Tags | None = None

    def changes(self) -> dict[str, Any]:
        given = self.model_dump(include=self.model_fields_set)
        return {key: value for key, value in given.items() if value is not None}


class VersionOut(WireOut, title="ModelVersionOut"):
    name: str
    version: int
    uri: str = Field(description="models:/<name>/<version>")
    source: str
    run_id: str | None = Field(description="None once the run is deleted.")
    artifact_path: str
    format: Literal["skops", "joblib"]
    flavor: str
    model_class: str
    sha256: str
    untrusted_types: list[str] = Field(description="Every type skops does not trust by default.")
    approved_types: list[str]
    signature: dict[str, Any] | None
    input_example: dict[str, Any] | None
    lineage: dict[str, Any] = Field(description="What was known of the run at registration.")
    description: str
    status: Status
    status_by: str | None
    status_at: int | None
    status_comment: str
    aliases: list[str]
    tags: dict[str, str]
    created_by: str | None
    created_at: int
    updated_at: int


class VersionsOut(WireOut, title="ModelVersionsOut"):
    versions: list[VersionOut] = Field(description="Newest first.")


class ApproveIn(WireIn, title="ModelApproveIn"):
    approve_types: list[TypeName] = Field(
        default_factory=list,
        max_length=MAX_APPROVED_TYPES,
        description="Types outside Studio's trusted ones that the reviewer trusts, by name.",
    )
    comment: Comment = ""


class RejectIn(WireIn, title="ModelRejectIn"):
    comment: Comment = ""


class AliasIn(WireIn, title="ModelAliasIn"):
    version: int = Field(ge=1, le=MAX_VERSION)


# Lineage ---------------------------------------------------------------------------------------


class RunLineageOut(WireOut, title="ModelRunLineageOut"):
    id: str
    name: str
    experiment_id: int
    experiment: str | None
    status: str
    metrics: dict[str, float] = Field(description="The latest value of each metric.")
    params: dict[str, str]
    deleted: bool = Field(False, description="The run is gone: this is what was recorded.")


class IdOut(WireOut, title="LineageIdOut"):
    id: int


class DeploymentOut(WireOut, title="ModelDeploymentOut"):
    """An endpoint event about the version (kept after the endpoint is deleted)."""

    id: int
    endpoint: str
    kind: str
    model_uri: str | None
    detail: dict[str, Any]
    actor: str | None
    at: int


class GateResultOut(WireOut, title="GateResultOut"):
    metric: str
    condition: str
    value: float | None = Field(description="The run's latest value; None: never logged.")
    passed: bool
    message: str


class LineageOut(WireOut, title="ModelLineageOut"):
    run: RunLineageOut | None
    job_run: IdOut | None
    job_definition: IdOut | None
    notebook: str | None
    dataset: dict[str, Any] | None = Field(description="The run's `studio.dataset` tag.")
    deployments: list[DeploymentOut]
    gates: list[GateResultOut]
    needs_approval: list[str]
    not_servable: list[str]
    untrusted_reasons: dict[str, str]
