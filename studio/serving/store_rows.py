"""Rows of the endpoints' tables read into entities and written from checked values: the
helpers of `studio.serving.store`, each working inside the caller's session."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from studio.errors import InvalidInput
from studio.registry.orm import SqlModelVersion, SqlRegisteredModel
from studio.serving.entities import Endpoint, Task, Variant, VariantRole
from studio.serving.orm import SqlEndpoint, SqlEndpointEvent, SqlEndpointVariant
from studio.serving.store_replicas import replicas_of

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = [
    "EndpointRow",
    "VariantRow",
    "add_event",
    "check_primaries",
    "deployed_event",
    "describe_variants",
    "endpoint_of",
    "jsonable",
    "no_variant",
    "variant_row",
    "variants_of",
]


@dataclass(frozen=True)
class VariantRow:
    """A variant as the service checked it: its model URI as given, the version it names."""

    name: str
    role: VariantRole
    model_uri: str
    model_version_id: int
    weight: float = 1.0
    sampling: float = 1.0


@dataclass(frozen=True)
class EndpointRow:
    """What a serving configuration is built from (the service resolves the URIs again)."""

    id: int
    name: str
    config_version: int
    capture: float
    task: Task | None
    token_hash: str | None
    proxy_key: str
    variants: tuple[VariantRow, ...]


def variants_of(session: Session, endpoint_id: int) -> list[SqlEndpointVariant]:
    return list(
        session.scalars(
            select(SqlEndpointVariant)
            .where(SqlEndpointVariant.endpoint_id == endpoint_id)
            .order_by(SqlEndpointVariant.role, SqlEndpointVariant.name)
        )
    )


def variant_row(endpoint_id: int, variant: VariantRow, now: int) -> SqlEndpointVariant:
    return SqlEndpointVariant(
        endpoint_id=endpoint_id,
        name=variant.name,
        role=variant.role.value,
        model_uri=variant.model_uri,
        model_version_id=variant.model_version_id,
        weight=variant.weight if variant.role is VariantRole.PRIMARY else 0.0,
        sampling=variant.sampling if variant.role is VariantRole.SHADOW else 1.0,
        created_at=now,
    )


def check_primaries(variants: Sequence[VariantRow], name: str) -> None:
    primaries = [v for v in variants if v.role is VariantRole.PRIMARY]
    if not primaries or sum(v.weight for v in primaries) <= 0:
        raise InvalidInput(
            f"Endpoint {name!r} needs at least one primary variant with a weight above 0 "
            "(weights are relative shares; a weight of 0 is reached only by X-Target-Variant)."
        )


def no_variant(endpoint: str, variant: str, known: Mapping[str, object]) -> str:
    names = ", ".join(sorted(known)) or "none"
    return f"Endpoint {endpoint!r} has no variant {variant!r} (its variants: {names})."


def describe_variants(variants: Sequence[VariantRow]) -> dict[str, Any]:
    return {
        v.name: {"role": v.role.value, "model_uri": v.model_uri, "weight": v.weight}
        | ({"sampling": v.sampling} if v.role is VariantRole.SHADOW else {})
        for v in variants
    }


def deployed_event(
    session: Session,
    name: str,
    variant: VariantRow,
    replaced: SqlEndpointVariant | None,
    actor: str | None,
    now: int,
) -> None:
    detail: dict[str, Any] = {"variant": variant.name} | describe_variants([variant])[variant.name]
    if replaced is not None:
        detail["replaces"] = replaced.model_uri
    add_event(session, name, "deployed", variant.model_version_id, detail, actor, now)


def add_event(
    session: Session,
    name: str,
    kind: str,
    model_version_id: int | None,
    detail: dict[str, Any],
    actor: str | None,
    now: int,
) -> None:
    session.add(
        SqlEndpointEvent(
            endpoint_name=name,
            kind=kind,
            model_version_id=model_version_id,
            detail=detail,
            actor=actor,
            at=now,
        )
    )


def jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.value if isinstance(v, Task) else v for k, v in values.items()}


def endpoint_of(session: Session, row: SqlEndpoint, now: int) -> Endpoint:
    variant_rows = session.execute(
        select(SqlEndpointVariant, SqlRegisteredModel.name, SqlModelVersion.version)
        .join(SqlModelVersion, SqlModelVersion.id == SqlEndpointVariant.model_version_id)
        .join(SqlRegisteredModel, SqlRegisteredModel.id == SqlModelVersion.model_id)
        .where(SqlEndpointVariant.endpoint_id == row.id)
        .order_by(SqlEndpointVariant.role, SqlEndpointVariant.name)
    ).all()
    return Endpoint(
        name=row.name,
        description=row.description,
        config_version=row.config_version,
        variants=tuple(
            Variant(
                name=v.name,
                role=VariantRole(v.role),
                model_uri=v.model_uri,
                model_name=model,
                model_version=version,
                weight=v.weight,
                sampling=v.sampling,
            )
            for v, model, version in variant_rows
        ),
        capture=row.capture,
        task=Task(row.task) if row.task else None,
        has_token=row.token_hash is not None,
        host=row.host,
        port=row.port,
        workers=row.workers,
        evaluation_since=row.evaluation_since,
        created_at=row.created_at,
        updated_at=row.updated_at,
        replicas=tuple(replicas_of(session, row.id, now)),
    )
