"""Notebook jobs' plain domain objects: definitions, job runs, their statuses and progress.

Standard library only: the runner process, the executors, the scheduler and the store all
hand these around, and the runner must stay light to start.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

__all__ = [
    "DEFAULT_KEEP_OUTPUTS",
    "TRACKING_STATUS",
    "JobDefinition",
    "JobRun",
    "JobStatus",
    "MissedPolicy",
    "Progress",
    "RunSpec",
    "Trigger",
]

DEFAULT_KEEP_OUTPUTS = 50
"""How many runs' outputs a definition keeps unless it says otherwise."""


class JobStatus(str, Enum):
    """Where a job run stands. QUEUED and RUNNING are live; the others are final."""

    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    TIMED_OUT = "TIMED_OUT"
    STOPPED_BY_RULE = "STOPPED_BY_RULE"

    @property
    def is_final(self) -> bool:
        return self not in (JobStatus.QUEUED, JobStatus.RUNNING)

    @property
    def is_retryable(self) -> bool:
        """Failed and timed-out runs are retried while retries remain; the others never."""
        return self in (JobStatus.FAILED, JobStatus.TIMED_OUT)


TRACKING_STATUS: Mapping[JobStatus, str] = {
    JobStatus.QUEUED: "RUNNING",
    JobStatus.RUNNING: "RUNNING",
    JobStatus.SUCCEEDED: "FINISHED",
    JobStatus.FAILED: "FAILED",
    JobStatus.TIMED_OUT: "FAILED",
    JobStatus.CANCELLED: "KILLED",
    JobStatus.STOPPED_BY_RULE: "KILLED",
}
"""The status of a job run's tracking run, for each status of the job run."""


class Trigger(str, Enum):
    """What queued a job run."""

    MANUAL = "manual"
    SCHEDULE = "schedule"
    RETRY = "retry"
    API = "api"


class MissedPolicy(str, Enum):
    """What a scheduler starting late does with occurrences that passed while none ran."""

    RUN_ONCE = "run_once"
    SKIP = "skip"


@dataclass(frozen=True)
class RunSpec:
    """What to run: the same for a definition and for each job run made from it.

    - `notebook_path`: the absolute path of the notebook file; its folder is the working
      directory. The notebook actually run is the snapshot taken when the definition was made
      or refreshed (`notebook_id` in the store), not the file as it is now.
    - `parameters`: JSON values injected after the cell tagged `parameters`.
    - `kernel_name`: None runs the notebook's own kernel.
    - `timeout`: seconds of wall time for the whole run, None for no limit.
    - `retries`, `retry_backoff`: how many new runs a failed or timed-out run may get, the
      first after `retry_backoff` seconds, each next one after twice the previous wait.
    - `environment`: variables set for the run, stored as given.
    - `secret_environment`: variables whose values are read at run time from the scheduler's
      own environment: job variable name -> server variable name. Values are never stored.
    - `html`: also export the executed notebook as HTML (the `.ipynb` is always kept).
    - `experiment`: the name of the experiment the tracking run goes to.
    """

    notebook_path: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    kernel_name: str | None = None
    timeout: float | None = None
    retries: int = 0
    retry_backoff: float = 60.0
    environment: Mapping[str, str] = field(default_factory=dict)
    secret_environment: Mapping[str, str] = field(default_factory=dict)
    html: bool = False
    experiment: str | None = None


@dataclass(frozen=True)
class JobDefinition:
    """A named job: a notebook snapshot with its spec, run on demand or on a cron schedule.

    `schedule` is a five-field cron expression read in `timezone` (an IANA name), or None.
    `next_run_at` is the next occurrence in milliseconds since the epoch (None without a
    schedule or while paused). Times are milliseconds since the epoch.
    """

    id: int
    name: str
    spec: RunSpec
    notebook_id: int
    schedule: str | None
    timezone: str
    max_concurrent_runs: int
    missed: MissedPolicy
    keep_outputs: int
    active: bool
    next_run_at: int | None
    created_at: int
    updated_at: int
    snapshot_at: int
    last_status: JobStatus | None = None


@dataclass(frozen=True)
class Progress:
    """How far a running notebook has come: `cells_done` of `cells_total` code cells, and
    the cell running now (its index in the executed notebook) since `cell_started_at` (ms)."""

    cells_done: int = 0
    cells_total: int = 0
    current_cell: int | None = None
    cell_started_at: int | None = None


@dataclass(frozen=True)
class JobRun:
    """One execution of a notebook, and the tracking run it is (`run_id`).

    `error` is a sentence for people; `error_name`, `error_cell` (the failing cell's index in
    the executed notebook) and `traceback` (plain text) say more when a cell failed.
    `output_dir` holds `output.ipynb`, `output.html` where asked for, and `job.log`.
    `retry_of` is the job run this one retries; `attempt` counts from 1. `scheduler_id`,
    `host`, `pid`, `pid_started_at` and `heartbeat_at` say who runs it and where: a scheduler
    that recovers the run kills what is left of it by them.
    """

    id: int
    definition_id: int | None
    name: str
    spec: RunSpec
    notebook_id: int
    run_id: str | None
    trigger: Trigger
    status: JobStatus
    attempt: int
    retry_of: int | None
    scheduled_for: int | None
    created_at: int
    not_before: int | None
    started_at: int | None
    ended_at: int | None
    progress: Progress
    error: str | None
    error_name: str | None
    error_cell: int | None
    traceback: str | None
    output_dir: str | None
    outputs_deleted: bool
    cancel_requested: bool
    scheduler_id: str | None
    host: str | None
    pid: int | None
    heartbeat_at: int | None
    pid_started_at: float | None = None
