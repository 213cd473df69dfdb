"""SQLAlchemy tables of endpoints. The serving stores use them.

An endpoint is configuration (`endpoints`, `endpoint_variants`), bumped to a new
`config_version` in the same transaction as each change: every serving process polls that
number and swaps in the new configuration when it moves. Each `studio serve` process (a
replica) records itself and beats (`endpoint_replicas`), so the panel knows what runs where,
and several replicas on several machines share one store.

What replicas observe lands in the store by small appends that never conflict: per-second
counters with a latency histogram (`endpoint_stats`, summed by readers), one row per
answered prediction for online evaluation (`endpoint_predictions`, labelled by feedback,
pruned by age), labels that arrived before their prediction was written
(`endpoint_feedback`), and one pointer per captured Parquet file (`endpoint_captures`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from studio.db.base import Base, BigId

# The model registry's tables must be in the metadata for the foreign keys below.
from studio.registry.orm import NAME_LENGTH, URI_LENGTH, SqlModelVersion  # noqa: F401

VARIANT_LENGTH = 64
REQUEST_ID_LENGTH = 64
REPLICA_ID_LENGTH = 64
HOST_LENGTH = 255
TASK_LENGTH = 16
KIND_LENGTH = 32


class SqlEndpoint(Base):
    __tablename__ = "endpoints"
    __table_args__ = (
        CheckConstraint("capture >= 0 AND capture <= 1", name="capture"),
        CheckConstraint("task IS NULL OR task IN ('classification', 'regression')", name="task"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    description: Mapped[str] = mapped_column(Text)
    config_version: Mapped[int] = mapped_column(Integer)
    # Share of requests captured to Parquet, 0 to 1.
    capture: Mapped[float] = mapped_column(Float)
    # The online evaluation's task; NULL: inferred from the first variant's signature.
    task: Mapped[str | None] = mapped_column(String(TASK_LENGTH), nullable=True)
    # A salted hash of the invocation token ("scrypt$..."); NULL: no token, loopback only.
    token_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # The Jupyter server's own key for its proxy routes (the panel's "try it" and charts),
    # which cannot present the user's token (only its hash is kept). Whoever reads the store
    # may already change the endpoint, so keeping it readable there gives nothing away.
    proxy_key: Mapped[str] = mapped_column(String(64))
    # Where JupyterLab last started it (the panel's start button reuses them).
    host: Mapped[str] = mapped_column(String(HOST_LENGTH))
    port: Mapped[int | None] = mapped_column(Integer, nullable=True)
    workers: Mapped[int] = mapped_column(Integer)
    # When the online test's verdict was reset (weights or variants changed), ms.
    evaluation_since: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)


class SqlEndpointVariant(Base):
    __tablename__ = "endpoint_variants"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "name", name="name"),
        CheckConstraint("weight >= 0", name="weight"),
        CheckConstraint("sampling > 0 AND sampling <= 1", name="sampling"),
        CheckConstraint("role IN ('primary', 'shadow')", name="role"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("endpoints.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(VARIANT_LENGTH))
    role: Mapped[str] = mapped_column(String(TASK_LENGTH))
    # As the user gave it: "models:/iris/2" or "models:/iris@champion" (an alias follows moves).
    model_uri: Mapped[str] = mapped_column(String(URI_LENGTH))
    # The version it resolved to when last configured: a deployed version cannot be deleted.
    model_version_id: Mapped[int] = mapped_column(
        ForeignKey("model_versions.id", ondelete="RESTRICT"), index=True
    )
    # Relative traffic share (SageMaker's VariantWeight); 0: reachable only by X-Target-Variant.
    weight: Mapped[float] = mapped_column(Float)
    # Shadows: the share of requests copied to it.
    sampling: Mapped[float] = mapped_column(Float)
    created_at: Mapped[int] = mapped_column(BigInteger)


class SqlEndpointEvent(Base):
    """Deployment history: what changed on an endpoint, when, by whom. Kept after the
    endpoint is deleted (by name), so a version's page shows where it was served."""

    __tablename__ = "endpoint_events"
    __table_args__ = (Index("ix_endpoint_events_endpoint", "endpoint_name", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    endpoint_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    kind: Mapped[str] = mapped_column(String(KIND_LENGTH))
    model_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_versions.id", ondelete="SET NULL"), nullable=True, index=True
    )
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    actor: Mapped[str | None] = mapped_column(String(NAME_LENGTH), nullable=True)
    at: Mapped[int] = mapped_column(BigInteger)


class SqlEndpointReplica(Base):
    """A `studio serve` process serving an endpoint (its supervisor, with N workers)."""

    __tablename__ = "endpoint_replicas"

    id: Mapped[str] = mapped_column(String(REPLICA_ID_LENGTH), primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("endpoints.id", ondelete="CASCADE"), index=True
    )
    host: Mapped[str] = mapped_column(String(HOST_LENGTH))
    bind_host: Mapped[str] = mapped_column(String(HOST_LENGTH))
    port: Mapped[int] = mapped_column(Integer)
    pid: Mapped[int] = mapped_column(Integer)
    pgid: Mapped[int] = mapped_column(Integer)
    pid_started_at: Mapped[float] = mapped_column(Float)
    workers: Mapped[int] = mapped_column(Integer)
    # Started by JupyterLab's panel (which may stop it), or by hand.
    managed: Mapped[bool] = mapped_column(Boolean)
    started_at: Mapped[int] = mapped_column(BigInteger)
    heartbeat_at: Mapped[int] = mapped_column(BigInteger)
    stopped_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class SqlEndpointStats(Base):
    """Counters of one serving worker for one variant over one second; readers sum them."""

    __tablename__ = "endpoint_stats"
    __table_args__ = (Index("ix_endpoint_stats_time", "endpoint_id", "second"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("endpoints.id", ondelete="CASCADE"))
    variant: Mapped[str] = mapped_column(String(VARIANT_LENGTH))
    shadow: Mapped[bool] = mapped_column(Boolean)
    # Epoch seconds of the second counted.
    second: Mapped[int] = mapped_column(BigInteger)
    worker: Mapped[str] = mapped_column(String(REPLICA_ID_LENGTH))
    invocations: Mapped[int] = mapped_column(Integer)
    errors: Mapped[int] = mapped_column(Integer)
    rows: Mapped[int] = mapped_column(Integer)
    latency_sum_ms: Mapped[float] = mapped_column(Float)
    # Counts per bucket of studio.serving.metrics.LATENCY_EDGES_MS (mergeable percentiles).
    latency_hist: Mapped[list[int]] = mapped_column(JSON)


class SqlEndpointPrediction(Base):
    """What one variant answered to one request, for feedback to be scored against."""

    __tablename__ = "endpoint_predictions"
    __table_args__ = (
        Index("ix_endpoint_predictions_time", "endpoint_id", "created_at"),
        Index("ix_endpoint_predictions_scored", "endpoint_id", "labelled_at"),
    )

    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("endpoints.id", ondelete="CASCADE"), primary_key=True
    )
    request_id: Mapped[str] = mapped_column(String(REQUEST_ID_LENGTH), primary_key=True)
    variant: Mapped[str] = mapped_column(String(VARIANT_LENGTH), primary_key=True)
    shadow: Mapped[bool] = mapped_column(Boolean)
    prediction: Mapped[Any] = mapped_column(JSON)
    rows: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[int] = mapped_column(BigInteger)
    label: Mapped[Any | None] = mapped_column(JSON, nullable=True)
    labelled_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # Classification: rows right; regression: sum of absolute errors (and of their squares).
    score_sum: Mapped[float | None] = mapped_column(Float, nullable=True)
    score_sq_sum: Mapped[float | None] = mapped_column(Float, nullable=True)


class SqlEndpointFeedback(Base):
    """A label whose request's predictions were not in the store yet (written within the
    flush interval); matched when they land."""

    __tablename__ = "endpoint_feedback"

    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("endpoints.id", ondelete="CASCADE"), primary_key=True
    )
    request_id: Mapped[str] = mapped_column(String(REQUEST_ID_LENGTH), primary_key=True)
    label: Mapped[Any] = mapped_column(JSON)
    received_at: Mapped[int] = mapped_column(BigInteger)


class SqlEndpointCapture(Base):
    """One Parquet file of captured requests, written whole by one worker's flush."""

    __tablename__ = "endpoint_captures"
    __table_args__ = (Index("ix_endpoint_captures_time", "endpoint_id", "first_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("endpoints.id", ondelete="CASCADE"))
    # Relative to the artifact root: capture/<endpoint>/<yyyy>/<mm>/<dd>/<hh>/<file>.parquet
    path: Mapped[str] = mapped_column(String(URI_LENGTH), unique=True)
    worker: Mapped[str] = mapped_column(String(REPLICA_ID_LENGTH))
    records: Mapped[int] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(BigInteger)
    first_at: Mapped[int] = mapped_column(BigInteger)
    last_at: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[int] = mapped_column(BigInteger)
