"""Where a client sends its calls: the local store, or a Studio server's REST API.

This module stays import-light: `import studio` must not pay for SQLAlchemy or pydantic, so
the backends themselves are imported only when the first one is needed.

It also owns what a process does with its connections when it forks (the child gets its own)
and when it exits (every queued point is written, and a failure does not stop the others).
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, Protocol, overload

from studio.config import TOKEN_ENV, TRACKING_URI_ENV, StudioConfig
from studio.errors import StudioError

if TYPE_CHECKING:
    import logging

    from studio.tracking.entities import (
        ArtifactInfo,
        Experiment,
        MetricHistory,
        RunPage,
        RunRecord,
        RunStatus,
        SeriesInfo,
    )
    from studio.tracking.series.many import SeriesColumns
    from studio.tracking.series.store import SeriesPoints
    from studio.tracking.writer import BatchWriter, MetricRow


class SeriesBackend(Protocol):
    """A run's series of other kinds than metrics, local (`series_api.RunSeries`) or remote
    (`rest_series.RestRunSeries`): a backend's `series`."""

    def append(
        self,
        run_id: str,
        kind: str,
        points: Mapping[str, SeriesColumns],
        *,
        batch_id: str | None = None,
    ) -> None: ...
    def list_series(
        self, run_id: str, kind: str, prefix: str | None = None
    ) -> list[SeriesInfo]: ...
    def read(
        self,
        run_id: str,
        kind: str,
        key: str,
        max_points: int | None = None,
        *,
        max_results: int | None = None,
        page_token: str | None = None,
        min_step: int | None = None,
        max_step: int | None = None,
    ) -> MetricHistory: ...
    @overload
    def read_many(
        self,
        run_id: str,
        kind: str,
        keys: Sequence[str],
        max_points: int | None = None,
        *,
        min_step: int | None = None,
        max_step: int | None = None,
        arrays: Literal[False] = False,
    ) -> dict[str, MetricHistory]: ...
    @overload
    def read_many(
        self,
        run_id: str,
        kind: str,
        keys: Sequence[str],
        max_points: int | None = None,
        *,
        min_step: int | None = None,
        max_step: int | None = None,
        arrays: Literal[True],
    ) -> dict[str, SeriesPoints]: ...


class TrackingBackend(Protocol):
    """What `TrackingService` (local) and `RestTrackingClient` (remote) both offer."""

    @property
    def series(self) -> SeriesBackend: ...

    def create_experiment(
        self, name: str, description: str = "", tags: Mapping[str, str] | None = None
    ) -> Experiment: ...
    def get_experiment(self, experiment_id: int) -> Experiment: ...
    def get_experiment_by_name(self, name: str) -> Experiment | None: ...
    def get_or_create_experiment(self, name: str) -> Experiment: ...
    def list_experiments(
        self, *, include_archived: bool = False, name_contains: str | None = None
    ) -> list[Experiment]: ...
    def delete_experiment(self, experiment_id: int) -> None: ...
    def create_run(
        self,
        experiment_id: int,
        *,
        name: str | None = None,
        run_id: str | None = None,
        parent_run_id: str | None = None,
        source: str | None = None,
        params: Mapping[str, object] | None = None,
        tags: Mapping[str, object] | None = None,
        metrics: Sequence[tuple[str, float, int, int]] = (),
        status: RunStatus = ...,
        start_time: int | None = None,
        end_time: int | None = None,
    ) -> RunRecord: ...
    def get_run(self, run_id: str) -> RunRecord: ...
    def update_run(
        self,
        run_id: str,
        *,
        status: RunStatus | None = None,
        end_time: int | None = None,
        name: str | None = None,
    ) -> RunRecord: ...
    def delete_run(self, run_id: str) -> None: ...
    def search_runs(
        self,
        experiment_ids: Sequence[int] | None = None,
        *,
        filter: str | None = None,
        order_by: Sequence[str] | None = None,
        max_results: int = 1000,
        page_token: str | None = None,
        parent_run_id: str | None = None,
        include_total: bool = False,
    ) -> RunPage: ...
    def log_batch(
        self,
        run_id: str,
        *,
        metrics: Sequence[tuple[str, float, int, int]] = (),
        params: Mapping[str, object] | None = None,
        tags: Mapping[str, object] | None = None,
    ) -> None: ...
    def write_metrics(self, rows: Sequence[MetricRow]) -> None: ...
    def get_metric_history(
        self,
        run_id: str,
        key: str,
        max_points: int | None = None,
        *,
        min_step: int | None = None,
        max_step: int | None = None,
    ) -> MetricHistory: ...
    def log_artifact(self, run_id: str, local_path: str | Path, name: str | None = None) -> str: ...
    def list_artifacts(self, run_id: str, path: str = "") -> list[ArtifactInfo]: ...
    def open_artifact(self, run_id: str, path: str) -> tuple[IO[bytes], int | None]: ...
    def download_artifacts(self, run_id: str, path: str, destination: str | Path) -> Path: ...


