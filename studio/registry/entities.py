"""The model registry's plain domain objects: registered models, versions, approval.

Standard library only: the serving process, the store, the REST layer and the Python API all
hand these around.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

__all__ = ["ApprovalStatus", "ModelVersion", "RegisteredModel"]


class ApprovalStatus(str, Enum):
    """A version's review. Only an APPROVED version may go behind an endpoint."""

    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


@dataclass(frozen=True)
class ModelVersion:
    """One registered version of a model. `version` counts from 1 and is never reused.

    `source` is what was registered ("runs:/<run id>/<artifact path>"); `storage_path` is
    the copy under the artifact root that endpoints load, so the version outlives its run.
    `untrusted_types` are all the types in the file that skops does not trust by default;
    `approved_types` those a person approved (Studio trusts `sklearn.*` and `numpy.dtype`
    itself). `lineage` holds what was known at registration: `experiment_id`, `job_run_id`,
    `job_definition_id`, `notebook`, `dataset`.
    """

    id: int
    name: str
    version: int
    source: str
    run_id: str | None
    artifact_path: str
    storage_path: str
    format: str
    sha256: str
    flavor: str
    model_class: str
    untrusted_types: tuple[str, ...]
    approved_types: tuple[str, ...]
    signature: dict[str, Any] | None
    input_example: dict[str, Any] | None
    lineage: dict[str, Any]
    description: str
    status: ApprovalStatus
    status_by: str | None
    status_at: int | None
    status_comment: str
    created_by: str | None
    created_at: int
    updated_at: int
    aliases: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"


@dataclass(frozen=True)
class RegisteredModel:
    """A named model with its versions' summary. `gates` maps a metric to a condition its
    run must meet for a version to be approved, e.g. {"accuracy": ">= 0.9"}."""

    id: int
    name: str
    description: str
    gates: dict[str, str]
    created_at: int
    updated_at: int
    latest_version: int | None
    version_count: int
    aliases: dict[str, int] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
