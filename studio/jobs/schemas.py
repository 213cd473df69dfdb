"""Wire models of the notebook jobs' REST API: definitions, job runs, their logs and outputs,
and what the panel's dialog asks (a notebook's parameters, a schedule's next times).

Every limit is declared here, so that the OpenAPI document tells clients; the service checks
the same limits for the Python API and the command line. Times are milliseconds since the
epoch. Notebook paths are relative to the server's root folder (`notebook_path`); a run made
from Python on a notebook outside that folder shows its absolute path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field

from studio.jobs.cron import MAX_SCHEDULE_LENGTH
from studio.jobs.entities import DEFAULT_KEEP_OUTPUTS, JobStatus, MissedPolicy, Trigger
from studio.jobs.service import (
    MAX_CONCURRENT_RUNS,
    MAX_ENVIRONMENT,
    MAX_KEEP_OUTPUTS,
    MAX_RETRIES,
    MAX_TIMEOUT,
    OUTPUT_NAMES,
)
from studio.tracking.validation import MAX_NAME_LENGTH
from studio.tracking.wire_types import PageToken
from studio.wire import QueryIn, WireIn, WireOut

if TYPE_CHECKING:
    from studio.jobs.entities import JobDefinition, JobRun
    from studio.jobs.notebooks import NotebookParameter

MAX_PATH_LENGTH = 4096
MAX_PARAMETERS = 1000
MAX_PAGE = 1000
DEFAULT_PAGE = 100
MAX_LOG_READ = 4 * 2**20
DEFAULT_LOG_READ = 2**20
MAX_SCHEDULE_PREVIEW = 50
MAX_TIMEZONE_LENGTH = 64
MAX_VARIABLE_LENGTH = 32_768
MAX_KERNEL_NAME_LENGTH = 256
NEXT_DEFINITIONS = 5
"""The soonest scheduled definitions the summary lists."""

Status = Literal[
    "QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT", "STOPPED_BY_RULE"
]
TriggerName = Literal["manual", "schedule", "retry", "api"]
Missed = Literal["run_once", "skip"]
OutputName = Literal["output.ipynb", "output.html", "job.log"]

if tuple(Status.__args__) != tuple(s.value for s in JobStatus):  # type: ignore[attr-defined]
    raise RuntimeError("The wire's job statuses must be JobStatus's, in its order.")
if set(TriggerName.__args__) != {t.value for t in Trigger}:  # type: ignore[attr-defined]
    raise RuntimeError("The wire's triggers must be Trigger's.")
if set(Missed.__args__) != {m.value for m in MissedPolicy}:  # type: ignore[attr-defined]
    raise RuntimeError("The wire's missed policies must be MissedPolicy's.")
if tuple(OutputName.__args__) != OUTPUT_NAMES:  # type: ignore[attr-defined]
    raise RuntimeError("The wire's output names must be OUTPUT_NAMES.")

Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME_LENGTH)]
NotebookPath = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_PATH_LENGTH,
        description="A notebook's path relative to the server's root folder.",
    ),
]
Parameters = Annotated[
    dict[str, Any],
    Field(
        max_length=MAX_PARAMETERS,
        description="JSON values injected after the cell tagged `parameters`, by name.",
    ),
]
VariableName = Annotated[str, Field(min_length=1, max_length=MAX_KERNEL_NAME_LENGTH)]
Environment = Annotated[
    dict[VariableName, Annotated[str, Field(max_length=MAX_VARIABLE_LENGTH)]],
    Field(max_length=MAX_ENVIRONMENT, description="Variables set for the run, stored as given."),
]
SecretEnvironment = Annotated[
    dict[VariableName, VariableName],
    Field(
        max_length=MAX_ENVIRONMENT,
        description=(
            "Job variable name -> the NAME of a variable of the scheduler's own environment, "
            "whose value the run gets; values are never stored."
        ),
    ),
]
KernelName = Annotated[str, Field(min_length=1, max_length=MAX_KERNEL_NAME_LENGTH)]
Schedule = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_SCHEDULE_LENGTH,
        description="A five-field cron expression, or @hourly, @daily, @weekly, ...",
    ),
]
Timezone = Annotated[
    str, Field(min_length=1, max_length=MAX_TIMEZONE_LENGTH, description="An IANA zone name.")
]
Timeout = Annotated[
    float, Field(gt=0, le=MAX_TIMEOUT, description="Seconds of wall time for the whole run.")
]
Retries = Annotated[int, Field(ge=0, le=MAX_RETRIES)]
Backoff = Annotated[
    float,
    Field(ge=0, le=24 * 3600, description="Seconds before the first retry, doubled each next."),
]
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
MaxResults = Annotated[
    int, Field(ge=1, le=MAX_PAGE, description=f"At most this many per page (1 to {MAX_PAGE}).")
]


# Definitions -----------------------------------------------------------------------------------


class DefinitionIn(WireIn, title="JobDefinitionIn"):
    """A new job definition; its notebook is snapshotted now."""

    name: Name
    notebook_path: NotebookPath
    parameters: Parameters = Field(default_factory=dict)
    kernel_name: KernelName | None = Field(None, description="None: the notebook's own kernel.")
    schedule: Schedule | None = Field(None, description="None: run only on demand.")
    timezone: Timezone = "UTC"
    timeout: Timeout | None = None
    retries: Retries = 0
    retry_backoff: Backoff = 60.0
    max_concurrent_runs: int = Field(1, ge=1, le=MAX_CONCURRENT_RUNS)
    environment: Environment = Field(default_factory=dict)
    secret_environment: SecretEnvironment = Field(default_factory=dict)
    html: bool = Field(False, description="Also keep the executed notebook as HTML.")
    experiment: Name | None = Field(None, description="None: an experiment named as the job.")
    missed: Missed = Field(
        "run_once", description="An occurrence missed while no scheduler ran: run it once, or skip."
    )
    keep_outputs: int = Field(DEFAULT_KEEP_OUTPUTS, ge=1, le=MAX_KEEP_OUTPUTS)
    active: bool = True


NULLABLE_FIELDS = frozenset({"kernel_name", "schedule", "timeout", "experiment"})
"""A patch's fields where null means "remove" (for the others it means "keep")."""


