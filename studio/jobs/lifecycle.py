"""A job run's life, as the scheduler drives it: launched as a tracking run, completed
(tracking status, tag and artifacts, then a retry or the retention of old outputs),
recovered when its scheduler died, and queued by its definition's schedule.

Blocking: the scheduler calls these off its event loop.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from studio.config import RUN_ID_ENV
from studio.errors import InvalidInput, NotFound
from studio.jobs import cron
from studio.jobs.entities import TRACKING_STATUS, JobRun, JobStatus, MissedPolicy, Trigger
from studio.jobs.execution import HTML_NAME, LOG_NAME, NOTEBOOK_NAME, Launch, Outcome
from studio.tracking.entities import RunStatus

if TYPE_CHECKING:
    from studio.jobs.entities import JobDefinition
    from studio.jobs.service import JobService

__all__ = [
    "MISSED_GRACE_MS",
    "TAG_DEFINITION",
    "TAG_JOB_RUN",
    "TAG_RETRY_OF",
    "TAG_STATUS",
    "TAG_TRIGGER",
    "JobLifecycle",
]

log = logging.getLogger(__name__)

TAG_STATUS = "studio.job.status"
TAG_JOB_RUN = "studio.job.run"
TAG_DEFINITION = "studio.job.definition"
TAG_TRIGGER = "studio.job.trigger"
TAG_RETRY_OF = "studio.job.retry_of"
TAG_NOTEBOOK = "studio.job.notebook"
MISSED_GRACE_MS = 60_000
"""An occurrence passed by more than this when a scheduler sees it was missed (it did not
run then): a definition that skips missed occurrences does not run it."""
_ARTIFACT_FOLDER = "job"


@dataclass(frozen=True)
class Recovered:
    """A run found interrupted: the run as marked, and its retry if one was queued."""

    run: JobRun
    retry: JobRun | None


class JobLifecycle:
    """The steps of job runs over a `JobService`."""

    def __init__(self, service: JobService) -> None:
        self.service = service
        self.store = service.store
        self.tracking = service.tracking

    def launch(self, job_run: JobRun) -> Launch:
        """Make a claimed (RUNNING) run's tracking run and outputs folder, and what the
        executor needs to start it. InvalidInput when it cannot start (a secret variable
        missing from this scheduler's environment): complete it FAILED with that message."""
        spec = job_run.spec
        environment = dict(self.service.config.environment())
        environment.update(spec.environment)
        missing = [name for name in spec.secret_environment.values() if name not in os.environ]
        if missing:
            raise InvalidInput(
                "The job needs secret variables this scheduler's environment does not have: "
                + ", ".join(sorted(set(missing)))
            )
        environment.update(
            {name: os.environ[source] for name, source in spec.secret_environment.items()}
        )
        experiment = self.tracking.get_or_create_experiment(spec.experiment or job_run.name)
        tags = {
            TAG_STATUS: JobStatus.RUNNING.value,
            TAG_JOB_RUN: str(job_run.id),
            TAG_TRIGGER: job_run.trigger.value,
            TAG_NOTEBOOK: spec.notebook_path,
        }
        if job_run.definition_id is not None:
            tags[TAG_DEFINITION] = str(job_run.definition_id)
        if job_run.retry_of is not None:
            try:
                retried = self.store.get_run(job_run.retry_of)
                tags[TAG_RETRY_OF] = retried.run_id or str(retried.id)
            except NotFound:  # the user deleted the run retried, not its retry
                tags[TAG_RETRY_OF] = str(job_run.retry_of)
        record = self.tracking.create_run(
            experiment.id,
            name=f"{job_run.name} #{job_run.id}",
            source=spec.notebook_path,
            params=dict(spec.parameters),
            tags=tags,
        )
        output_dir = self.service.jobs_dir / str(job_run.id)
        output_dir.mkdir(parents=True, exist_ok=True)
        environment[RUN_ID_ENV] = record.id
        self.store.set_started(job_run.id, run_id=record.id, output_dir=str(output_dir))
        return Launch(
            job_run_id=job_run.id,
            run_id=record.id,
            notebook=self.store.get_notebook(job_run.notebook_id),
            notebook_path=spec.notebook_path,
            output_dir=str(output_dir),
            parameters=dict(spec.parameters),
            kernel_name=spec.kernel_name,
            timeout=spec.timeout,
            environment=environment,
            html=spec.html,
        )

    def complete(
        self, job_run_id: int, outcome: Outcome, *, expected: JobStatus = JobStatus.RUNNING
    ) -> JobRun | None:
        """End a run with its outcome: its tracking run follows, its outputs become the
        tracking run's artifacts, a failed or timed-out run with retries left gets its
        retry, and the definition's oldest outputs beyond its keep count go. None when the
        run had already ended otherwise (cancelled while queued, recovered)."""
        ended = self.store.finish(job_run_id, outcome, self.service.clock(), expected=expected)
        if ended is None:
            return None
        self._close_quietly(ended)
        self.retry(ended)
        if ended.definition_id is not None:
            self.apply_retention(ended.definition_id)
        return ended

    def close_tracking_run(self, job_run: JobRun) -> None:
        """The tracking run of an ended job run: its status, its tag and its outputs. A
        tracking run deleted meanwhile is left deleted."""
        if job_run.run_id is None:
            return
        try:
            self._log_outputs(job_run.run_id, job_run)
            self.tracking.log_batch(job_run.run_id, tags={TAG_STATUS: job_run.status.value})
            record = self.tracking.get_run(job_run.run_id)
            if not RunStatus(record.status).is_terminal:
                self.tracking.update_run(
                    job_run.run_id,
                    status=RunStatus(TRACKING_STATUS[job_run.status]),
                    end_time=max(job_run.ended_at or self.service.clock(), record.start_time),
                )
        except NotFound:
            log.info("The tracking run of job run %s was deleted meanwhile", job_run.id)

    def _close_quietly(self, job_run: JobRun) -> None:
        """`close_tracking_run`, whose failure is logged: the run has ended, and its retry
        must not be lost with its tracking run's status."""
        try:
            self.close_tracking_run(job_run)
        except Exception:
            log.exception("Job run %s: its tracking run could not be closed", job_run.id)

    def _log_outputs(self, run_id: str, job_run: JobRun) -> None:
        """The outputs as the tracking run's artifacts. A failure to copy them (a full disk,
        an object store away) is logged: the run's status, its retry and the outputs in
        STUDIO_HOME/jobs stand regardless."""
        if not job_run.output_dir:
            return
        folder = Path(job_run.output_dir)
        for name in (NOTEBOOK_NAME, HTML_NAME, LOG_NAME):
            if not (folder / name).is_file():
                continue
            try:
                self.tracking.log_artifact(run_id, folder / name, f"{_ARTIFACT_FOLDER}/{name}")
            except NotFound:
                raise
            except Exception:
                log.exception(
                    "Job run %s: %s could not be copied to its tracking run", job_run.id, name
                )

    def retry(self, job_run: JobRun) -> JobRun | None:
        """Queue the retry of a failed or timed-out run while retries remain, after the
        backoff (doubling at each attempt)."""
        if not job_run.status.is_retryable or job_run.attempt > job_run.spec.retries:
            return None
        wait_ms = int(job_run.spec.retry_backoff * 1000 * 2 ** (job_run.attempt - 1))
        now = self.service.clock()
        return self.store.create_run(
            name=job_run.name,
            spec=job_run.spec,
            notebook_id=job_run.notebook_id,
            trigger=Trigger.RETRY,
            now=now,
            definition_id=job_run.definition_id,
            attempt=job_run.attempt + 1,
            retry_of=job_run.id,
            not_before=now + wait_ms if wait_ms else None,
        )

    def apply_retention(self, definition_id: int) -> list[int]:
        """Delete the outputs folders of a definition's runs beyond its newest `keep_outputs`
        (their rows and tracking runs stay). Returns the runs cleared."""
        try:
            definition = self.store.get_definition(definition_id)
        except NotFound:
            return []
        old = self.store.runs_past_retention(definition_id, definition.keep_outputs)
        for job_run in old:
            if job_run.output_dir:
                shutil.rmtree(job_run.output_dir, ignore_errors=True)
        self.store.mark_outputs_deleted(job_run.id for job_run in old)
        return [job_run.id for job_run in old]

    def interrupted(self, max_age_ms: int) -> list[JobRun]:
        """RUNNING runs whose heartbeat is older than `max_age_ms`."""
        return self.store.stale_runs(self.service.clock() - max_age_ms)

    def recover(self, job_run: JobRun) -> Recovered | None:
        """Mark a stale run FAILED ("interrupted") and queue its retry if retries remain
        (CANCELLED, without a retry, where its cancellation had been asked for);
        None if it beat meanwhile or another scheduler recovered it first. The caller kills
        what is left of its processes where `job_run.host` is its own host."""
        when = self.service.clock()
        silent = f"no heartbeat since {(when - (job_run.heartbeat_at or when)) / 1000:.0f} s"
        if job_run.cancel_requested:
            # Cancelled by someone before its scheduler could act on it: no retry.
            message = f"Cancelled; the scheduler running it had stopped ({silent})."
            status = JobStatus.CANCELLED
        else:
            message = f"Interrupted: the scheduler running it stopped ({silent})."
            status = JobStatus.FAILED
        marked = self.store.interrupt(job_run, message, when, status)
        if marked is None:
            return None
        self._close_quietly(marked)
        return Recovered(run=marked, retry=self.retry(marked))

    def schedule_due(self) -> list[JobRun]:
        """Queue the runs of every scheduled occurrence that has come, once whatever the
        number of schedulers (the store's occurrence lease). Occurrences missed while no
        scheduler ran collapse into the latest one, which runs once, or is skipped, as its
        definition says; the next occurrence then counts from now."""
        now = self.service.clock()
        queued: list[JobRun] = []
        for definition in self.store.due_definitions(now):
            queued.extend(self._schedule_definition(definition, now))
        return queued

    def _schedule_definition(self, definition: JobDefinition, now: int) -> list[JobRun]:
        seen = definition.next_run_at
        if seen is None or definition.schedule is None:
            return []
        upcoming = cron.next_times(definition.schedule, definition.timezone, now, 1)
        next_run = upcoming[0] if upcoming else None
        latest = _latest_occurrence(definition.schedule, definition.timezone, seen, now)
        missed = now - latest > MISSED_GRACE_MS
        claimed = None
        if missed and definition.missed is MissedPolicy.SKIP:
            log.info("Job %r: skipped the occurrence it missed", definition.name)
        else:
            # Claimed before the next occurrence moves: a scheduler dying in between leaves
            # the occurrence due, and the next one's claim of it finds it taken.
            claimed = self.store.claim_occurrence(definition, latest, now)
        self.store.advance_next_run(definition.id, seen, next_run)
        return [claimed] if claimed is not None else []


def _latest_occurrence(schedule: str, zone: str, seen: int, now: int) -> int:
    """The latest occurrence that has come: `seen` itself unless more passed since. Stepped
    a few at a time: on time, the next one is already in the future."""
    latest = seen
    batch = 4
    while True:
        upcoming = cron.next_times(schedule, zone, latest, batch)
        for when in upcoming:
            if when > now:
                return latest
            latest = when
        if len(upcoming) < batch:
            return latest
        batch = min(batch * 4, 4096)


def this_host() -> str:
    return socket.gethostname()
