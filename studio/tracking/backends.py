"""Where a client sends its calls: the local store, or a Studio server's REST API.

This module stays import-light: `import studio` must not pay for SQLAlchemy or pydantic, so
the backends themselves are imported only when the first one is needed.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

from studio.config import TOKEN_ENV, TRACKING_URI_ENV, StudioConfig

if TYPE_CHECKING:
    from studio.tracking.entities import (
        ArtifactInfo,
        Experiment,
        MetricHistory,
        RunPage,
        RunRecord,
        RunStatus,
    )
    from studio.tracking.writer import BatchWriter, MetricRow


class TrackingBackend(Protocol):
    """What `TrackingService` (local) and `RestTrackingClient` (remote) both offer."""

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
        self, run_id: str, key: str, max_points: int | None = None
    ) -> MetricHistory: ...
    def log_artifact(self, run_id: str, local_path: str | Path, name: str | None = None) -> str: ...
    def list_artifacts(self, run_id: str, path: str = "") -> list[ArtifactInfo]: ...
    def open_artifact(self, run_id: str, path: str) -> tuple[IO[bytes], int | None]: ...
    def download_artifacts(self, run_id: str, path: str, destination: str | Path) -> Path: ...


class Connection:
    """A backend and the one batching writer that feeds it, shared by every run of a process."""

    def __init__(self, backend: TrackingBackend) -> None:
        from studio.tracking.writer import BatchWriter

        self.backend = backend
        self.writer: BatchWriter = BatchWriter(backend.write_metrics)


_connections: dict[str, Connection] = {}
_lock = threading.Lock()


def connect(tracking_uri: str | None = None) -> Connection:
    """The process-wide connection for a tracking URI (None: the environment's, or the default).

    A URI is an `http(s)://` Studio server, an SQLAlchemy database URL, or a folder to use as
    `STUDIO_HOME`.
    """
    uri = tracking_uri or os.environ.get(TRACKING_URI_ENV) or ""
    with _lock:
        connection = _connections.get(uri)
        if connection is None:
            connection = Connection(_make_backend(uri))
            _connections[uri] = connection
        return connection


def flush_all() -> None:
    """Write every queued point of every connection (called at interpreter exit too)."""
    for connection in list(_connections.values()):
        connection.writer.flush()


def _make_backend(uri: str) -> TrackingBackend:
    # Imported here, not at the top: these pull in SQLAlchemy or pydantic (see module doc).
    if uri.startswith(("http://", "https://")):
        from studio.tracking.rest import RestTrackingClient

        return RestTrackingClient(uri, os.environ.get(TOKEN_ENV, ""))
    from studio.tracking.service import TrackingService

    if "://" in uri:
        return TrackingService.from_config(StudioConfig.resolve(db_url=uri))
    return TrackingService.from_config(StudioConfig.resolve(home=uri or None))


atexit.register(flush_all)