class DefinitionPatch(WireIn, title="JobDefinitionPatch"):
    """Fields to change; those left out are kept. `schedule: null` removes the schedule."""

    name: Name | None = None
    parameters: Parameters | None = None
    kernel_name: KernelName | None = None
    schedule: Schedule | None = None
    timezone: Timezone | None = None
    timeout: Timeout | None = None
    retries: Retries | None = None
    retry_backoff: Backoff | None = None
    max_concurrent_runs: int | None = Field(None, ge=1, le=MAX_CONCURRENT_RUNS)
    environment: Environment | None = None
    secret_environment: SecretEnvironment | None = None
    html: bool | None = None
    experiment: Name | None = None
    missed: Missed | None = None
    keep_outputs: int | None = Field(None, ge=1, le=MAX_KEEP_OUTPUTS)
    active: bool | None = None

    def changes(self) -> dict[str, Any]:
        """The fields given, as `JobService.update_definition` takes them."""
        given = self.model_dump(include=self.model_fields_set)
        return {
            key: value
            for key, value in given.items()
            if value is not None or key in NULLABLE_FIELDS
        }


class DefinitionOut(WireOut, title="JobDefinitionOut"):
    id: int
    name: str
    notebook_path: str
    parameters: dict[str, Any]
    kernel_name: str | None
    schedule: str | None
    schedule_description: str | None = Field(description="The schedule in words.")
    timezone: str
    next_run_at: int | None = Field(description="None without a schedule or while paused.")
    timeout: float | None
    retries: int
    retry_backoff: float
    max_concurrent_runs: int
    environment: dict[str, str]
    secret_environment: dict[str, str] = Field(
        description="Job variable -> server variable: names only, never values."
    )
    html: bool
    experiment: str | None
    missed: Missed
    keep_outputs: int
    active: bool
    created_at: int
    updated_at: int
    snapshot_at: int = Field(description="When the notebook was last snapshotted.")
    last_status: Status | None

    @classmethod
    def from_entity(
        cls, definition: JobDefinition, notebook_path: str, description: str | None
    ) -> DefinitionOut:
        spec = definition.spec
        return cls(
            id=definition.id,
            name=definition.name,
            notebook_path=notebook_path,
            parameters=dict(spec.parameters),
            kernel_name=spec.kernel_name,
            schedule=definition.schedule,
            schedule_description=description,
            timezone=definition.timezone,
            next_run_at=definition.next_run_at,
            timeout=spec.timeout,
            retries=spec.retries,
            retry_backoff=spec.retry_backoff,
            max_concurrent_runs=definition.max_concurrent_runs,
            environment=dict(spec.environment),
            secret_environment=dict(spec.secret_environment),
            html=spec.html,
            experiment=spec.experiment,
            missed=definition.missed.value,
            keep_outputs=definition.keep_outputs,
            active=definition.active,
            created_at=definition.created_at,
            updated_at=definition.updated_at,
            snapshot_at=definition.snapshot_at,
            last_status=definition.last_status.value if definition.last_status else None,
        )


