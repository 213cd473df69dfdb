"""The Dask executor: each job run is one task on a `distributed` cluster.

The notebook's folder travels with the task as an in-memory zip (up to `max_bundle_bytes`;
past it a shared file system is needed), the task runs the same papermill runner as the local
executor on a worker (`studio.jobs.dask_worker`), and the executed notebook, its HTML, log,
progress and result come back into `Launch.output_dir` on this side. Progress and the
runner's pid and host arrive as events on a topic of the task's own; cancelling sets a named
`distributed.Event` that the task polls. The task's key, topic and events are named after the
run's tracking run id, unique across the Studio stores that may share one cluster (job run
numbers are not). A scheduler that recovers a run of one that died stops its task through that
event (`DaskExecutor.stop_orphan`).

A worker on another machine cannot write into this machine's SQLite file, so a launch whose
tracking goes to one is refused: the store must be PostgreSQL, or the kernel must reach the
server through `STUDIO_TRACKING_URI`.

`distributed` is imported lazily, by this executor only: `import studio.jobs` never loads it.
"""

# distributed's Client, Future and Event methods carry no annotations.
# mypy: disallow-untyped-calls=False

from __future__ import annotations

import asyncio
import io
import logging
import os
import zipfile
from collections.abc import Iterator, Mapping
from concurrent.futures import CancelledError
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.config import DB_URL_ENV, TRACKING_URI_ENV
from studio.errors import InvalidInput, TooLarge
from studio.jobs.dask_worker import (
    WorkerReport,
    cancel_event_name,
    run_on_worker,
    started_event_name,
    task_key,
    topic,
)
from studio.jobs.entities import JobStatus, Progress
from studio.jobs.execution import Launch, Outcome, final_outcome

if TYPE_CHECKING:
    from distributed import Client, Future

__all__ = ["DEFAULT_MAX_BUNDLE_BYTES", "DaskExecution", "DaskExecutor", "bundle_folder"]

DEFAULT_MAX_BUNDLE_BYTES = 100 * 2**20
# Left out of the bundle: nothing a notebook reads, and often large.
SKIPPED_FOLDERS = frozenset({".git", ".ipynb_checkpoints", "__pycache__"})
LOST_WORKER = "the Dask worker running it was lost"

logger = logging.getLogger(__name__)


class DaskExecutor:
    """Starts job runs as tasks on the Dask cluster whose scheduler is at `scheduler_address`.

    The client connects on the first `start`, so that a server whose cluster is down still
    starts (its job runs fail with the connection's error instead).
    """

    name = "dask"

    def __init__(
        self, scheduler_address: str, max_bundle_bytes: int = DEFAULT_MAX_BUNDLE_BYTES
    ) -> None:
        self.scheduler_address = scheduler_address
        self.max_bundle_bytes = max_bundle_bytes
        self._client: Client | None = None
        self._connecting = asyncio.Lock()
        self._executions: set[DaskExecution] = set()

    async def start(self, launch: Launch) -> DaskExecution:
        refuse_local_sqlite(launch.environment)
        folder = Path(launch.notebook_path).parent
        bundle = await asyncio.to_thread(bundle_folder, folder, self.max_bundle_bytes)
        client = await self._connect()
        execution = DaskExecution(client, launch, self.scheduler_address)
        await execution.submit(bundle)
        self._executions.add(execution)
        execution.finished.add_done_callback(lambda _: self._executions.discard(execution))
        return execution

    async def stop_orphan(self, run_id: str) -> None:
        """Stop the task of a job run that a Studio scheduler which died left on the cluster,
        given its tracking run's id: set its cancel event, which the task polls (or, if it is
        still queued, sees before it starts the notebook). The event stays set: no client is
        left to clear it once the task has seen it."""
        from distributed import Event

        client = await self._connect()
        await Event(cancel_event_name(run_id), client=client).set()

    async def close(self) -> None:
        # Each cancelled run still brings its outputs back before the client goes.
        await asyncio.gather(*(execution.cancel() for execution in list(self._executions)))
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def _connect(self) -> Client:
        async with self._connecting:
            if self._client is None:
                from distributed import Client

                self._client = await Client(self.scheduler_address, asynchronous=True)
            return self._client


