"""The job runs and definitions that the Python API (`studio.jobs`) and `studio jobs` hand
out: the same whether they come from the store or from a Studio server's REST API.

`JobRun.run_id` is the tracking run the job run is; `output_path` the executed notebook's
file where this machine can read it (None through a server, or before the run started).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.jobs.entities import JobStatus, Progress, Trigger
from studio.jobs.execution import NOTEBOOK_NAME

if TYPE_CHECKING:
    from studio.jobs import entities
    from studio.jobs.schemas import DefinitionOut, JobRunOut

__all__ = ["JobDefinition", "JobRun", "definition_from_wire", "run_from_wire"]


@dataclass(frozen=True)
class JobRun:
    """One run of a notebook job. Times are milliseconds since the epoch."""

    id: int
    name: str
    status: JobStatus
    run_id: str | None
    notebook_path: str
    parameters: dict[str, Any]
    trigger: Trigger
    definition_id: int | None = None
    attempt: int = 1
    retry_of: int | None = None
    retries: int = 0
    created_at: int = 0
    started_at: int | None = None
    ended_at: int | None = None
    progress: Progress = field(default_factory=Progress)
    error: str | None = None
    error_name: str | None = None
    error_cell: int | None = None
    traceback: str | None = None
    output_path: str | None = None

    @property
    def done(self) -> bool:
        return self.status.is_final

    @classmethod
    def from_entity(cls, job_run: entities.JobRun) -> JobRun:
        output = None
        if job_run.output_dir is not None and not job_run.outputs_deleted:
            output = str(Path(job_run.output_dir) / NOTEBOOK_NAME)
        return cls(
            id=job_run.id,
            name=job_run.name,
            status=job_run.status,
            run_id=job_run.run_id,
            notebook_path=job_run.spec.notebook_path,
            parameters=dict(job_run.spec.parameters),
            trigger=job_run.trigger,
            definition_id=job_run.definition_id,
            attempt=job_run.attempt,
            retry_of=job_run.retry_of,
            retries=job_run.spec.retries,
            created_at=job_run.created_at,
            started_at=job_run.started_at,
            ended_at=job_run.ended_at,
            progress=job_run.progress,
            error=job_run.error,
            error_name=job_run.error_name,
            error_cell=job_run.error_cell,
            traceback=job_run.traceback,
            output_path=output,
        )


@dataclass(frozen=True)
class JobDefinition:
    """A named notebook job, run on demand or on its cron schedule."""

    id: int
    name: str
    notebook_path: str
    schedule: str | None
    timezone: str
    next_run_at: int | None
    active: bool
    parameters: dict[str, Any]
    last_status: JobStatus | None

    @classmethod
    def from_entity(cls, definition: entities.JobDefinition) -> JobDefinition:
        return cls(
            id=definition.id,
            name=definition.name,
            notebook_path=definition.spec.notebook_path,
            schedule=definition.schedule,
            timezone=definition.timezone,
            next_run_at=definition.next_run_at,
            active=definition.active,
            parameters=dict(definition.spec.parameters),
            last_status=definition.last_status,
        )


def run_from_wire(found: JobRunOut) -> JobRun:
    progress = found.progress
    return JobRun(
        id=found.id,
        name=found.name,
        status=JobStatus(found.status),
        run_id=found.run_id,
        notebook_path=found.notebook_path,
        parameters=dict(found.parameters),
        trigger=Trigger(found.trigger),
        definition_id=found.definition_id,
        attempt=found.attempt,
        retry_of=found.retry_of,
        retries=found.retries,
        created_at=found.created_at,
        started_at=found.started_at,
        ended_at=found.ended_at,
        progress=Progress(
            progress.cells_done,
            progress.cells_total,
            progress.current_cell,
            progress.cell_started_at,
        ),
        error=found.error,
        error_name=found.error_name,
        error_cell=found.error_cell,
        traceback=found.traceback,
    )


def definition_from_wire(found: DefinitionOut) -> JobDefinition:
    return JobDefinition(
        id=found.id,
        name=found.name,
        notebook_path=found.notebook_path,
        schedule=found.schedule,
        timezone=found.timezone,
        next_run_at=found.next_run_at,
        active=found.active,
        parameters=dict(found.parameters),
        last_status=JobStatus(found.last_status) if found.last_status else None,
    )
