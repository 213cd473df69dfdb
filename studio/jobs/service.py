"""Notebook jobs' logic: definitions, job runs, and each run's tracking run.

`JobService` is what the REST handlers, the Python API and the command line call; the
scheduler drives runs through its `lifecycle` (`JobLifecycle`: launch, complete, retry,
recover, schedule). Times are milliseconds since the epoch, from an injectable clock so that
schedules are tested without waiting.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.errors import InvalidInput, NotFound
from studio.jobs import cron
from studio.jobs.entities import (
    DEFAULT_KEEP_OUTPUTS,
    JobDefinition,
    JobRun,
    JobStatus,
    MissedPolicy,
    RunSpec,
    Trigger,
)
from studio.jobs.execution import HTML_NAME, LOG_NAME, NOTEBOOK_NAME
from studio.jobs.notebooks import read_notebook
from studio.jobs.store import JobStore
from studio.tracking.validation import check_batch_size, params_to_text, validate_name

if TYPE_CHECKING:
    from studio.config import StudioConfig
    from studio.db.engine import Database
    from studio.jobs.lifecycle import JobLifecycle
    from studio.tracking.service import TrackingService

__all__ = ["OUTPUT_NAMES", "JobService", "check_spec"]

OUTPUT_NAMES = (NOTEBOOK_NAME, HTML_NAME, LOG_NAME)
"""The files of a run's outputs that clients may download."""
MAX_RETRIES = 10
MAX_CONCURRENT_RUNS = 100
MAX_KEEP_OUTPUTS = 10_000
MAX_TIMEOUT = 7 * 24 * 3600.0
MAX_ENVIRONMENT = 100
MAX_ENV_VALUE = 32_768
MAX_PARAMETERS_BYTES = 1_000_000


def _now_ms() -> int:
    return int(time.time() * 1000)


