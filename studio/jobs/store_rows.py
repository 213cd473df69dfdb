"""Rows of the jobs tables to entities and back, shared by the jobs store's modules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from studio.jobs.entities import (
    JobDefinition,
    JobRun,
    JobStatus,
    MissedPolicy,
    Progress,
    RunSpec,
    Trigger,
)
from studio.jobs.orm import SqlJobDefinition, SqlJobRun

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = [
    "LIVE",
    "definition_of",
    "insert_for",
    "last_statuses",
    "new_run_columns",
    "run_of",
    "spec_columns",
    "spec_of",
]

LIVE = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)
"""The statuses of a run that has not ended."""


def insert_for(session: Session, table: Any) -> Any:
    dialect = session.connection().dialect.name
    return (postgresql_insert if dialect == "postgresql" else sqlite_insert)(table)


def spec_columns(spec: RunSpec) -> dict[str, Any]:
    return {
        "notebook_path": spec.notebook_path,
        "parameters": dict(spec.parameters),
        "kernel_name": spec.kernel_name,
        "timeout": spec.timeout,
        "retries": spec.retries,
        "retry_backoff": spec.retry_backoff,
        "environment": dict(spec.environment),
        "secret_environment": dict(spec.secret_environment),
        "html": spec.html,
        "experiment": spec.experiment,
    }


def new_run_columns(
    *,
    name: str,
    spec: RunSpec,
    notebook_id: int,
    trigger: Trigger,
    now: int,
    definition_id: int | None,
    attempt: int,
    retry_of: int | None,
    not_before: int | None,
) -> dict[str, Any]:
    return {
        **spec_columns(spec),
        "definition_id": definition_id,
        "name": name,
        "notebook_id": notebook_id,
        "trigger": Trigger(trigger).value,
        "status": JobStatus.QUEUED.value,
        "attempt": attempt,
        "retry_of": retry_of,
        "created_at": now,
        "not_before": not_before,
        "cells_done": 0,
        "cells_total": 0,
        "outputs_deleted": False,
        "cancel_requested": False,
    }


def spec_of(row: SqlJobDefinition | SqlJobRun) -> RunSpec:
    return RunSpec(
        notebook_path=row.notebook_path,
        parameters=dict(row.parameters or {}),
        kernel_name=row.kernel_name,
        timeout=row.timeout,
        retries=row.retries,
        retry_backoff=row.retry_backoff,
        environment=dict(row.environment or {}),
        secret_environment=dict(row.secret_environment or {}),
        html=row.html,
        experiment=row.experiment,
    )


def definition_of(row: SqlJobDefinition, last_status: JobStatus | None) -> JobDefinition:
    return JobDefinition(
        id=row.id,
        name=row.name,
        spec=spec_of(row),
        notebook_id=row.notebook_id,
        schedule=row.schedule,
        timezone=row.timezone,
        max_concurrent_runs=row.max_concurrent_runs,
        missed=MissedPolicy(row.missed),
        keep_outputs=row.keep_outputs,
        active=row.active,
        next_run_at=row.next_run_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        snapshot_at=row.snapshot_at,
        last_status=last_status,
    )


def run_of(row: SqlJobRun) -> JobRun:
    return JobRun(
        id=row.id,
        definition_id=row.definition_id,
        name=row.name,
        spec=spec_of(row),
        notebook_id=row.notebook_id,
        run_id=row.run_id,
        trigger=Trigger(row.trigger),
        status=JobStatus(row.status),
        attempt=row.attempt,
        retry_of=row.retry_of,
        scheduled_for=row.scheduled_for,
        created_at=row.created_at,
        not_before=row.not_before,
        started_at=row.started_at,
        ended_at=row.ended_at,
        progress=Progress(
            cells_done=row.cells_done,
            cells_total=row.cells_total,
            current_cell=row.current_cell,
            cell_started_at=row.cell_started_at,
        ),
        error=row.error,
        error_name=row.error_name,
        error_cell=row.error_cell,
        traceback=row.traceback,
        output_dir=row.output_dir,
        outputs_deleted=row.outputs_deleted,
        cancel_requested=row.cancel_requested,
        scheduler_id=row.scheduler_id,
        host=row.host,
        pid=row.pid,
        heartbeat_at=row.heartbeat_at,
        pid_started_at=row.pid_started_at,
    )


def last_statuses(session: Session, definition_ids: Sequence[int]) -> dict[int, JobStatus]:
    """Each definition's newest run's status."""
    if not definition_ids:
        return {}
    newest = (
        select(func.max(SqlJobRun.id))
        .where(SqlJobRun.definition_id.in_(definition_ids))
        .group_by(SqlJobRun.definition_id)
    )
    rows = session.execute(
        select(SqlJobRun.definition_id, SqlJobRun.status).where(SqlJobRun.id.in_(newest))
    ).all()
    return {int(definition_id or 0): JobStatus(status) for definition_id, status in rows}