class DefinitionsOut(WireOut, title="JobDefinitionsOut"):
    definitions: list[DefinitionOut]
    next_page_token: str | None = Field(
        description="Pass as page_token to get the next page; null on the last page."
    )
    total: int = Field(description="How many definitions match, in all pages.")


class DefinitionsQuery(QueryIn, title="JobDefinitionsQuery"):
    active: bool | None = Field(None, description="Only active (true) or paused (false) ones.")
    q: str | None = Field(
        None, max_length=MAX_NAME_LENGTH, description="Only names containing this (any case)."
    )
    max_results: MaxResults = DEFAULT_PAGE
    page_token: PageToken | None = Field(None, description="The previous page's next_page_token.")


class ParametersIn(WireIn, title="JobParametersIn"):
    """Parameters overriding a definition's (or the re-run run's) for one new run."""

    parameters: Parameters = Field(default_factory=dict)


# Job runs --------------------------------------------------------------------------------------


class JobRunIn(WireIn, title="JobRunIn"):
    """A run of a notebook file as it is now, without a definition."""

    notebook_path: NotebookPath
    parameters: Parameters = Field(default_factory=dict)
    kernel_name: KernelName | None = None
    timeout: Timeout | None = None
    retries: Retries = 0
    retry_backoff: Backoff = 60.0
    environment: Environment = Field(default_factory=dict)
    secret_environment: SecretEnvironment = Field(default_factory=dict)
    html: bool = False
    experiment: Name | None = Field(None, description="None: an experiment named as the notebook.")
    name: Name | None = Field(None, description="None: the notebook's file name, without .ipynb.")
    trigger: Literal["api", "manual"] = "api"


class ProgressOut(WireOut, title="JobProgressOut"):
    cells_done: int
    cells_total: int
    current_cell: int | None = Field(description="The running cell's index in the notebook.")
    cell_started_at: int | None


class JobRunOut(WireOut, title="JobRunOut"):
    id: int
    definition_id: int | None
    name: str
    notebook_path: str
    parameters: dict[str, Any]
    kernel_name: str | None
    run_id: str | None = Field(description="The tracking run this job run is.")
    experiment_id: int | None = Field(description="The tracking run's experiment.")
    trigger: TriggerName
    status: Status
    attempt: int = Field(description="1 for a first run, 2 for its first retry, ...")
    retry_of: int | None
    scheduled_for: int | None = Field(description="The occurrence, for a scheduled run.")
    created_at: int
    started_at: int | None
    ended_at: int | None
    duration_ms: int | None = Field(description="Started to ended (or to now, while running).")
    progress: ProgressOut
    error: str | None
    error_name: str | None
    error_cell: int | None
    traceback: str | None
    outputs: list[OutputName] = Field(description="The output files present now.")
    cancel_requested: bool
    timeout: float | None
    retries: int
    html: bool
    host: str | None

    @classmethod
    def from_entity(
        cls,
        job_run: JobRun,
        *,
        notebook_path: str,
        experiment_id: int | None,
        outputs: list[str],
        now: int,
    ) -> JobRunOut:
        spec = job_run.spec
        end = job_run.ended_at if job_run.ended_at is not None else now
        progress = job_run.progress
        return cls.model_validate(
            {
                "id": job_run.id,
                "definition_id": job_run.definition_id,
                "name": job_run.name,
                "notebook_path": notebook_path,
                "parameters": dict(spec.parameters),
                "kernel_name": spec.kernel_name,
                "run_id": job_run.run_id,
                "experiment_id": experiment_id,
                "trigger": job_run.trigger.value,
                "status": job_run.status.value,
                "attempt": job_run.attempt,
                "retry_of": job_run.retry_of,
                "scheduled_for": job_run.scheduled_for,
                "created_at": job_run.created_at,
                "started_at": job_run.started_at,
                "ended_at": job_run.ended_at,
                "duration_ms": None
                if job_run.started_at is None
                else max(0, end - job_run.started_at),
                "progress": {
                    "cells_done": progress.cells_done,
                    "cells_total": progress.cells_total,
                    "current_cell": progress.current_cell,
                    "cell_started_at": progress.cell_started_at,
                },
                "error": job_run.error,
                "error_name": job_run.error_name,
                "error_cell": job_run.error_cell,
                "traceback": job_run.traceback,
                "outputs": outputs,
                "cancel_requested": job_run.cancel_requested,
                "timeout": spec.timeout,
                "retries": spec.retries,
                "html": spec.html,
                "host": job_run.host,
            }
        )