class Connection:
    """A backend and the one batching writer that feeds it, shared by every run of a process."""

    def __init__(
        self,
        backend: TrackingBackend,
        uri: str = "",
        after_fork: Callable[[], None] | None = None,
    ) -> None:
        from studio.tracking.writer import BatchWriter

        self.backend = backend
        # The URI it was opened with: a run pickled for another process reconnects with it.
        self.uri = uri
        self.writer: BatchWriter = BatchWriter(backend.write_metrics)
        self._after_fork = after_fork

    def reset_after_fork(self) -> None:
        """In a forked child: connections and a writer thread of its own (see `_after_fork`)."""
        if self._after_fork is not None:
            self._after_fork()
        self.writer.reset_after_fork()


_connections: dict[str, Connection] = {}
_lock = threading.Lock()


def _logger() -> logging.Logger:
    # Imported when there is something to report: `logging` would add 5 ms to `import studio`.
    import logging

    return logging.getLogger(__name__)


def connect(tracking_uri: str | None = None) -> Connection:
    """The process-wide connection for a tracking URI (None: the environment's, or the default).

    A URI is an `http(s)://` Studio server, an SQLAlchemy database URL, or a folder to use as
    `STUDIO_HOME`.
    """
    uri = tracking_uri or os.environ.get(TRACKING_URI_ENV) or ""
    with _lock:
        connection = _connections.get(uri)
        if connection is None:
            backend, after_fork = _make_backend(uri)
            connection = Connection(backend, uri, after_fork)
            _connections[uri] = connection
            _watch_multiprocessing()
        return connection


def flush_all() -> None:
    """Write every queued point of every connection; raise if any run's points were lost."""
    errors: list[StudioError] = []
    for connection in list(_connections.values()):
        try:
            connection.writer.flush()
        except StudioError as exc:
            errors.append(exc)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise StudioError("; ".join(error.message for error in errors))


# Called at exit before the writers close: `studio.tracking.fluent` ends its active runs here.
before_exit: list[Callable[[], None]] = []


def _at_exit() -> None:
    """End what is active, then write every queued point; a failure is logged, and the rest is
    still done."""
    for hook in before_exit:
        try:
            hook()
        except Exception:
            _logger().exception("Studio's exit hook %s failed", hook)
    for connection in list(_connections.values()):
        try:
            connection.writer.close()
        except Exception as exc:
            _logger().error("Studio could not write every metric point before exit: %s", exc)


_exit_finalizer: Any = None  # multiprocessing.util.Finalize, in a worker
_watching = False  # whether multiprocessing's after-fork callbacks include ours


def _exit_with_multiprocessing() -> None:
    """In a `multiprocessing` worker, run `_at_exit` from multiprocessing's own exit hook.

    Its forked and forkserver workers leave with `os._exit()`, which skips `atexit`: without
    this, the points a worker queued last would be lost. (A spawned worker runs both; ending
    runs and flushing twice does nothing the second time.)
    """
    global _exit_finalizer
    process = sys.modules.get("multiprocessing.process")
    if process is None or process.parent_process() is None:  # not a worker
        return
    # A worker starting clears the finalizers it inherited, ours among them.
    if _exit_finalizer is None or not _exit_finalizer.still_active():
        _exit_finalizer = sys.modules["multiprocessing.util"].Finalize(
            None, _at_exit, exitpriority=10
        )


def _make_backend(uri: str) -> tuple[TrackingBackend, Callable[[], None] | None]:
    """The backend for `uri`, and what a forked child must do to stop sharing its connections."""
    # Imported here, not at the top: these pull in SQLAlchemy or pydantic (see module doc).
    if uri.startswith(("http://", "https://")):
        from studio.tracking.rest import RestTrackingClient

        # It opens a connection per request: a child shares no socket with its parent.
        client = RestTrackingClient(uri, os.environ.get(TOKEN_ENV, ""))
        return client, client.after_fork
    from studio.tracking.service import TrackingService

    if "://" in uri:
        service = TrackingService.from_config(StudioConfig.resolve(db_url=uri))
    else:
        service = TrackingService.from_config(StudioConfig.resolve(home=uri or None))
    return service, service.after_fork


def _after_fork() -> None:
    """A forked child gets a working client without touching its parent's.

    The parent's database connections belong to the parent (SQLAlchemy's "Using Connection
    Pools with Multiprocessing"), and its queued points too: the parent writes them. A lock
    that another thread of the parent held at the fork would never be released here.
    """
    global _lock
    _lock = threading.Lock()
    for connection in _connections.values():
        connection.reset_after_fork()
    if _connections:
        _watch_multiprocessing()


def _watch_multiprocessing() -> None:
    """Have `_at_exit` run when this process, as a multiprocessing worker, ends."""
    global _watching
    util = sys.modules.get("multiprocessing.util")
    if util is None:
        return
    _exit_with_multiprocessing()  # a worker already running its task
    if not _watching:  # forked processes inherit the registration
        # A worker about to start (forked, or unpickling its arguments) first clears the
        # finalizers it has, then runs its after-fork callbacks: registering from one lasts.
        util.register_after_fork(_exit_with_multiprocessing, _register_in_worker)
        _watching = True


def _register_in_worker(_hook: object) -> None:
    _exit_with_multiprocessing()


if hasattr(os, "register_at_fork"):  # POSIX only; Windows has no fork
    os.register_at_fork(after_in_child=_after_fork)
atexit.register(_at_exit)
