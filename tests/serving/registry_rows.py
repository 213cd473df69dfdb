"""Registered model versions written straight into the registry's tables, for the endpoint
tests that are about configuration, not about model files: the registry's own tests cover
registration, and the process tests register real models."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from studio.registry.orm import SqlModelAlias, SqlModelVersion, SqlRegisteredModel

if TYPE_CHECKING:
    from studio.db.engine import Database

NOW = 1_800_000_000_000


def add_version(
    database: Database,
    model: str,
    version: int,
    *,
    status: str = "APPROVED",
    untrusted: tuple[str, ...] = (),
    approved: tuple[str, ...] = (),
) -> int:
    """A version of `model` (made when new); returns its id."""
    with database.session(write=True) as session:
        found = session.scalar(select(SqlRegisteredModel).where(SqlRegisteredModel.name == model))
        if found is None:
            found = SqlRegisteredModel(
                name=model, description="", gates={}, last_version=0, created_at=NOW, updated_at=NOW
            )
            session.add(found)
            session.flush()
        found.last_version = max(found.last_version, version)
        row = SqlModelVersion(
            model_id=found.id,
            version=version,
            source=f"runs:/r{version}/model",
            run_id=None,
            artifact_path="model",
            storage_path=f"models/{found.id}/{version}",
            format="skops",
            sha256="0" * 64,
            flavor="sklearn",
            model_class="sklearn.linear_model.LogisticRegression",
            untrusted_types=list(untrusted),
            approved_types=list(approved),
            signature={"inputs": [{"name": "x0", "dtype": "double"}], "outputs": {"dtype": "long"}},
            input_example=None,
            lineage={},
            description="",
            status=status,
            status_by=None,
            status_at=None,
            status_comment="",
            created_by=None,
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(row)
        session.flush()
        return int(row.id)


def set_alias(database: Database, model: str, alias: str, version: int, at: int) -> None:
    """Point `model@alias` at `version`, as moved at `at` (ms)."""
    with database.session(write=True) as session:
        model_id = session.scalar(
            select(SqlRegisteredModel.id).where(SqlRegisteredModel.name == model)
        )
        version_id = session.scalar(
            select(SqlModelVersion.id).where(
                SqlModelVersion.model_id == model_id, SqlModelVersion.version == version
            )
        )
        row = session.get(SqlModelAlias, (model_id, alias))
        if row is None:
            session.add(
                SqlModelAlias(model_id=model_id, alias=alias, version_id=version_id, updated_at=at)
            )
        else:
            row.version_id = version_id
            row.updated_at = at
