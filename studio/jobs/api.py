"""Notebook jobs from Python: `run_notebook`, `create_definition`, `list_runs`, `get_run`,
`cancel` (exported by `studio.jobs`).

Who runs a notebook queued from here: where a scheduler serves the store (the Jupyter
server's, or a `studio scheduler`, alive in the last seconds), that scheduler does, and
`run_notebook` watches it. Where none does, `run_notebook` runs it in this process, in a
thread of its own (`studio.jobs.driver`): the run, its tracking run, its retries and its
outputs are the same as a scheduler's. With `wait=False`, a process of its own runs it
instead, which outlives this one. Through a Studio server
(`STUDIO_TRACKING_URI=http(s)://...`), the server's scheduler runs it, and the notebook path
is relative to the server's root folder.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.jobs.clients import LocalJobs, RestJobs, jobs_client
from studio.jobs.entities import DEFAULT_KEEP_OUTPUTS, JobStatus, MissedPolicy, Trigger

if TYPE_CHECKING:
    from studio.jobs.api_types import JobDefinition, JobRun
    from studio.jobs.driver import RunDriver

__all__ = [
    "cancel",
    "create_definition",
    "get_run",
    "list_definitions",
    "list_runs",
    "run_definition",
    "run_notebook",
    "wait_for",
]

POLL_INTERVAL = 0.25
"""Seconds between looks at a run being waited for."""
RETRY_APPEARS_WITHIN = 10.0
"""Seconds a run that ended with retries left is given for its retry to be queued."""


def run_notebook(
    path: str | Path,
    parameters: Mapping[str, Any] | None = None,
    timeout: float | None = None,
    retries: int = 0,
    experiment: str | None = None,
    wait: bool = True,
    *,
    kernel_name: str | None = None,
    name: str | None = None,
    environment: Mapping[str, str] | None = None,
    secret_environment: Mapping[str, str] | None = None,
    html: bool = False,
    retry_backoff: float = 60.0,
    progress: bool = True,
    tracking_uri: str | None = None,
) -> JobRun:
    """Run the notebook at `path` as a job, its `parameters` injected after the cell tagged
    `parameters`; the job run is a tracking run (`.run_id`) in `experiment` (default: the
    notebook's name).

    `timeout` (seconds) ends it TIMED_OUT; a FAILED or TIMED_OUT run is retried up to
    `retries` times, `retry_backoff` seconds later, doubling. With `wait` (the default) it
    returns once the run, and its retries, have ended, showing a progress bar of the cells
    (a widget in a notebook, text elsewhere; `progress=False` for none); the JobRun returned
    is the last attempt. Without, it returns the QUEUED run at once.
    """
    client = jobs_client(tracking_uri)
    queued = client.submit(
        path,
        parameters=dict(parameters or {}),
        kernel_name=kernel_name,
        timeout=timeout,
        retries=retries,
        retry_backoff=retry_backoff,
        environment=dict(environment or {}),
        secret_environment=dict(secret_environment or {}),
        html=html,
        experiment=experiment,
        name=name,
    )
    runner = _run_here_if_needed(client, queued, wait)
    if not wait:
        return queued
    try:
        return wait_for(queued.id, progress=progress, tracking_uri=tracking_uri, _runner=runner)
    except KeyboardInterrupt:
        # Interrupting the wait stops the run: it would otherwise go on unseen (or, run
        # here, keep the interpreter from exiting).
        if runner is not None:
            runner.cancel()
            runner.join()
        else:
            client.cancel(queued.id)
        raise


def wait_for(
    job_run_id: int,
    *,
    progress: bool = True,
    tracking_uri: str | None = None,
    _runner: RunDriver | None = None,
) -> JobRun:
    """Wait for a job run, and the retries it gets, to end; the last attempt."""
    client = jobs_client(tracking_uri)
    current = client.get_run(job_run_id)
    bar = _ProgressBar() if progress else None
    try:
        while True:
            if bar is not None:
                bar.show(current)
            if current.done:
                following = _next_attempt(client, current, _runner)
                if following is None:
                    return client.get_run(current.id)
                current = following
                continue
            time.sleep(POLL_INTERVAL)
            current = client.get_run(current.id)
    finally:
        if bar is not None:
            bar.close()


def get_run(job_run_id: int, tracking_uri: str | None = None) -> JobRun:
    """A job run, as it is now."""
    return jobs_client(tracking_uri).get_run(job_run_id)


def list_runs(
    definition: int | str | None = None,
    status: str | JobStatus | Sequence[str | JobStatus] | None = None,
    trigger: str | Trigger | Sequence[str | Trigger] | None = None,
    max_results: int = 100,
    tracking_uri: str | None = None,
) -> list[JobRun]:
    """Job runs, newest first: of one definition (id or name), in these statuses, from
    these triggers."""
    client = jobs_client(tracking_uri)
    definition_id = None if definition is None else client.get_definition(definition).id
    return client.list_runs(
        definition_id=definition_id,
        statuses=[JobStatus(s).value for s in _many(status)],
        triggers=[Trigger(t).value for t in _many(trigger)],
        max_results=max_results,
    )


def cancel(job_run_id: int, tracking_uri: str | None = None) -> JobRun:
    """Stop a job run: a queued one at once, a running one at its scheduler's next beat.
    A run that already ended is a Conflict."""
    return jobs_client(tracking_uri).cancel(job_run_id)


def create_definition(
    path: str | Path,
    schedule: str | None = None,
    timezone: str = "UTC",
    parameters: Mapping[str, Any] | None = None,
    *,
    name: str | None = None,
    kernel_name: str | None = None,
    timeout: float | None = None,
    retries: int = 0,
    retry_backoff: float = 60.0,
    max_concurrent_runs: int = 1,
    environment: Mapping[str, str] | None = None,
    secret_environment: Mapping[str, str] | None = None,
    html: bool = False,
    experiment: str | None = None,
    missed: str | MissedPolicy = MissedPolicy.RUN_ONCE,
    keep_outputs: int = DEFAULT_KEEP_OUTPUTS,
    active: bool = True,
    tracking_uri: str | None = None,
) -> JobDefinition:
    """A job definition of the notebook at `path` (snapshotted now), named `name` (default:
    the notebook's name), run on `schedule` (a cron expression read in `timezone`) by the
    scheduler serving the store, or on demand (`studio jobs definitions run`)."""
    return jobs_client(tracking_uri).create_definition(
        name or Path(path).stem,
        path,
        schedule=schedule,
        timezone=timezone,
        parameters=dict(parameters or {}),
        kernel_name=kernel_name,
        timeout=timeout,
        retries=retries,
        retry_backoff=retry_backoff,
        max_concurrent_runs=max_concurrent_runs,
        environment=dict(environment or {}),
        secret_environment=dict(secret_environment or {}),
        html=html,
        experiment=experiment,
        missed=MissedPolicy(missed),
        keep_outputs=keep_outputs,
        active=active,
    )


def run_definition(
    definition: int | str,
    parameters: Mapping[str, Any] | None = None,
    wait: bool = True,
    *,
    progress: bool = True,
    tracking_uri: str | None = None,
) -> JobRun:
    """Run a job definition (id or name) now, its parameters overridden by `parameters`;
    who runs it, and waiting, as for `run_notebook`."""
    client = jobs_client(tracking_uri)
    queued = client.run_definition(definition, dict(parameters or {}))
    runner = _run_here_if_needed(client, queued, wait)
    if not wait:
        return queued
    return wait_for(queued.id, progress=progress, tracking_uri=tracking_uri, _runner=runner)


def list_definitions(tracking_uri: str | None = None) -> list[JobDefinition]:
    """Every job definition, by name."""
    return jobs_client(tracking_uri).list_definitions()


def _run_here_if_needed(
    client: LocalJobs | RestJobs, queued: JobRun, wait: bool
) -> RunDriver | None:
    """Run `queued` without a scheduler when none serves the store: in a thread of this
    process when waiting for it (returned), else in a process of its own."""
    if not isinstance(client, LocalJobs) or client.scheduler_alive():
        return None
    from studio.jobs.driver import RunDriver, start_detached

    if not wait:
        start_detached(client.service, queued.id)
        return None
    runner = RunDriver(client.service, queued.id)
    runner.start()
    return runner


def _next_attempt(
    client: LocalJobs | RestJobs, ended: JobRun, runner: RunDriver | None
) -> JobRun | None:
    """The retry of an ended run, once queued; None when it gets none."""
    if runner is not None:
        # The runner completes the run (tracking run, retry) after its status is final.
        while not runner.join(POLL_INTERVAL) and runner.job_run_id == ended.id:
            pass
        if runner.error is not None:
            raise runner.error
        return None if runner.job_run_id == ended.id else client.get_run(runner.job_run_id)
    if not ended.status.is_retryable or ended.attempt > ended.retries:
        return None
    deadline = time.monotonic() + RETRY_APPEARS_WITHIN
    while time.monotonic() < deadline:
        retries = client.list_runs(triggers=[Trigger.RETRY.value], max_results=100)
        found = next((r for r in retries if r.retry_of == ended.id), None)
        if found is not None:
            return found
        time.sleep(POLL_INTERVAL)
    return None


def _many(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str | JobStatus | Trigger):
        return [value]
    return list(value)


class _ProgressBar:
    """tqdm's bar of a run's cells: its notebook widget where one renders (tqdm.auto picks),
    text on stderr elsewhere. A retry starts the bar again."""

    def __init__(self) -> None:
        from tqdm.auto import tqdm  # type: ignore[import-untyped]

        self._tqdm = tqdm
        self._id: int | None = None
        self._bar: Any = None
        self._shown: tuple[Any, ...] = ()

    def show(self, job_run: JobRun) -> None:
        if self._id != job_run.id:
            self.close()
            self._id = job_run.id
            self._shown = ()
            attempt = f", attempt {job_run.attempt}" if job_run.attempt > 1 else ""
            self._bar = self._tqdm(
                total=job_run.progress.cells_total or None,
                desc=f"{job_run.name} #{job_run.id}{attempt}",
                unit="cell",
            )
        shown = (job_run.progress.cells_done, job_run.progress.cells_total, job_run.status)
        if shown == self._shown:
            return
        self._shown = shown
        bar = self._bar
        if job_run.progress.cells_total and bar.total != job_run.progress.cells_total:
            bar.total = job_run.progress.cells_total
        bar.n = job_run.progress.cells_done
        bar.set_postfix_str(job_run.status.value, refresh=False)
        bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