class JobService:
    """Job definitions and job runs over one database, each run a tracking run."""

    def __init__(
        self,
        store: JobStore,
        tracking: TrackingService,
        config: StudioConfig,
        clock: Callable[[], int] = _now_ms,
    ) -> None:
        self.store = store
        self.tracking = tracking
        self.config = config
        self.clock = clock

    @classmethod
    def from_database(cls, database: Database, config: StudioConfig) -> JobService:
        """The service factory of the jobs feature declaration."""
        from studio.tracking.service import TrackingService

        return cls(JobStore(database), TrackingService.from_database(database, config), config)

    @property
    def jobs_dir(self) -> Path:
        """`STUDIO_HOME/jobs`: each run's outputs in a folder named by its id."""
        return self.config.home / "jobs"

    @property
    def lifecycle(self) -> JobLifecycle:
        from studio.jobs.lifecycle import JobLifecycle

        return JobLifecycle(self)

    # Definitions ----------------------------------------------------------------------

    def create_definition(
        self,
        name: str,
        notebook_path: str | Path,
        *,
        schedule: str | None = None,
        timezone: str = "UTC",
        parameters: Mapping[str, Any] | None = None,
        kernel_name: str | None = None,
        timeout: float | None = None,
        retries: int = 0,
        retry_backoff: float = 60.0,
        max_concurrent_runs: int = 1,
        environment: Mapping[str, str] | None = None,
        secret_environment: Mapping[str, str] | None = None,
        html: bool = False,
        experiment: str | None = None,
        missed: MissedPolicy | str = MissedPolicy.RUN_ONCE,
        keep_outputs: int = DEFAULT_KEEP_OUTPUTS,
        active: bool = True,
    ) -> JobDefinition:
        """A definition of the notebook at `notebook_path` (absolute, already checked against
        any root), snapshotted now."""
        name = validate_name(name, "job definition name")
        path = Path(notebook_path)
        spec = check_spec(
            RunSpec(
                notebook_path=str(path),
                parameters=dict(parameters or {}),
                kernel_name=kernel_name,
                timeout=timeout,
                retries=retries,
                retry_backoff=retry_backoff,
                environment=dict(environment or {}),
                secret_environment=dict(secret_environment or {}),
                html=html,
                experiment=experiment or name,
            )
        )
        _check_count(max_concurrent_runs, "max_concurrent_runs", 1, MAX_CONCURRENT_RUNS)
        _check_count(keep_outputs, "keep_outputs", 1, MAX_KEEP_OUTPUTS)
        zone = cron.check_timezone(timezone).key
        checked_schedule = cron.check_schedule(schedule) if schedule is not None else None
        now = self.clock()
        notebook_id = self.store.save_notebook(read_notebook(path), now)
        return self.store.create_definition(
            name=name,
            spec=spec,
            notebook_id=notebook_id,
            schedule=checked_schedule,
            timezone=zone,
            max_concurrent_runs=max_concurrent_runs,
            missed=MissedPolicy(missed),
            keep_outputs=keep_outputs,
            active=active,
            next_run_at=_next_run(checked_schedule, zone, now) if active else None,
            now=now,
        )

    def get_definition(self, definition_id: int) -> JobDefinition:
        return self.store.get_definition(definition_id)

    def find_definition(self, name: str) -> JobDefinition | None:
        return self.store.find_definition(name)

    def list_definitions(
        self,
        *,
        active: bool | None = None,
        name_contains: str | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> tuple[list[JobDefinition], int]:
        return self.store.list_definitions(
            active=active, name_contains=name_contains, offset=offset, limit=limit
        )

    def update_definition(self, definition_id: int, **changes: Any) -> JobDefinition:
        """Change a definition. Spec fields (`parameters`, `timeout`, ...) and `name`,
        `schedule`, `timezone`, `max_concurrent_runs`, `missed`, `keep_outputs`, `active`;
        a new schedule or zone moves the next occurrence."""
        current = self.store.get_definition(definition_id)
        spec_fields = set(RunSpec.__dataclass_fields__) - {"notebook_path"}
        spec_changes = {key: changes.pop(key) for key in list(changes) if key in spec_fields}
        stored: dict[str, Any] = {}
        if spec_changes:
            stored["spec"] = check_spec(replace(current.spec, **spec_changes))
        if "name" in changes:
            stored["name"] = validate_name(changes.pop("name"), "job definition name")
        schedule = current.schedule
        zone = current.timezone
        if "schedule" in changes:
            value = changes.pop("schedule")
            schedule = cron.check_schedule(value) if value is not None else None
            stored["schedule"] = schedule
        if "timezone" in changes:
            zone = cron.check_timezone(changes.pop("timezone")).key
            stored["timezone"] = zone
        if "max_concurrent_runs" in changes:
            value = changes.pop("max_concurrent_runs")
            _check_count(value, "max_concurrent_runs", 1, MAX_CONCURRENT_RUNS)
            stored["max_concurrent_runs"] = value
        if "keep_outputs" in changes:
            value = changes.pop("keep_outputs")
            _check_count(value, "keep_outputs", 1, MAX_KEEP_OUTPUTS)
            stored["keep_outputs"] = value
        if "missed" in changes:
            stored["missed"] = MissedPolicy(changes.pop("missed"))
        active = bool(changes.pop("active", current.active))
        if changes:
            raise InvalidInput(f"Unknown job definition fields: {', '.join(sorted(changes))}.")
        stored["active"] = active
        if (
            "schedule" in stored
            or "timezone" in stored
            or active != current.active
            or (active and current.next_run_at is None and schedule is not None)
        ):
            stored["next_run_at"] = _next_run(schedule, zone, self.clock()) if active else None
        return self.store.update_definition(definition_id, stored, self.clock())

    def pause(self, definition_id: int) -> JobDefinition:
        return self.update_definition(definition_id, active=False)

    def resume(self, definition_id: int) -> JobDefinition:
        """Active again; the next occurrence counts from now (the paused ones are skipped)."""
        return self.update_definition(definition_id, active=True)

    def refresh_snapshot(self, definition_id: int) -> JobDefinition:
        """Snapshot the definition's notebook file again, as it is now. Runs already queued
        or done keep the snapshot they had."""
        current = self.store.get_definition(definition_id)
        now = self.clock()
        notebook_id = self.store.save_notebook(read_notebook(current.spec.notebook_path), now)
        return self.store.update_definition(
            definition_id, {"notebook_id": notebook_id, "snapshot_at": now}, now
        )

    def delete_definition(self, definition_id: int) -> None:
        """Delete a definition; its runs and their tracking runs stay."""
        self.store.delete_definition(definition_id)

    def preview_schedule(
        self, schedule: str, timezone: str = "UTC", count: int = 5
    ) -> tuple[str, list[int]]:
        """A schedule in words and its next `count` occurrences from now (ms)."""
        zone = cron.check_timezone(timezone).key
        return cron.describe(schedule), cron.next_times(schedule, zone, self.clock(), count)

    # Job runs -------------------------------------------------------------------------

    def submit(
        self,
        notebook_path: str | Path,
        *,
        parameters: Mapping[str, Any] | None = None,
        kernel_name: str | None = None,
        timeout: float | None = None,
        retries: int = 0,
        retry_backoff: float = 60.0,
        environment: Mapping[str, str] | None = None,
        secret_environment: Mapping[str, str] | None = None,
        html: bool = False,
        experiment: str | None = None,
        name: str | None = None,
        trigger: Trigger = Trigger.API,
    ) -> JobRun:
        """Queue a run of a notebook file, as it is now, without a definition."""
        path = Path(notebook_path)
        spec = check_spec(
            RunSpec(
                notebook_path=str(path),
                parameters=dict(parameters or {}),
                kernel_name=kernel_name,
                timeout=timeout,
                retries=retries,
                retry_backoff=retry_backoff,
                environment=dict(environment or {}),
                secret_environment=dict(secret_environment or {}),
                html=html,
                experiment=experiment or path.stem,
            )
        )
        now = self.clock()
        notebook_id = self.store.save_notebook(read_notebook(path), now)
        return self.store.create_run(
            name=validate_name(name or path.stem, "job name"),
            spec=spec,
            notebook_id=notebook_id,
            trigger=trigger,
            now=now,
        )

    def run_definition(
        self,
        definition_id: int,
        parameters: Mapping[str, Any] | None = None,
        trigger: Trigger = Trigger.MANUAL,
    ) -> JobRun:
        """Queue a run of a definition now, its parameters overridden by `parameters`."""
        definition = self.store.get_definition(definition_id)
        spec = definition.spec
        if parameters:
            spec = check_spec(replace(spec, parameters={**spec.parameters, **parameters}))
        return self.store.create_run(
            name=definition.name,
            spec=spec,
            notebook_id=definition.notebook_id,
            trigger=trigger,
            now=self.clock(),
            definition_id=definition.id,
        )

    def rerun(self, job_run_id: int, parameters: Mapping[str, Any] | None = None) -> JobRun:
        """Queue a new run of what a run ran (same snapshot), with other parameters."""
        previous = self.store.get_run(job_run_id)
        spec = previous.spec
        if parameters:
            spec = check_spec(replace(spec, parameters={**spec.parameters, **parameters}))
        definition_id = previous.definition_id
        return self.store.create_run(
            name=previous.name,
            spec=spec,
            notebook_id=previous.notebook_id,
            trigger=Trigger.MANUAL,
            now=self.clock(),
            definition_id=definition_id,
        )

    def cancel(self, job_run_id: int) -> JobRun:
        """Stop a run: a queued one at once, a running one at its scheduler's next beat."""
        found = self.store.request_cancel(job_run_id, self.clock())
        if found.status is JobStatus.CANCELLED:
            self.lifecycle.close_tracking_run(found)
        return found

    def get_run(self, job_run_id: int) -> JobRun:
        return self.store.get_run(job_run_id)

    def list_runs(
        self,
        *,
        definition_id: int | None = None,
        statuses: tuple[JobStatus, ...] = (),
        triggers: tuple[Trigger, ...] = (),
        run_id: str | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> tuple[list[JobRun], int]:
        return self.store.list_runs(
            definition_id=definition_id,
            statuses=statuses,
            triggers=triggers,
            run_id=run_id,
            offset=offset,
            limit=limit,
        )

    def delete_run(self, job_run_id: int) -> None:
        """Delete a finished run and its outputs (its tracking run stays)."""
        found = self.store.delete_run(job_run_id)
        if found.output_dir:
            shutil.rmtree(found.output_dir, ignore_errors=True)

    def output_path(self, job_run_id: int, name: str) -> Path:
        """One of a run's output files (`output.ipynb`, `output.html`, `job.log`)."""
        if name not in OUTPUT_NAMES:
            raise NotFound(f"A job run has no output {name!r}: one of {', '.join(OUTPUT_NAMES)}.")
        found = self.store.get_run(job_run_id)
        if found.output_dir is None or found.outputs_deleted:
            raise NotFound(f"Job run {job_run_id} has no outputs (not started, or deleted).")
        path = Path(found.output_dir) / name
        if not path.is_file():
            raise NotFound(f"Job run {job_run_id} has no {name}.")
        return path

    def read_log(self, job_run_id: int, offset: int = 0, limit: int = 1_000_000) -> tuple[str, int]:
        """Part of a run's log from byte `offset`, and the offset after it (for tailing)."""
        if offset < 0 or limit <= 0:
            raise InvalidInput("offset must be 0 or more and limit more than 0.")
        try:
            path = self.output_path(job_run_id, LOG_NAME)
        except NotFound:
            self.store.get_run(job_run_id)  # an unknown run is still a 404
            return "", offset
        with path.open("rb") as handle:
            handle.seek(offset)
            data = handle.read(limit)
        return data.decode("utf-8", errors="replace"), offset + len(data)

    def live_schedulers(self, max_age_ms: int = 60_000) -> list[dict[str, Any]]:
        return self.store.live_schedulers(self.clock() - max_age_ms)


def check_spec(spec: RunSpec) -> RunSpec:
    """A spec whose every value is within its limits; InvalidInput naming the first that is
    not."""
    try:
        encoded = json.dumps(dict(spec.parameters), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"Job parameters must be JSON values: {exc}") from exc
    if len(encoded) > MAX_PARAMETERS_BYTES:
        raise InvalidInput(f"Job parameters take at most {MAX_PARAMETERS_BYTES} bytes as JSON.")
    for key in spec.parameters:
        if not str(key).isidentifier():
            raise InvalidInput(f"The parameter name {key!r} is not a Python identifier.")
    # They become the tracking run's params: refused now, not at every launch of the job.
    check_batch_size(0, len(spec.parameters), 0)
    params_to_text(spec.parameters)
    if spec.timeout is not None and not 0 < spec.timeout <= MAX_TIMEOUT:
        raise InvalidInput(f"timeout must be between 0 and {MAX_TIMEOUT:.0f} seconds.")
    _check_count(spec.retries, "retries", 0, MAX_RETRIES)
    if not 0 <= spec.retry_backoff <= 24 * 3600:
        raise InvalidInput("retry_backoff must be between 0 and 86400 seconds.")
    for label, variables in (
        ("environment", spec.environment),
        ("secret_environment", spec.secret_environment),
    ):
        if len(variables) > MAX_ENVIRONMENT:
            raise InvalidInput(f"{label} holds at most {MAX_ENVIRONMENT} variables.")
        for key, value in variables.items():
            if not key or "=" in key or "\x00" in key or not str(key).replace("_", "a").isalnum():
                raise InvalidInput(f"{label}: {key!r} is not a valid variable name.")
            if not isinstance(value, str) or "\x00" in value or len(value) > MAX_ENV_VALUE:
                raise InvalidInput(f"{label}: the value of {key!r} must be a string.")
        if label == "secret_environment":
            for value in variables.values():
                if not value.replace("_", "a").isalnum():
                    raise InvalidInput(
                        f"secret_environment maps a variable to the NAME of a server variable, "
                        f"not to a value: {value[:3]!r}... is not a variable name."
                    )
    overlap = set(spec.environment) & set(spec.secret_environment)
    if overlap:
        raise InvalidInput(f"Variables both plain and secret: {', '.join(sorted(overlap))}.")
    if spec.experiment is not None:
        validate_name(spec.experiment, "experiment name")
    return spec


def _check_count(value: Any, label: str, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"{label} must be an integer from {low} to {high}, not {value!r}.")


def _next_run(schedule: str | None, zone: str, now: int) -> int | None:
    if schedule is None:
        return None
    found = cron.next_times(schedule, zone, now, 1)
    return found[0] if found else None
