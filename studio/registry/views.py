"""What the registry's REST handlers answer: the service's objects as wire models."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from studio.registry.schemas import (
    DeploymentOut,
    GateResultOut,
    IdOut,
    LineageOut,
    ModelOut,
    ModelsOut,
    RunLineageOut,
    VersionOut,
    VersionsOut,
)

if TYPE_CHECKING:
    from studio.registry.entities import ModelVersion, RegisteredModel
    from studio.registry.gates import GateResult

__all__ = ["lineage_out", "model_out", "models_out", "version_out", "versions_out"]


def model_out(model: RegisteredModel) -> ModelOut:
    return ModelOut(
        name=model.name,
        description=model.description,
        gates=dict(model.gates),
        tags=dict(model.tags),
        aliases=dict(model.aliases),
        latest_version=model.latest_version,
        version_count=model.version_count,
        created_at=model.created_at,
        updated_at=model.updated_at,
    )


def models_out(models: list[RegisteredModel]) -> ModelsOut:
    return ModelsOut(models=[model_out(model) for model in models])


def version_out(version: ModelVersion) -> VersionOut:
    return VersionOut(
        name=version.name,
        version=version.version,
        uri=version.uri,
        source=version.source,
        run_id=version.run_id,
        artifact_path=version.artifact_path,
        format=version.format,
        flavor=version.flavor,
        model_class=version.model_class,
        sha256=version.sha256,
        untrusted_types=list(version.untrusted_types),
        approved_types=list(version.approved_types),
        signature=version.signature,
        input_example=version.input_example,
        lineage=dict(version.lineage),
        description=version.description,
        status=version.status.value,
        status_by=version.status_by,
        status_at=version.status_at,
        status_comment=version.status_comment,
        aliases=list(version.aliases),
        tags=dict(version.tags),
        created_by=version.created_by,
        created_at=version.created_at,
        updated_at=version.updated_at,
    )


def versions_out(versions: list[ModelVersion]) -> VersionsOut:
    return VersionsOut(versions=[version_out(version) for version in versions])


def lineage_out(lineage: dict[str, Any], version_uri: str) -> LineageOut:
    run = lineage["run"]
    gates: list[GateResult] = lineage["gates"]
    return LineageOut(
        run=None if run is None else RunLineageOut(**run),
        job_run=_id(lineage["job_run"]),
        job_definition=_id(lineage["job_definition"]),
        notebook=lineage["notebook"],
        dataset=lineage["dataset"],
        deployments=[
            DeploymentOut(model_uri=version_uri, **event) for event in lineage["deployments"]
        ],
        gates=[
            GateResultOut(
                metric=result.metric,
                condition=result.condition,
                value=result.value,
                passed=result.passed,
                message=result.message,
            )
            for result in gates
        ],
        needs_approval=list(lineage["needs_approval"]),
        not_servable=list(lineage["not_servable"]),
        untrusted_reasons=dict(lineage["untrusted_reasons"]),
    )


def _id(value: dict[str, int] | None) -> IdOut | None:
    return None if value is None else IdOut(id=value["id"])
