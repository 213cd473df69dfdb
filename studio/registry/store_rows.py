"""Rows of the registry's tables to entities and back, shared by the registry store's
methods (one session each: these take the caller's)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select

from studio.errors import Conflict, NotFound
from studio.registry.entities import ApprovalStatus, ModelVersion, RegisteredModel
from studio.registry.orm import (
    SqlModelAlias,
    SqlModelTag,
    SqlModelVersion,
    SqlModelVersionTag,
    SqlRegisteredModel,
)
from studio.serving.orm import SqlEndpoint, SqlEndpointVariant

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = [
    "find_model_id",
    "model_row",
    "models_of",
    "new_model",
    "refuse_deployed",
    "replace_tags",
    "tags_by",
    "version_row",
    "versions_of",
]


def find_model_id(session: Session, name: str) -> int | None:
    found = session.scalar(select(SqlRegisteredModel.id).where(SqlRegisteredModel.name == name))
    return None if found is None else int(found)


def model_row(session: Session, name: str) -> SqlRegisteredModel:
    row = session.scalar(select(SqlRegisteredModel).where(SqlRegisteredModel.name == name))
    if row is None:
        raise NotFound(f"No registered model is named {name!r}.")
    return row


def new_model(
    session: Session, name: str, description: str, gates: dict[str, str], now: int
) -> SqlRegisteredModel:
    row = SqlRegisteredModel(
        name=name,
        description=description,
        gates=gates,
        last_version=0,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row


def version_row(session: Session, name: str, version: int) -> SqlModelVersion:
    model_id = model_row(session, name).id
    row = session.scalar(
        select(SqlModelVersion).where(
            SqlModelVersion.model_id == model_id, SqlModelVersion.version == version
        )
    )
    if row is None:
        raise NotFound(f"The model {name!r} has no version {version}.")
    return row


def refuse_deployed(
    session: Session, version_ids: Sequence[int], what: str, action: str = "delete"
) -> None:
    if not version_ids:
        return
    endpoints = sorted(
        set(
            session.scalars(
                select(SqlEndpoint.name)
                .join(SqlEndpointVariant, SqlEndpointVariant.endpoint_id == SqlEndpoint.id)
                .where(SqlEndpointVariant.model_version_id.in_(version_ids))
            )
        )
    )
    if endpoints:
        raise Conflict(
            f"Cannot {action} {what}: it is deployed on the endpoint(s) {', '.join(endpoints)}. "
            "Remove it from them first."
        )


def replace_tags(
    session: Session, table: Any, owner_column: Any, owner_id: int, tags: Mapping[str, str]
) -> None:
    session.execute(delete(table).where(owner_column == owner_id))
    owner = owner_column.key
    for key, value in tags.items():
        session.add(table(**{owner: owner_id, "key": key, "value": value}))
    session.flush()


def tags_by(
    session: Session, table: Any, owner_column: Any, ids: Iterable[int]
) -> dict[int, dict[str, str]]:
    found: dict[int, dict[str, str]] = {}
    for owner, key, value in session.execute(
        select(owner_column, table.key, table.value).where(owner_column.in_(list(ids)))
    ):
        found.setdefault(owner, {})[key] = value
    return found


def models_of(session: Session, rows: Sequence[SqlRegisteredModel]) -> list[RegisteredModel]:
    ids = [row.id for row in rows]
    if not ids:
        return []
    counts = {
        model_id: (int(count), latest)
        for model_id, count, latest in session.execute(
            select(
                SqlModelVersion.model_id,
                func.count(SqlModelVersion.id),
                func.max(SqlModelVersion.version),
            )
            .where(SqlModelVersion.model_id.in_(ids))
            .group_by(SqlModelVersion.model_id)
        )
    }
    aliases: dict[int, dict[str, int]] = {}
    for model_id, alias, number in session.execute(
        select(SqlModelAlias.model_id, SqlModelAlias.alias, SqlModelVersion.version)
        .join(SqlModelVersion, SqlModelVersion.id == SqlModelAlias.version_id)
        .where(SqlModelAlias.model_id.in_(ids))
        .order_by(SqlModelAlias.alias)
    ):
        aliases.setdefault(model_id, {})[alias] = int(number)
    tags = tags_by(session, SqlModelTag, SqlModelTag.model_id, ids)
    return [
        RegisteredModel(
            id=row.id,
            name=row.name,
            description=row.description,
            gates=dict(row.gates or {}),
            created_at=row.created_at,
            updated_at=row.updated_at,
            latest_version=counts.get(row.id, (0, None))[1],
            version_count=counts.get(row.id, (0, None))[0],
            aliases=aliases.get(row.id, {}),
            tags=tags.get(row.id, {}),
        )
        for row in rows
    ]


def versions_of(session: Session, rows: Sequence[SqlModelVersion]) -> list[ModelVersion]:
    ids = [row.id for row in rows]
    if not ids:
        return []
    names = {
        model_id: name
        for model_id, name in session.execute(
            select(SqlRegisteredModel.id, SqlRegisteredModel.name).where(
                SqlRegisteredModel.id.in_({row.model_id for row in rows})
            )
        )
    }
    aliases: dict[int, list[str]] = {}
    for version_id, alias in session.execute(
        select(SqlModelAlias.version_id, SqlModelAlias.alias)
        .where(SqlModelAlias.version_id.in_(ids))
        .order_by(SqlModelAlias.alias)
    ):
        aliases.setdefault(version_id, []).append(alias)
    tags = tags_by(session, SqlModelVersionTag, SqlModelVersionTag.version_id, ids)
    return [
        ModelVersion(
            id=row.id,
            name=names[row.model_id],
            version=row.version,
            source=row.source,
            run_id=row.run_id,
            artifact_path=row.artifact_path,
            storage_path=row.storage_path,
            format=row.format,
            sha256=row.sha256,
            flavor=row.flavor,
            model_class=row.model_class,
            untrusted_types=tuple(row.untrusted_types or ()),
            approved_types=tuple(row.approved_types or ()),
            signature=row.signature,
            input_example=row.input_example,
            lineage=dict(row.lineage or {}),
            description=row.description,
            status=ApprovalStatus(row.status),
            status_by=row.status_by,
            status_at=row.status_at,
            status_comment=row.status_comment,
            created_by=row.created_by,
            created_at=row.created_at,
            updated_at=row.updated_at,
            aliases=tuple(aliases.get(row.id, ())),
            tags=tags.get(row.id, {}),
        )
        for row in rows
    ]
