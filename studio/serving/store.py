"""Endpoints' configuration in the Studio store: endpoints, variants, events, replicas.

SQL only; one managed session per public method (STYLE.md rule 5). Every configuration change
bumps `config_version` and writes its `endpoint_events` rows in the same transaction, so a
serving worker polling `config_stamp` never sees a change without its version, and the
deployment history never misses one. The service checks what it is given; the store keeps
the one rule that only holds over the rows as a whole (a primary variant with a weight above
0 remains), under the endpoint's row lock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from studio.errors import Conflict, InvalidInput, NotFound
from studio.registry.orm import SqlModelAlias, SqlModelVersion, SqlRegisteredModel
from studio.serving.entities import Endpoint, Task, VariantRole
from studio.serving.orm import (
    SqlEndpoint,
    SqlEndpointCapture,
    SqlEndpointEvent,
    SqlEndpointReplica,
    SqlEndpointVariant,
)
from studio.serving.store_replicas import (
    REPLICA_ALIVE_MS,
    ReplicaProcess,
    ReplicaRows,
    endpoint_named,
    replicas_of,
)
from studio.serving.store_rows import (
    EndpointRow,
    VariantRow,
    add_event,
    check_primaries,
    deployed_event,
    describe_variants,
    endpoint_of,
    jsonable,
    no_variant,
    variant_row,
    variants_of,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from studio.db.engine import Database

__all__ = [
    "REPLICA_ALIVE_MS",
    "EndpointRow",
    "EndpointStore",
    "ReplicaProcess",
    "VariantRow",
]

_SETTINGS = frozenset({"description", "capture", "task", "token_hash", "host", "port", "workers"})


class EndpointStore(ReplicaRows):
    """Endpoints over one database."""

    def __init__(self, database: Database) -> None:
        self.db = database

    # Configuration -----------------------------------------------------------------------

    def create_endpoint(
        self,
        *,
        name: str,
        description: str,
        capture: float,
        task: Task | None,
        token_hash: str | None,
        proxy_key: str,
        host: str,
        port: int | None,
        workers: int,
        variants: Sequence[VariantRow],
        actor: str | None,
        now: int,
    ) -> Endpoint:
        with self.db.session(write=True) as session:
            if session.scalar(select(SqlEndpoint.id).where(SqlEndpoint.name == name)):
                raise Conflict(f"An endpoint named {name!r} already exists.")
            row = SqlEndpoint(
                name=name,
                description=description,
                config_version=1,
                capture=capture,
                task=task.value if task else None,
                token_hash=token_hash,
                proxy_key=proxy_key,
                host=host,
                port=port,
                workers=workers,
                evaluation_since=now,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            check_primaries(variants, name)
            for variant in variants:
                session.add(variant_row(row.id, variant, now))
            add_event(
                session,
                name,
                "created",
                None,
                {"variants": describe_variants(variants)},
                actor,
                now,
            )
            for variant in variants:
                deployed_event(session, name, variant, None, actor, now)
            session.flush()
            return endpoint_of(session, row, now)

    def update_endpoint(
        self,
        name: str,
        *,
        weights: Mapping[str, float] | None = None,
        upsert: Sequence[VariantRow] = (),
        remove: Sequence[str] = (),
        settings: Mapping[str, Any] | None = None,
        actor: str | None,
        now: int,
    ) -> Endpoint:
        """Apply a change as one new configuration version: `weights` of existing primaries,
        variants added or replaced by name (`upsert`), `remove`d by name, and `settings`
        (description, capture, task, token_hash, host, port, workers)."""
        settings = dict(settings or {})
        unknown = set(settings) - _SETTINGS
        if unknown:
            raise InvalidInput(f"Unknown endpoint settings: {', '.join(sorted(unknown))}.")
        with self.db.session(write=True) as session:
            row = _locked(session, name)
            current = {
                v.name: v
                for v in session.scalars(
                    select(SqlEndpointVariant).where(SqlEndpointVariant.endpoint_id == row.id)
                )
            }
            traffic_changed = False
            for variant_name in remove:
                found = current.pop(variant_name, None)
                if found is None:
                    raise NotFound(no_variant(name, variant_name, current))
                session.delete(found)
                add_event(
                    session,
                    name,
                    "removed",
                    found.model_version_id,
                    {"variant": variant_name, "model_uri": found.model_uri},
                    actor,
                    now,
                )
                traffic_changed = True
            for variant in upsert:
                replaced = current.pop(variant.name, None)
                if replaced is not None:
                    session.delete(replaced)
                    session.flush()
                added = variant_row(row.id, variant, now)
                session.add(added)
                current[variant.name] = added
                deployed_event(session, name, variant, replaced, actor, now)
                traffic_changed = True
            if weights:
                before = {}
                for variant_name, weight in weights.items():
                    found = current.get(variant_name)
                    if found is None:
                        raise NotFound(no_variant(name, variant_name, current))
                    if found.role != VariantRole.PRIMARY.value:
                        raise InvalidInput(
                            f"Variant {variant_name!r} of endpoint {name!r} is a shadow: it has "
                            "a sampling share, not a weight."
                        )
                    before[variant_name] = found.weight
                    found.weight = weight
                add_event(
                    session,
                    name,
                    "weights",
                    None,
                    {"from": before, "to": dict(weights)},
                    actor,
                    now,
                )
                traffic_changed = True
            check_primaries(
                [
                    VariantRow(
                        v.name, VariantRole(v.role), v.model_uri, v.model_version_id, v.weight
                    )
                    for v in current.values()
                ],
                name,
            )
            if settings:
                for key, value in settings.items():
                    setattr(row, key, value.value if isinstance(value, Task) else value)
                shown = {k: v for k, v in settings.items() if k != "token_hash"}
                if "token_hash" in settings:
                    shown["token"] = "set" if settings["token_hash"] else "removed"
                add_event(session, name, "changed", None, jsonable(shown), actor, now)
            row.config_version += 1
            row.updated_at = now
            if traffic_changed:
                # A new split is a new experiment: the online test starts again.
                row.evaluation_since = now
            session.flush()
            return endpoint_of(session, row, now)

    def get_endpoint(self, name: str, now: int) -> Endpoint:
        with self.db.session() as session:
            return endpoint_of(session, _found(session, name), now)

    def list_endpoints(self, now: int) -> list[Endpoint]:
        with self.db.session() as session:
            rows = session.scalars(select(SqlEndpoint).order_by(SqlEndpoint.name)).all()
            return [endpoint_of(session, row, now) for row in rows]

    def endpoint_id(self, name: str) -> int:
        with self.db.session() as session:
            found = session.scalar(select(SqlEndpoint.id).where(SqlEndpoint.name == name))
        if found is None:
            raise NotFound(f"No endpoint is named {name!r}.")
        return int(found)

    def endpoint_row(self, name: str) -> EndpointRow:
        with self.db.session() as session:
            row = _found(session, name)
            return EndpointRow(
                id=row.id,
                name=row.name,
                config_version=row.config_version,
                capture=row.capture,
                task=Task(row.task) if row.task else None,
                token_hash=row.token_hash,
                proxy_key=row.proxy_key,
                variants=tuple(
                    VariantRow(
                        v.name,
                        VariantRole(v.role),
                        v.model_uri,
                        v.model_version_id,
                        v.weight,
                        v.sampling,
                    )
                    for v in variants_of(session, row.id)
                ),
            )

    def config_stamp(self, name: str, aliases: Sequence[tuple[str, str]]) -> tuple[int, int]:
        """(config_version, the newest change of the (model name, alias) pairs given): a
        serving worker reloads when either moves. Cheap: polled every half second."""
        with self.db.session() as session:
            version = session.scalar(
                select(SqlEndpoint.config_version).where(SqlEndpoint.name == name)
            )
            if version is None:
                raise NotFound(f"No endpoint is named {name!r}.")
            newest = 0
            if aliases:
                names = sorted({model for model, _ in aliases})
                rows = session.execute(
                    select(SqlRegisteredModel.name, SqlModelAlias.alias, SqlModelAlias.updated_at)
                    .join(SqlModelAlias, SqlModelAlias.model_id == SqlRegisteredModel.id)
                    .where(SqlRegisteredModel.name.in_(names))
                ).all()
                wanted = set(aliases)
                newest = max(
                    (int(at) for model, alias, at in rows if (model, alias) in wanted), default=0
                )
            return int(version), newest

    def delete_endpoint(self, name: str, *, actor: str | None, now: int) -> None:
        """Delete an endpoint with its variants and replicas' rows; its events stay."""
        with self.db.session(write=True) as session:
            row = _locked(session, name)
            if any(replica.alive for replica in replicas_of(session, row.id, now)):
                raise Conflict(f"Endpoint {name!r} is running: stop it before deleting it.")
            for table in (SqlEndpointVariant, SqlEndpointReplica):
                session.execute(delete(table).where(table.endpoint_id == row.id))
            session.delete(row)
            add_event(session, name, "deleted", None, {}, actor, now)

    def captures(self, name: str, limit: int) -> list[dict[str, Any]]:
        """The newest captured Parquet files of an endpoint, newest first."""
        with self.db.session() as session:
            endpoint_id = _found(session, name).id
            rows = session.scalars(
                select(SqlEndpointCapture)
                .where(SqlEndpointCapture.endpoint_id == endpoint_id)
                .order_by(SqlEndpointCapture.first_at.desc(), SqlEndpointCapture.id.desc())
                .limit(limit)
            ).all()
            return [
                {
                    "path": row.path,
                    "records": row.records,
                    "bytes": row.bytes,
                    "first_at": row.first_at,
                    "last_at": row.last_at,
                }
                for row in rows
            ]

    def primary_signature(self, name: str) -> dict[str, Any] | None:
        """The signature of the version the first primary variant was configured with (what
        the online evaluation's task is inferred from)."""
        with self.db.session() as session:
            endpoint_id = _found(session, name).id
            found = session.scalar(
                select(SqlModelVersion.signature)
                .join(SqlEndpointVariant, SqlEndpointVariant.model_version_id == SqlModelVersion.id)
                .where(
                    SqlEndpointVariant.endpoint_id == endpoint_id,
                    SqlEndpointVariant.role == VariantRole.PRIMARY.value,
                )
                .order_by(SqlEndpointVariant.name)
                .limit(1)
            )
            return dict(found) if found else None

    def record_event(
        self, name: str, kind: str, detail: Mapping[str, Any], *, actor: str | None, now: int
    ) -> None:
        """An event that changes no configuration (started, stopped)."""
        with self.db.session(write=True) as session:
            add_event(session, name, kind, None, dict(detail), actor, now)

    def events(self, name: str, limit: int = 1000) -> list[dict[str, Any]]:
        """The endpoint's history, oldest first (kept after it is deleted)."""
        with self.db.session() as session:
            rows = session.execute(
                select(SqlEndpointEvent, SqlRegisteredModel.name, SqlModelVersion.version)
                .outerjoin(SqlModelVersion, SqlModelVersion.id == SqlEndpointEvent.model_version_id)
                .outerjoin(SqlRegisteredModel, SqlRegisteredModel.id == SqlModelVersion.model_id)
                .where(SqlEndpointEvent.endpoint_name == name)
                .order_by(SqlEndpointEvent.id.desc())
                .limit(limit)
            ).all()
        return [
            {
                "id": event.id,
                "endpoint": event.endpoint_name,
                "kind": event.kind,
                "model_uri": f"models:/{model}/{version}" if model is not None else None,
                "detail": event.detail,
                "actor": event.actor,
                "at": event.at,
            }
            for event, model, version in reversed(rows)
        ]


_found = endpoint_named


def _locked(session: Session, name: str) -> SqlEndpoint:
    row = session.scalar(select(SqlEndpoint).where(SqlEndpoint.name == name).with_for_update())
    if row is None:
        raise NotFound(f"No endpoint is named {name!r}.")
    return row
