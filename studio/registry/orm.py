"""SQLAlchemy tables of the model registry. Only the registry store uses them.

A registered model is a name with its versions. Version numbers are never reused: the model
keeps the last number it handed out (`last_version`), so deleting version 3 and registering
again gives 4, as MLflow does. An alias names one version of its model; deleting the version
deletes its aliases. A version keeps the run it came from (`run_id`, NULL once that run is
deleted) and a copy of what lineage and serving need even then: the model file's location and
digest, its signature, its input example and the types a reviewer approved.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from studio.db.base import Base, BigId

# The runs table must be in the metadata for the foreign key below.
from studio.tracking.orm import KEY_LENGTH, RUN_ID_LENGTH, SqlRun  # noqa: F401

NAME_LENGTH = 255
URI_LENGTH = 4096
STATUS_LENGTH = 16
DIGEST_LENGTH = 64
FORMAT_LENGTH = 16
TAG_VALUE_LENGTH = 5000


class SqlRegisteredModel(Base):
    __tablename__ = "registered_models"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    description: Mapped[str] = mapped_column(Text)
    # Promotion gates: metric name -> "op value" text, e.g. {"accuracy": ">= 0.9"}.
    gates: Mapped[dict[str, str]] = mapped_column(JSON)
    last_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)


class SqlModelVersion(Base):
    __tablename__ = "model_versions"
    __table_args__ = (
        UniqueConstraint("model_id", "version", name="number"),
        CheckConstraint("status IN ('PENDING', 'APPROVED', 'REJECTED')", name="status"),
        CheckConstraint("format IN ('skops', 'joblib')", name="format"),
        Index("ix_model_versions_run", "run_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("registered_models.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    # What was registered, as given: "runs:/<run id>/<artifact path>" (a model URI of a run).
    source: Mapped[str] = mapped_column(String(URI_LENGTH))
    run_id: Mapped[str | None] = mapped_column(
        ForeignKey("runs.id", ondelete="SET NULL"), nullable=True
    )
    artifact_path: Mapped[str] = mapped_column(String(URI_LENGTH))
    # The model folder under the artifact root, kept when the run is deleted (relative path).
    storage_path: Mapped[str] = mapped_column(String(URI_LENGTH))
    format: Mapped[str] = mapped_column(String(FORMAT_LENGTH))
    sha256: Mapped[str] = mapped_column(String(DIGEST_LENGTH))
    flavor: Mapped[str] = mapped_column(String(KEY_LENGTH))
    model_class: Mapped[str] = mapped_column(String(NAME_LENGTH))
    # Every type skops does not trust by default, as found in the file at registration.
    untrusted_types: Mapped[list[str]] = mapped_column(JSON)
    # The ones a person approved (types outside Studio's own trusted policy).
    approved_types: Mapped[list[str]] = mapped_column(JSON)
    signature: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    input_example: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # Job run, job definition, notebook, training data: what was known at registration.
    lineage: Mapped[dict[str, Any]] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(STATUS_LENGTH))
    status_by: Mapped[str | None] = mapped_column(String(NAME_LENGTH), nullable=True)
    status_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    status_comment: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(NAME_LENGTH), nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)


class SqlModelAlias(Base):
    __tablename__ = "model_aliases"

    model_id: Mapped[int] = mapped_column(
        ForeignKey("registered_models.id", ondelete="CASCADE"), primary_key=True
    )
    alias: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE"), index=True
    )
    updated_at: Mapped[int] = mapped_column(BigInteger)


class SqlModelTag(Base):
    __tablename__ = "model_tags"

    model_id: Mapped[int] = mapped_column(
        ForeignKey("registered_models.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    value: Mapped[str] = mapped_column(String(TAG_VALUE_LENGTH))


class SqlModelVersionTag(Base):
    __tablename__ = "model_version_tags"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    value: Mapped[str] = mapped_column(String(TAG_VALUE_LENGTH))