class DaskExecution:
    """One job run as a Dask task: `wait()` ends with the files written into the output
    folder and the outcome read from them."""

    def __init__(self, client: Client, launch: Launch, scheduler_address: str) -> None:
        self._client = client
        self._launch = launch
        self._scheduler_address = scheduler_address
        self._topic = topic(launch.run_id)
        self._host: str | None = None
        self._pid: int | None = None
        self._pid_started_at: float | None = None
        self._progress: Progress | None = None
        self._cancel_requested = False
        self._dropped = False
        self._future: Future[WorkerReport] | None = None
        self._data: list[Future[Any]] = []
        # Referenced, so that the task collecting the outcome is not garbage-collected.
        self._collecting: asyncio.Task[None] | None = None
        self.finished: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()

    @property
    def pid(self) -> int | None:
        return self._pid

    @property
    def pid_started_at(self) -> float | None:
        return self._pid_started_at

    @property
    def host(self) -> str:
        """The worker's host name once the task started there, else the cluster's address."""
        return self._host or self._scheduler_address

    def progress(self) -> Progress | None:
        return self._progress

    async def submit(self, bundle: bytes) -> None:
        self._client.subscribe_topic(self._topic, self._on_event)
        # Scattered, not put in the task graph: a bundle may be up to the limit's size, and
        # the notebook's snapshot (in the launch) holds its saved outputs.
        self._data = await self._client.scatter([self._launch, bundle], hash=False)
        self._future = self._client.submit(
            run_on_worker,
            *self._data,
            key=task_key(self._launch.run_id),
            pure=False,
            retries=0,
        )
        self._collecting = asyncio.create_task(self._collect(self._future))

    async def wait(self) -> Outcome:
        return await asyncio.shield(self.finished)

    async def cancel(self) -> None:
        """Ask the task to kill the run's processes, and wait until it has."""
        from distributed import Event

        if not self.finished.done():
            self._cancel_requested = True
            await Event(cancel_event_name(self._launch.run_id), client=self._client).set()
            if self._pid is None and self._future is not None:
                # Not known to have started: a task still queued need not run at all. (One
                # that did start sees the event, which then stays set: see `_forget`.)
                self._dropped = True
                await self._future.cancel()
        await self.wait()

    def _on_event(self, event: tuple[float, dict[str, Any]]) -> None:
        _, message = event
        if "progress" in message:
            self._progress = Progress(**message["progress"])
        else:
            self._host = message["host"]
            self._pid = message["pid"]
            self._pid_started_at = message["pid_started_at"]

    async def _collect(self, future: Future[WorkerReport]) -> None:
        try:
            outcome = await self._outcome(future)
        except Exception as exc:  # Studio's own failure (the notebook's are in the report)
            logger.exception("Dask job run %s failed", self._launch.job_run_id)
            outcome = Outcome(JobStatus.FAILED, f"The Dask task failed: {exc}")
        try:
            await self._forget()
        except Exception:  # the run has ended all the same; the cluster keeps a few bytes
            logger.exception("Could not release Dask job run %s", self._launch.job_run_id)
        self.finished.set_result(outcome)

    async def _outcome(self, future: Future[WorkerReport]) -> Outcome:
        from distributed import KilledWorker

        try:
            report: WorkerReport = await future
        except (KilledWorker, CancelledError):
            if self._cancel_requested:
                return Outcome(JobStatus.CANCELLED, "Cancelled, before any cell ran")
            return Outcome(JobStatus.FAILED, f"Failed: {LOST_WORKER}.")
        if report.lost:
            return Outcome(JobStatus.FAILED, f"Failed: {LOST_WORKER}.")
        self._host, self._pid = report.host, report.pid
        await asyncio.to_thread(_write_files, Path(self._launch.output_dir), report.files)
        outcome = _read_outcome(self._launch, report)
        self._progress = outcome.progress
        return outcome

    async def _forget(self) -> None:
        """Release what the cluster keeps for this run: topic, events, launch and bundle."""
        from distributed import Event

        self._client.unsubscribe_topic(self._topic)
        if not self._dropped:  # a dropped task may yet start: its events must stay set
            for name in (
                cancel_event_name(self._launch.run_id),
                started_event_name(self._launch.run_id),
            ):
                await Event(name, client=self._client).clear()
        for data in self._data:
            data.release()


def _read_outcome(launch: Launch, report: WorkerReport) -> Outcome:
    """How the run ended, from the files it sent back and from how the task ended it."""
    return final_outcome(launch.output_dir, launch.timeout, report.stopped, report.exit_code)


def refuse_local_sqlite(environment: Mapping[str, str]) -> None:
    """Refuse a launch whose notebook would track into a SQLite file: on a worker of another
    machine it would be another file, and the run's metrics would never arrive."""
    db_url = environment.get(DB_URL_ENV, "")
    if db_url.startswith("sqlite") and not environment.get(TRACKING_URI_ENV):
        raise InvalidInput(
            f"A Dask job cannot track to the SQLite file of {DB_URL_ENV}={db_url}: a worker on "
            "another machine would write to a file of its own. Use PostgreSQL for Studio's "
            f"database (c.StudioApp.db_url), or set {TRACKING_URI_ENV} to this server's URL."
        )


def bundle_folder(folder: Path, max_bytes: int) -> bytes:
    """`folder` as an in-memory zip. Its size is checked first, so that a huge folder is
    refused before anything is read."""
    files = list(_files(folder))
    size = sum(path.stat().st_size for path in files)
    if size > max_bytes:
        raise TooLarge(
            f"The notebook's folder {folder} is {_megabytes(size)}, over the "
            f"{_megabytes(max_bytes)} limit of what a Dask job carries to its worker "
            "(c.StudioApp.max_bundle_mb). Data this large needs a shared file system: put "
            "it in a folder every worker sees and read it there by its absolute path, so "
            "that the notebook's own folder stays small."
        )
    buffer = io.BytesIO()
    # Level 1: most of the gain for a fraction of the time; data files rarely compress well.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for path in files:
            archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


def _files(folder: Path) -> Iterator[Path]:
    for root, folders, names in os.walk(folder):
        folders[:] = sorted(name for name in folders if name not in SKIPPED_FOLDERS)
        for name in sorted(names):
            path = Path(root, name)
            if path.is_file():
                yield path


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.3g} MB"


def _write_files(folder: Path, files: dict[str, bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
