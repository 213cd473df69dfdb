"""The model registry in the Studio store: models, versions, aliases, tags, approval.

One managed session per public method (STYLE.md rule 5). Version numbers come from the
model's `last_version` counter, raised in the same transaction that reads it, so two
registrations never get one number and a deleted number is never handed out again. Status
changes are conditional on the status the reviewer saw. A version behind an endpoint
(`endpoint_variants.model_version_id`, ON DELETE RESTRICT) cannot be deleted; the check here
names the endpoints, and the foreign key stops a deployment that slips in between.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from studio.errors import Conflict, NotFound
from studio.registry.entities import ApprovalStatus, ModelVersion, RegisteredModel
from studio.registry.orm import (
    SqlModelAlias,
    SqlModelTag,
    SqlModelVersion,
    SqlModelVersionTag,
    SqlRegisteredModel,
)
from studio.registry.store_rows import (
    find_model_id,
    model_row,
    models_of,
    new_model,
    refuse_deployed,
    replace_tags,
    version_row,
    versions_of,
)
from studio.serving.orm import SqlEndpointEvent

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from studio.db.engine import Database

__all__ = ["RegistryStore", "forget_runs"]

_VERSION_FIELDS = (
    "source",
    "run_id",
    "artifact_path",
    "storage_path",
    "format",
    "sha256",
    "flavor",
    "model_class",
    "untrusted_types",
    "signature",
    "input_example",
    "lineage",
    "description",
    "created_by",
)


class RegistryStore:
    """Registered models and their versions over one database."""

    def __init__(self, database: Database) -> None:
        self.db = database

    # Models -----------------------------------------------------------------------------

    def create_model(
        self,
        *,
        name: str,
        description: str,
        gates: Mapping[str, str],
        tags: Mapping[str, str],
        now: int,
    ) -> RegisteredModel:
        with self.db.session(write=True) as session:
            if find_model_id(session, name) is not None:
                raise Conflict(f"A registered model named {name!r} already exists.")
            row = new_model(session, name, description, dict(gates), now)
            replace_tags(session, SqlModelTag, SqlModelTag.model_id, row.id, tags)
            return models_of(session, [row])[0]

    def ensure_model(self, name: str, now: int) -> int:
        """The id of the model named so, made (with no gates) when new. Two registrations
        of a new name at once both get the one model (the insert yields to the other's)."""
        with self.db.session(write=True) as session:
            found = find_model_id(session, name)
            if found is not None:
                return found
            dialect = session.connection().dialect.name
            insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
            session.execute(
                insert(SqlRegisteredModel)
                .values(
                    name=name,
                    description="",
                    gates={},
                    last_version=0,
                    created_at=now,
                    updated_at=now,
                )
                .on_conflict_do_nothing(index_elements=["name"])
            )
            made = find_model_id(session, name)
            assert made is not None
            return made

    def get_model(self, name: str) -> RegisteredModel:
        with self.db.session() as session:
            return models_of(session, [model_row(session, name)])[0]

    def list_models(self, name_contains: str | None = None) -> list[RegisteredModel]:
        """Models by name; `name_contains` matches part of the name, in any case."""
        query = select(SqlRegisteredModel)
        if name_contains:
            escaped = name_contains.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(SqlRegisteredModel.name.ilike(f"%{escaped}%", escape="\\"))
        with self.db.session() as session:
            rows = list(session.scalars(query.order_by(SqlRegisteredModel.name)))
            return models_of(session, rows)

    def update_model(
        self,
        name: str,
        *,
        description: str | None = None,
        gates: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
        now: int,
    ) -> RegisteredModel:
        """Change what is given; `tags` replace the model's tags."""
        with self.db.session(write=True) as session:
            row = model_row(session, name)
            if description is not None:
                row.description = description
            if gates is not None:
                row.gates = dict(gates)
            if tags is not None:
                replace_tags(session, SqlModelTag, SqlModelTag.model_id, row.id, tags)
            row.updated_at = now
            session.flush()
            return models_of(session, [row])[0]

    def delete_model(self, name: str) -> list[str]:
        """Delete a model with its versions; returns their storage paths (to remove)."""
        with self.db.session(write=True) as session:
            row = model_row(session, name)
            versions = list(
                session.execute(
                    select(SqlModelVersion.id, SqlModelVersion.storage_path).where(
                        SqlModelVersion.model_id == row.id
                    )
                )
            )
            refuse_deployed(session, [version_id for version_id, _ in versions], name)
            session.execute(delete(SqlRegisteredModel).where(SqlRegisteredModel.id == row.id))
            return [path for _, path in versions]

    # Versions ---------------------------------------------------------------------------

    def next_version(self, model_id: int, now: int) -> int:
        """Hand out the model's next version number (never one handed out before)."""
        with self.db.session(write=True) as session:
            session.execute(
                update(SqlRegisteredModel)
                .where(SqlRegisteredModel.id == model_id)
                .values(last_version=SqlRegisteredModel.last_version + 1, updated_at=now)
            )
            number = session.scalar(
                select(SqlRegisteredModel.last_version).where(SqlRegisteredModel.id == model_id)
            )
            if number is None:
                raise NotFound(f"No registered model has id {model_id}.")
            return int(number)

    def add_version(
        self, *, model_id: int, version: int, fields: Mapping[str, Any], tags: Mapping[str, str]
    ) -> ModelVersion:
        """Store a version numbered by `next_version`; `fields` are _VERSION_FIELDS."""
        now = int(fields["created_at"])
        with self.db.session(write=True) as session:
            row = SqlModelVersion(
                model_id=model_id,
                version=version,
                **{key: fields[key] for key in _VERSION_FIELDS},
                approved_types=[],
                status=ApprovalStatus.PENDING.value,
                status_by=None,
                status_at=None,
                status_comment="",
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            replace_tags(session, SqlModelVersionTag, SqlModelVersionTag.version_id, row.id, tags)
            return versions_of(session, [row])[0]

    def get_version(self, name: str, version: int) -> ModelVersion:
        with self.db.session() as session:
            return versions_of(session, [version_row(session, name, version)])[0]

    def version_by_id(self, version_id: int) -> ModelVersion:
        with self.db.session() as session:
            row = session.get(SqlModelVersion, version_id)
            if row is None:
                raise NotFound(f"No model version has id {version_id}.")
            return versions_of(session, [row])[0]

    def latest_version(self, name: str) -> ModelVersion:
        with self.db.session() as session:
            model_id = model_row(session, name).id
            row = session.scalar(
                select(SqlModelVersion)
                .where(SqlModelVersion.model_id == model_id)
                .order_by(SqlModelVersion.version.desc())
                .limit(1)
            )
            if row is None:
                raise NotFound(f"The model {name!r} has no version.")
            return versions_of(session, [row])[0]

    def version_by_alias(self, name: str, alias: str) -> ModelVersion:
        with self.db.session() as session:
            model_id = model_row(session, name).id
            row = session.scalar(
                select(SqlModelVersion)
                .join(SqlModelAlias, SqlModelAlias.version_id == SqlModelVersion.id)
                .where(SqlModelAlias.model_id == model_id, SqlModelAlias.alias == alias)
            )
            if row is None:
                raise NotFound(f"The model {name!r} has no alias {alias!r}.")
            return versions_of(session, [row])[0]

    def list_versions(self, name: str) -> list[ModelVersion]:
        """A model's versions, newest first."""
        with self.db.session() as session:
            model_id = model_row(session, name).id
            rows = list(
                session.scalars(
                    select(SqlModelVersion)
                    .where(SqlModelVersion.model_id == model_id)
                    .order_by(SqlModelVersion.version.desc())
                )
            )
            return versions_of(session, rows)

    def update_version(
        self,
        name: str,
        version: int,
        *,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        now: int,
    ) -> ModelVersion:
        """Change what is given; `tags` replace the version's tags."""
        with self.db.session(write=True) as session:
            row = version_row(session, name, version)
            if description is not None:
                row.description = description
            if tags is not None:
                replace_tags(
                    session, SqlModelVersionTag, SqlModelVersionTag.version_id, row.id, tags
                )
            row.updated_at = now
            session.flush()
            return versions_of(session, [row])[0]

    def delete_version(self, name: str, version: int) -> str:
        """Delete a version and its aliases; returns its storage path (to remove)."""
        with self.db.session(write=True) as session:
            row = version_row(session, name, version)
            refuse_deployed(session, [row.id], f"{name} version {version}")
            path = row.storage_path
            session.execute(delete(SqlModelAlias).where(SqlModelAlias.version_id == row.id))
            session.execute(delete(SqlModelVersion).where(SqlModelVersion.id == row.id))
            return path

    def set_status(
        self,
        name: str,
        version: int,
        *,
        expected: ApprovalStatus,
        status: ApprovalStatus,
        by: str | None,
        comment: str,
        approved_types: Sequence[str] | None,
        now: int,
    ) -> ModelVersion:
        """Record a review, only if the version is still `expected` (what the reviewer saw)."""
        values: dict[str, Any] = {
            "status": status.value,
            "status_by": by,
            "status_at": now,
            "status_comment": comment,
            "updated_at": now,
        }
        if approved_types is not None:
            values["approved_types"] = list(approved_types)
        with self.db.session(write=True) as session:
            row = version_row(session, name, version)
            if status is ApprovalStatus.REJECTED:
                # Serving replicas would go on with it while new ones refuse to start.
                refuse_deployed(session, [row.id], f"{name} version {version}", "reject")
            changed = session.execute(
                update(SqlModelVersion)
                .where(SqlModelVersion.id == row.id, SqlModelVersion.status == expected.value)
                .values(**values)
                .execution_options(synchronize_session=False)
            ).rowcount  # type: ignore[attr-defined]
            if not changed:
                raise Conflict(
                    f"{name} version {version} was reviewed by someone else meanwhile: "
                    "look again before approving or rejecting it."
                )
            session.refresh(row)
            return versions_of(session, [row])[0]

    # Aliases ----------------------------------------------------------------------------

    def set_alias(self, name: str, alias: str, version: int, now: int) -> ModelVersion:
        """Point `alias` at `version`, moving it from any other version of the model."""
        with self.db.session(write=True) as session:
            row = version_row(session, name, version)
            found = session.get(SqlModelAlias, (row.model_id, alias))
            if found is None:
                session.add(
                    SqlModelAlias(
                        model_id=row.model_id, alias=alias, version_id=row.id, updated_at=now
                    )
                )
            else:
                found.version_id = row.id
                found.updated_at = now
            session.flush()
            return versions_of(session, [row])[0]

    def delete_alias(self, name: str, alias: str) -> None:
        with self.db.session(write=True) as session:
            model_id = model_row(session, name).id
            removed = session.execute(
                delete(SqlModelAlias).where(
                    SqlModelAlias.model_id == model_id, SqlModelAlias.alias == alias
                )
            ).rowcount  # type: ignore[attr-defined]
            if not removed:
                raise NotFound(f"The model {name!r} has no alias {alias!r}.")

    # Deployments ------------------------------------------------------------------------

    def deployments(self, version_id: int) -> list[dict[str, Any]]:
        """The endpoint events about a version, oldest first (kept after an endpoint goes)."""
        with self.db.session() as session:
            rows = session.scalars(
                select(SqlEndpointEvent)
                .where(SqlEndpointEvent.model_version_id == version_id)
                .order_by(SqlEndpointEvent.id)
            )
            return [
                {
                    "id": row.id,
                    "endpoint": row.endpoint_name,
                    "kind": row.kind,
                    "detail": dict(row.detail or {}),
                    "actor": row.actor,
                    "at": row.at,
                }
                for row in rows
            ]


def forget_runs(session: Session, run_ids: Any) -> None:
    """The feature's runs-deleted hook: versions keep their copied files and lineage without
    the deleted runs (explicit, as SQLite applies ON DELETE SET NULL only with its pragma on)."""
    session.execute(
        update(SqlModelVersion)
        .where(SqlModelVersion.run_id.in_(run_ids))
        .values(run_id=None)
        .execution_options(synchronize_session=False)
    )
