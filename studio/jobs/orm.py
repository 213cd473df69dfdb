"""SQLAlchemy tables of notebook jobs. Only the jobs store uses them.

Notebook snapshots are rows of their own (`job_notebooks`), shared by content: a definition
points at its current snapshot, and each job run at the one it ran, so refreshing a
definition never changes what a queued or past run executed. Times are milliseconds since the
epoch in BIGINT columns, as in tracking, so that two schedulers compute identical occurrence
keys on every backend.

The unique `(definition_id, scheduled_for)` is the schedulers' lease: an occurrence is claimed
by inserting its run, and a second scheduler's insert of the same occurrence does nothing.
Manual, API and retry runs have no `scheduled_for` (NULLs never conflict).
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

# The runs and experiments tables must be in the metadata for the foreign keys below.
from studio.tracking.orm import KEY_LENGTH, RUN_ID_LENGTH, SqlRun  # noqa: F401

PATH_LENGTH = 4096
STATUS_LENGTH = 16
HOST_LENGTH = 255
SCHEDULER_ID_LENGTH = 64
DIGEST_LENGTH = 64
TIMEZONE_LENGTH = 64
SCHEDULE_LENGTH = 120
KERNEL_LENGTH = 128

_STATUSES = (
    "'QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT', 'STOPPED_BY_RULE'"
)


class SqlJobNotebook(Base):
    """A notebook's JSON as it was snapshotted, once per distinct content."""

    __tablename__ = "job_notebooks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(DIGEST_LENGTH), unique=True)
    content: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[int] = mapped_column(BigInteger)


class _SpecColumns:
    """The columns of a `RunSpec`, shared by definitions and job runs."""

    notebook_path: Mapped[str] = mapped_column(String(PATH_LENGTH))
    notebook_id: Mapped[int] = mapped_column(ForeignKey("job_notebooks.id"))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    kernel_name: Mapped[str | None] = mapped_column(String(KERNEL_LENGTH), nullable=True)
    timeout: Mapped[float | None] = mapped_column(Float, nullable=True)
    retries: Mapped[int] = mapped_column(Integer)
    retry_backoff: Mapped[float] = mapped_column(Float)
    environment: Mapped[dict[str, str]] = mapped_column(JSON)
    # Job variable -> the scheduler's variable to read at run time: names only, no values.
    secret_environment: Mapped[dict[str, str]] = mapped_column(JSON)
    html: Mapped[bool] = mapped_column(Boolean)
    experiment: Mapped[str | None] = mapped_column(String(KEY_LENGTH), nullable=True)


class SqlJobDefinition(_SpecColumns, Base):
    __tablename__ = "job_definitions"
    __table_args__ = (
        CheckConstraint("missed IN ('run_once', 'skip')", name="missed"),
        CheckConstraint("max_concurrent_runs >= 1", name="max_concurrent_runs"),
        Index("ix_job_definitions_due", "active", "next_run_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(KEY_LENGTH), unique=True)
    schedule: Mapped[str | None] = mapped_column(String(SCHEDULE_LENGTH), nullable=True)
    timezone: Mapped[str] = mapped_column(String(TIMEZONE_LENGTH))
    max_concurrent_runs: Mapped[int] = mapped_column(Integer)
    missed: Mapped[str] = mapped_column(String(STATUS_LENGTH))
    keep_outputs: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean)
    next_run_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    snapshot_at: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)


class SqlJobRun(_SpecColumns, Base):
    __tablename__ = "job_runs"
    __table_args__ = (
        UniqueConstraint("definition_id", "scheduled_for", name="occurrence"),
        CheckConstraint(f"status IN ({_STATUSES})", name="status"),
        CheckConstraint("trigger IN ('manual', 'schedule', 'retry', 'api')", name="trigger"),
        Index("ix_job_runs_status", "status", "id"),
        Index("ix_job_runs_definition", "definition_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    definition_id: Mapped[int | None] = mapped_column(
        ForeignKey("job_definitions.id", ondelete="SET NULL"), nullable=True
    )
    name: Mapped[str] = mapped_column(String(KEY_LENGTH))
    run_id: Mapped[str | None] = mapped_column(
        ForeignKey("runs.id", ondelete="SET NULL"), nullable=True, index=True
    )
    trigger: Mapped[str] = mapped_column(String(STATUS_LENGTH))
    status: Mapped[str] = mapped_column(String(STATUS_LENGTH))
    attempt: Mapped[int] = mapped_column(Integer)
    retry_of: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    scheduled_for: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    not_before: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    started_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    ended_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    cells_done: Mapped[int] = mapped_column(Integer)
    cells_total: Mapped[int] = mapped_column(Integer)
    current_cell: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cell_started_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_name: Mapped[str | None] = mapped_column(String(KEY_LENGTH), nullable=True)
    error_cell: Mapped[int | None] = mapped_column(Integer, nullable=True)
    traceback: Mapped[str | None] = mapped_column(Text, nullable=True)
    output_dir: Mapped[str | None] = mapped_column(String(PATH_LENGTH), nullable=True)
    outputs_deleted: Mapped[bool] = mapped_column(Boolean)
    cancel_requested: Mapped[bool] = mapped_column(Boolean)
    scheduler_id: Mapped[str | None] = mapped_column(String(SCHEDULER_ID_LENGTH), nullable=True)
    host: Mapped[str | None] = mapped_column(String(HOST_LENGTH), nullable=True)
    pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    pid_started_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    heartbeat_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class SqlJobScheduler(Base):
    """A scheduler that is, or was, alive: its own heartbeat, for the panel and for clients
    deciding whether a queued run will be picked up."""

    __tablename__ = "job_schedulers"

    id: Mapped[str] = mapped_column(String(SCHEDULER_ID_LENGTH), primary_key=True)
    host: Mapped[str] = mapped_column(String(HOST_LENGTH))
    pid: Mapped[int] = mapped_column(Integer)
    executor: Mapped[str] = mapped_column(String(KEY_LENGTH))
    started_at: Mapped[int] = mapped_column(BigInteger)
    heartbeat_at: Mapped[int] = mapped_column(BigInteger)
