"""The tracking manager: the logic both the REST handlers and the local client call."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

from studio.db.engine import Database
from studio.errors import InvalidInput
from studio.tracking.artifacts import ArtifactRepository
from studio.tracking.entities import (
    ArtifactInfo,
    Experiment,
    ExperimentPage,
    MetricHistory,
    RunPage,
    RunRecord,
    RunStatus,
)
from studio.tracking.series_api import RunSeries
from studio.tracking.store import TrackingStore
from studio.tracking.validation import (
    MAX_BATCH_METRICS,
    MAX_BATCH_PARAMS,
    MAX_BATCH_TAGS,
    MAX_EXPERIMENT_PAGE,
    MAX_HISTORY_POINTS,
    check_batch_size,
    metric_step,
    metric_timestamp,
    metric_value,
    params_to_text,
    tags_to_text,
    validate_batch_id,
    validate_key,
    validate_run_id,
)

__all__ = [
    "MAX_BATCH_METRICS",
    "MAX_BATCH_PARAMS",
    "MAX_BATCH_TAGS",
    "MAX_HISTORY_POINTS",
    "TrackingService",
]

if TYPE_CHECKING:
    from studio.config import StudioConfig
    from studio.tracking.store_rows import MetricRow

# In a forked child: the parent's connection pools, never used and never closed here.
_inherited_pools: list[object] = []


class TrackingService:
    """Experiments, runs, logging and artifacts, over one store and one artifact root."""

    def __init__(self, store: TrackingStore, artifacts: ArtifactRepository | None = None) -> None:
        self.store = store
        self.artifacts = artifacts or ArtifactRepository()
        # A run's series of other kinds than metrics (the debugger's tensor statistics).
        self.series = RunSeries(store.db)

    @classmethod
    def from_database(cls, database: Database, config: StudioConfig) -> TrackingService:
        """The service factory of tracking's feature declaration."""
        return cls(TrackingStore(database, config.artifact_root))

    @classmethod
    def from_config(cls, config: StudioConfig) -> TrackingService:
        """A service on a database of its own (the client inside a kernel)."""
        return cls.from_database(Database.from_config(config), config)

    def after_fork(self) -> None:
        """In a forked child: a new connection pool, leaving the parent's connections alone.

        `close=False` drops the inherited pool without closing its connections, which the
        parent is still using (SQLAlchemy's "Using Connection Pools with Multiprocessing").
        The old pool is kept referenced, so that garbage collection does not close them either.
        """
        _inherited_pools.append(self.store.db.engine.pool)
        self.store.db.engine.dispose(close=False)

    # Experiments ---------------------------------------------------------------------------

    def create_experiment(
        self, name: str, description: str = "", tags: Mapping[str, str] | None = None
    ) -> Experiment:
        return self.store.create_experiment(name, description, tags_to_text(tags))

    def get_experiment(self, experiment_id: int) -> Experiment:
        return self.store.get_experiment(experiment_id)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        return self.store.get_experiment_by_name(name)

    def get_or_create_experiment(self, name: str) -> Experiment:
        return self.store.get_or_create_experiment(name)

    def list_experiments(
        self, *, include_archived: bool = False, name_contains: str | None = None
    ) -> list[Experiment]:
        return self.store.list_experiments(
            include_archived=include_archived, name_contains=name_contains
        )

    def list_experiment_page(
        self,
        *,
        include_archived: bool = False,
        name_contains: str | None = None,
        max_results: int = 1000,
        page_token: str | None = None,
    ) -> ExperimentPage:
        """One page of `list_experiments` (the REST API's list is paged)."""
        if not 1 <= max_results <= MAX_EXPERIMENT_PAGE:
            raise InvalidInput(f"max_results must be between 1 and {MAX_EXPERIMENT_PAGE}.")
        return self.store.list_experiment_page(
            include_archived=include_archived,
            name_contains=name_contains,
            max_results=max_results,
            page_token=page_token,
        )

    def update_experiment(
        self,
        experiment_id: int,
        *,
        name: str | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        archived: bool | None = None,
    ) -> Experiment:
        return self.store.update_experiment(
            experiment_id,
            name=name,
            description=description,
            tags=None if tags is None else tags_to_text(tags),
            archived=archived,
        )

    def delete_experiment(self, experiment_id: int) -> None:
        for uri in self.store.delete_experiment(experiment_id):
            self.artifacts.delete_all(uri)

    # Runs ----------------------------------------------------------------------------------

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
        status: RunStatus = RunStatus.RUNNING,
        start_time: int | None = None,
        end_time: int | None = None,
    ) -> RunRecord:
        check_batch_size(len(metrics), len(params or {}), len(tags or {}))
        return self.store.create_run(
            experiment_id,
            name=name,
            run_id=None if run_id is None else validate_run_id(run_id),
            parent_run_id=parent_run_id,
            source=source,
            params=params_to_text(params),
            tags=tags_to_text(tags),
            metrics=_checked_metrics(metrics),
            status=status,
            start_time=start_time,
            end_time=end_time,
        )

    def get_run(self, run_id: str) -> RunRecord:
        return self.store.get_run(run_id)

    def update_run(
        self,
        run_id: str,
        *,
        status: RunStatus | None = None,
        end_time: int | None = None,
        name: str | None = None,
    ) -> RunRecord:
        return self.store.update_run(run_id, status=status, end_time=end_time, name=name)

    def delete_run(self, run_id: str) -> None:
        for uri in self.store.delete_run(run_id):
            self.artifacts.delete_all(uri)

    def search_runs(
        self,
        experiment_ids: Sequence[int] | None = None,
        *,
        filter: str | None = None,
        order_by: Sequence[str] | None = None,
        max_results: int = 1000,
        page_token: str | None = None,
        offset: int | None = None,
        parent_run_id: str | None = None,
        include_total: bool = False,
        tree: bool = False,
    ) -> RunPage:
        return self.store.search_runs(
            experiment_ids,
            filter=filter,
            order_by=order_by,
            max_results=max_results,
            page_token=page_token,
            offset=offset,
            parent_run_id=parent_run_id,
            include_total=include_total,
            tree=tree,
        )

    def count_runs(self, experiment_id: int, filter: str | None = None) -> int:
        return self.store.count_runs(experiment_id, filter)

    # Logging -------------------------------------------------------------------------------

    def log_batch(
        self,
        run_id: str,
        *,
        metrics: Sequence[tuple[str, float, int, int]] = (),
        params: Mapping[str, object] | None = None,
        tags: Mapping[str, object] | None = None,
        batch_id: str | None = None,
    ) -> None:
        """One run's params, tags and points, checked whole before anything is written;
        with a `batch_id`, applied at most once (a client's retry stores nothing new)."""
        check_batch_size(len(metrics), len(params or {}), len(tags or {}))
        self.store.log_batch(
            run_id,
            metrics=_checked_metrics(metrics),
            params=params_to_text(params),
            tags=tags_to_text(tags),
            batch_id=None if batch_id is None else validate_batch_id(batch_id),
        )

    def write_metrics(self, rows: Sequence[MetricRow]) -> None:
        """The local batching writer's path (one run's points at a time); its rows were
        validated when logged."""
        self.store.write_metrics(rows)

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        max_points: int | None = None,
        *,
        max_results: int | None = None,
        page_token: str | None = None,
        min_step: int | None = None,
        max_step: int | None = None,
    ) -> MetricHistory:
        """Every point with a step in [min_step, max_step] (or, with `max_results`, one page
        of them), or at most `max_points` of them."""
        if max_points is not None and not 2 <= max_points <= MAX_HISTORY_POINTS:
            raise InvalidInput(f"max_points must be between 2 and {MAX_HISTORY_POINTS}.")
        if max_results is not None and not 1 <= max_results <= MAX_HISTORY_POINTS:
            raise InvalidInput(f"max_results must be between 1 and {MAX_HISTORY_POINTS}.")
        low = None if min_step is None else metric_step(min_step, key)
        high = None if max_step is None else metric_step(max_step, key)
        if low is not None and high is not None and low > high:
            raise InvalidInput(f"min_step ({low}) must not be above max_step ({high}).")
        return self.store.get_metric_history(
            run_id,
            key,
            max_points,
            max_results=max_results,
            page_token=page_token,
            min_step=low,
            max_step=high,
        )

    # Artifacts -----------------------------------------------------------------------------

    def log_artifact(self, run_id: str, local_path: str | Path, name: str | None = None) -> str:
        return self.artifacts.log_path(self.get_run(run_id).artifact_uri, local_path, name)

    def upload_artifact(self, run_id: str, path: str, data: bytes) -> str:
        return self.artifacts.write_bytes(self.get_run(run_id).artifact_uri, path, data)

    def list_artifacts(self, run_id: str, path: str = "") -> list[ArtifactInfo]:
        return self.artifacts.list(self.get_run(run_id).artifact_uri, path)

    def open_artifact(self, run_id: str, path: str) -> tuple[IO[bytes], int | None]:
        return self.artifacts.open(self.get_run(run_id).artifact_uri, path)

    def download_artifacts(self, run_id: str, path: str, destination: str | Path) -> Path:
        return self.artifacts.download(self.get_run(run_id).artifact_uri, path, destination)


def _checked_metrics(
    metrics: Sequence[tuple[str, float, int, int]],
) -> list[tuple[str, float, int, int]]:
    checked = []
    for key, value, step, stamp in metrics:
        validate_key(key, "metric")
        checked.append(
            (key, metric_value(value, key), metric_step(step, key), metric_timestamp(stamp, key))
        )
    return checked