class JobRunsOut(WireOut, title="JobRunsOut"):
    runs: list[JobRunOut]
    next_page_token: str | None = Field(
        description="Pass as page_token to get the next page; null on the last page."
    )
    total: int = Field(description="How many job runs match, in all pages.")


class JobRunsQuery(QueryIn, title="JobRunsQuery"):
    """Job runs, newest first."""

    definition_id: Id | None = Field(None, description="Only this definition's runs.")
    status: list[Status] = Field(
        default_factory=list, max_length=len(JobStatus), description="Repeatable: any of these."
    )
    trigger: list[TriggerName] = Field(
        default_factory=list, max_length=len(Trigger), description="Repeatable: any of these."
    )
    run_id: str | None = Field(None, max_length=64, description="The job run of a tracking run.")
    max_results: MaxResults = DEFAULT_PAGE
    page_token: PageToken | None = Field(None, description="The previous page's next_page_token.")


class LogQuery(QueryIn, title="JobLogQuery"):
    offset: int = Field(
        0, ge=0, le=2**62, description="The byte to read from (tailing: the last offset)."
    )
    limit: int = Field(
        DEFAULT_LOG_READ, ge=1, le=MAX_LOG_READ, description="At most this many bytes."
    )


class LogOut(WireOut, title="JobLogOut"):
    text: str
    offset: int = Field(description="Where the next read starts.")
    done: bool = Field(description="The run has ended: the log grows no more.")


class OpenedOut(WireOut, title="JobOutputOpenedOut"):
    path: str = Field(description="The copy's path relative to the server's root folder.")


# The dialog and the sidebar --------------------------------------------------------------------


class NotebookQuery(QueryIn, title="JobNotebookQuery"):
    path: NotebookPath


class NotebookParameterOut(WireOut, title="JobNotebookParameterOut"):
    name: str
    default: str = Field(description="The default as written in the notebook's source.")
    value: Any = Field(description="The default as a JSON value, null where it is not a literal.")
    type: str | None = Field(description="The annotated type, if any.")
    help: str

    @classmethod
    def from_entity(cls, parameter: NotebookParameter) -> NotebookParameterOut:
        return cls(
            name=parameter.name,
            default=parameter.default,
            value=parameter.value,
            type=parameter.type,
            help=parameter.help,
        )


class KernelOut(WireOut, title="JobKernelOut"):
    name: str
    display_name: str


class NotebookInfoOut(WireOut, title="JobNotebookInfoOut"):
    path: str
    parameters: list[NotebookParameterOut]
    kernel_name: str | None = Field(description="The kernel the notebook's metadata names.")
    kernels: list[KernelOut] = Field(description="The kernels this server has.")


class ScheduleQuery(QueryIn, title="JobScheduleQuery"):
    cron: Schedule
    timezone: Timezone = "UTC"
    count: int = Field(5, ge=1, le=MAX_SCHEDULE_PREVIEW)


class ScheduleOut(WireOut, title="JobScheduleOut"):
    cron: str = Field(description="The expression, normalised.")
    timezone: str
    description: str
    next: list[int] = Field(description="The next occurrences, ms since the epoch.")


class NextDefinitionOut(WireOut, title="JobNextDefinitionOut"):
    definition_id: int
    name: str
    next_run_at: int
    schedule_description: str | None
    timezone: str = Field(description="The schedule's IANA time zone, which times read in.")


class SchedulerOut(WireOut, title="JobSchedulerOut"):
    id: str
    host: str
    pid: int
    executor: str
    started_at: int
    heartbeat_at: int


class SummaryOut(WireOut, title="JobSummaryOut"):
    running: list[JobRunOut]
    queued: int = Field(description="How many runs wait to start.")
    next: list[NextDefinitionOut] = Field(
        description=f"The {NEXT_DEFINITIONS} soonest active scheduled definitions."
    )
    schedulers: list[SchedulerOut] = Field(description="Schedulers alive in the last minute.")
