"""SQLAlchemy tables of experiment tracking. Only the store uses these classes."""

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
)
from sqlalchemy.orm import Mapped, mapped_column

from studio.db.base import Base

# The series tables share this metadata (the feature seam names it through SqlRun).
from studio.tracking.series import orm as _series_orm  # noqa: F401
from studio.tracking.validation import MAX_BATCH_ID_LENGTH

KEY_LENGTH = 250
RUN_ID_LENGTH = 32


class SqlExperiment(Base):
    __tablename__ = "experiments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(KEY_LENGTH), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)


class SqlRun(Base):
    __tablename__ = "runs"
    __table_args__ = (
        Index("ix_runs_experiment_start", "experiment_id", "start_time"),
        # Covers a tree level's count and its newest-first pages (revision 0004).
        Index("ix_runs_level", "experiment_id", "parent_run_id", "start_time", "id"),
        # Named "ck_runs_end_after_start" by the naming convention (revision 0002).
        CheckConstraint("end_time IS NULL OR end_time >= start_time", name="end_after_start"),
    )

    id: Mapped[str] = mapped_column(String(RUN_ID_LENGTH), primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(KEY_LENGTH))
    status: Mapped[str] = mapped_column(String(16), index=True)
    start_time: Mapped[int] = mapped_column(BigInteger)
    end_time: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    parent_run_id: Mapped[str | None] = mapped_column(
        ForeignKey("runs.id", ondelete="CASCADE"), nullable=True, index=True
    )
    source: Mapped[str | None] = mapped_column(Text, nullable=True)
    artifact_uri: Mapped[str] = mapped_column(Text)


class SqlParam(Base):
    __tablename__ = "params"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class SqlTag(Base):
    __tablename__ = "tags"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class SqlMetricSummary(Base):
    """Last, min and max of one metric of one run, kept current on every write."""

    __tablename__ = "metric_summaries"
    # The runs in a metric's order, read from the index alone (revision 0004; search_page.py).
    __table_args__ = (Index("ix_metric_summaries_sort", "key", "last_value", "run_id"),)

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    last_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_step: Mapped[int] = mapped_column(BigInteger)
    last_timestamp: Mapped[int] = mapped_column(BigInteger)
    min_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    count: Mapped[int] = mapped_column(BigInteger)


class SqlBatchReceipt(Base):
    """A logging batch already applied, by its client-made id (revision 0003).

    Inserted in the batch's own transaction: the primary key makes a retry of the same batch
    a no-op, even when two copies arrive at once. Pruned after two days.
    """

    __tablename__ = "batch_receipts"

    batch_id: Mapped[str] = mapped_column(String(MAX_BATCH_ID_LENGTH), primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    received_at: Mapped[int] = mapped_column(BigInteger, index=True)
