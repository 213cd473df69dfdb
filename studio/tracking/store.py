"""The SQL store of experiment tracking: the only code that reads or writes its tables."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select

from studio import features
from studio.errors import Conflict, InvalidInput, NotFound
from studio.tracking import search_tree, store_history
from studio.tracking import store_rows as sql_rows
from studio.tracking.entities import (
    Experiment,
    ExperimentPage,
    MetricHistory,
    RunPage,
    RunRecord,
    RunStatus,
)
from studio.tracking.orm import (
    SqlBatchReceipt,
    SqlExperiment,
    SqlRun,
)
from studio.tracking.paging import decode_offset_token, encode_offset_token, start_offset
from studio.tracking.search import ATTRIBUTES, check_order_by, parse_filter
from studio.tracking.search_page import read_page
from studio.tracking.validation import (
    MAX_SEARCH_EXPERIMENTS,
    MAX_SEARCH_RESULTS,
    validate_name,
    validate_run_id,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from studio.db.engine import Database
    from studio.features import RunsDeletedHook
    from studio.tracking.store_rows import MetricRow

# Batch ids are kept at least this long (a client retries within minutes), and pruned at
# most once per interval per store, by whichever batch comes first.
BATCH_RECEIPT_KEEP_MS = 2 * 24 * 3600 * 1000
BATCH_RECEIPT_PRUNE_INTERVAL_S = 3600.0
DEFAULT_EXPERIMENT = "Default"


def now_ms() -> int:
    return int(time.time() * 1000)


class TrackingStore:
    """Experiments, runs, params, tags and metrics in one SQL database."""

    def __init__(
        self,
        database: Database,
        artifact_root: str,
        *,
        on_runs_deleted: RunsDeletedHook = features.runs_deleted,
    ) -> None:
        """`on_runs_deleted` runs inside the deleting transaction, before the runs' own rows
        go: by default every feature package's hook (see `studio.features`)."""
        self.db = database
        self.artifact_root = artifact_root.rstrip("/")
        self._on_runs_deleted = on_runs_deleted
        self._receipts_pruned_at: float | None = None

    # Experiments ---------------------------------------------------------------------------

    def create_experiment(
        self, name: str, description: str = "", tags: Mapping[str, str] | None = None
    ) -> Experiment:
        name = validate_name(name, "experiment")
        stamp = now_ms()
        with self.db.session(write=True) as session:
            if session.scalar(select(SqlExperiment.id).where(SqlExperiment.name == name)):
                raise Conflict(f"An experiment named {name!r} already exists.")
            row = SqlExperiment(
                name=name,
                description=description,
                tags=dict(tags or {}),
                archived=False,
                created_at=stamp,
                updated_at=stamp,
            )
            session.add(row)
            session.flush()
            return sql_rows.experiment(row)

    def get_experiment(self, experiment_id: int) -> Experiment:
        with self.db.session() as session:
            return self._experiments(session, [SqlExperiment.id == experiment_id])[0]

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        with self.db.session() as session:
            found = self._experiments(session, [SqlExperiment.name == name], required=False)
            return found[0] if found else None

    def get_or_create_experiment(self, name: str) -> Experiment:
        existing = self.get_experiment_by_name(name)
        if existing is not None:
            return existing
        try:
            return self.create_experiment(name)
        except Conflict:  # another process created it a moment ago
            created = self.get_experiment_by_name(name)
            if created is None:
                raise
            return created

    def list_experiments(
        self, *, include_archived: bool = False, name_contains: str | None = None
    ) -> list[Experiment]:
        """Experiments with their run counts, the most recently active first."""
        conditions = _experiment_conditions(include_archived, name_contains)
        with self.db.session() as session:
            return self._experiments(session, conditions, required=False)

    def list_experiment_page(
        self,
        *,
        include_archived: bool = False,
        name_contains: str | None = None,
        max_results: int = 1000,
        page_token: str | None = None,
    ) -> ExperimentPage:
        """One page of `list_experiments`, in the same order; offsets, as runs' pages."""
        if max_results < 1:
            raise InvalidInput("max_results must be at least 1.")
        offset = decode_offset_token(page_token)
        conditions = _experiment_conditions(include_archived, name_contains)
        with self.db.session() as session:
            found = self._experiments(
                session, conditions, required=False, offset=offset, limit=max_results + 1
            )
        more = len(found) > max_results
        token = encode_offset_token(offset + max_results) if more else None
        return ExperimentPage(found[:max_results], token)

    def update_experiment(
        self,
        experiment_id: int,
        *,
        name: str | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        archived: bool | None = None,
    ) -> Experiment:
        with self.db.session(write=True) as session:
            row = session.get(SqlExperiment, experiment_id)
            if row is None:
                raise NotFound(f"No experiment has id {experiment_id}.")
            if name is not None:
                name = validate_name(name, "experiment")
                clash = session.scalar(
                    select(SqlExperiment.id).where(
                        SqlExperiment.name == name, SqlExperiment.id != experiment_id
                    )
                )
                if clash is not None:
                    raise Conflict(f"An experiment named {name!r} already exists.")
                row.name = name
            if description is not None:
                row.description = description
            if tags is not None:
                row.tags = {**row.tags, **tags}
            if archived is not None:
                row.archived = archived
            row.updated_at = now_ms()
        return self.get_experiment(experiment_id)

    def delete_experiment(self, experiment_id: int) -> list[str]:
        """Delete an experiment and all its runs; returns the deleted runs' artifact URIs."""
        with self.db.session(write=True) as session:
            if session.get(SqlExperiment, experiment_id) is None:
                raise NotFound(f"No experiment has id {experiment_id}.")
            uris = list(
                session.scalars(
                    select(SqlRun.artifact_uri).where(SqlRun.experiment_id == experiment_id)
                )
            )
            run_ids = select(SqlRun.id).where(SqlRun.experiment_id == experiment_id)
            self._on_runs_deleted(session, run_ids)
            sql_rows.delete_run_rows(session, run_ids)
            session.execute(delete(SqlExperiment).where(SqlExperiment.id == experiment_id))
            return uris

    def _experiments(
        self,
        session: Session,
        conditions: list[Any],
        *,
        required: bool = True,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[Experiment]:
        counts = (
            select(
                SqlRun.experiment_id.label("experiment_id"),
                func.count(SqlRun.id).label("run_count"),
                func.max(SqlRun.start_time).label("last_run_at"),
            )
            .group_by(SqlRun.experiment_id)
            .subquery()
        )
        query = (
            select(SqlExperiment, counts.c.run_count, counts.c.last_run_at)
            .outerjoin(counts, counts.c.experiment_id == SqlExperiment.id)
            .where(*conditions)
            .order_by(
                func.coalesce(counts.c.last_run_at, SqlExperiment.created_at).desc(),
                SqlExperiment.id.desc(),
            )
            .offset(offset)
            .limit(limit)
        )
        found = [
            sql_rows.experiment(row, run_count or 0, last_run_at)
            for row, run_count, last_run_at in session.execute(query)
        ]
        if required and not found:
            raise NotFound("No such experiment.")
        return found

    # Runs ----------------------------------------------------------------------------------

    def create_run(
        self,
        experiment_id: int,
        *,
        name: str | None = None,
        run_id: str | None = None,
        parent_run_id: str | None = None,
        source: str | None = None,
        params: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
        metrics: Sequence[tuple[str, float, int, int]] = (),
        status: RunStatus = RunStatus.RUNNING,
        start_time: int | None = None,
        end_time: int | None = None,
    ) -> RunRecord:
        """Create a run, optionally with its params, tags and metrics in the same transaction
        (autolog writes a whole finished child run at once)."""
        run_id = uuid.uuid4().hex if run_id is None else validate_run_id(run_id)
        start = now_ms() if start_time is None else start_time  # 0 is a time, not "now"
        _check_end_after_start(start, end_time)
        if end_time is None and status.is_terminal:
            end_time = max(now_ms(), start)  # a start_time in the future ends no earlier
        with self.db.session(write=True) as session:
            if session.get(SqlExperiment, experiment_id) is None:
                raise NotFound(f"No experiment has id {experiment_id}.")
            if parent_run_id is not None and session.get(SqlRun, parent_run_id) is None:
                raise NotFound(f"The parent run {parent_run_id} does not exist.")
            if session.get(SqlRun, run_id) is not None:
                raise Conflict(f"A run with id {run_id} already exists.")
            session.add(
                SqlRun(
                    id=run_id,
                    experiment_id=experiment_id,
                    name=validate_name(name, "run") if name else _default_run_name(run_id),
                    status=status.value,
                    start_time=start,
                    end_time=end_time,
                    parent_run_id=parent_run_id,
                    source=source,
                    artifact_uri=f"{self.artifact_root}/{experiment_id}/{run_id}/artifacts",
                )
            )
            session.flush()
            sql_rows.write_params(session, run_id, params or {})
            sql_rows.write_tags(session, run_id, tags or {})
            sql_rows.write_metrics(session, [(run_id, k, v, s, t) for k, v, s, t in metrics])
        return self.get_run(run_id)

    def get_run(self, run_id: str) -> RunRecord:
        with self.db.session() as session:
            row = session.get(SqlRun, run_id)
            if row is None:
                raise NotFound(f"No run has id {run_id!r}.")
            return sql_rows.hydrate(session, [row])[0]

    def update_run(
        self,
        run_id: str,
        *,
        status: RunStatus | None = None,
        end_time: int | None = None,
        name: str | None = None,
    ) -> RunRecord:
        with self.db.session(write=True) as session:
            row = session.get(SqlRun, run_id)
            if row is None:
                raise NotFound(f"No run has id {run_id!r}.")
            if name is not None:
                row.name = validate_name(name, "run")
            if status is not None:
                row.status = status.value
                if status.is_terminal:
                    _check_end_after_start(row.start_time, end_time)
                    row.end_time = end_time or row.end_time or max(now_ms(), row.start_time)
                else:
                    row.end_time = None
        return self.get_run(run_id)

    def delete_run(self, run_id: str) -> list[str]:
        """Delete a run and its child runs; returns their artifact URIs."""
        with self.db.session(write=True) as session:
            if session.get(SqlRun, run_id) is None:
                raise NotFound(f"No run has id {run_id!r}.")
            ids = sql_rows.descendants(session, run_id)
            uris = list(session.scalars(select(SqlRun.artifact_uri).where(SqlRun.id.in_(ids))))
            self._on_runs_deleted(session, ids)
            sql_rows.delete_run_rows(session, ids)
            return uris

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
        """A page of runs; with `tree`, of one level of the run tree (see `search_tree`)."""
        if not 1 <= max_results <= MAX_SEARCH_RESULTS:
            raise InvalidInput(f"max_results must be between 1 and {MAX_SEARCH_RESULTS}.")
        if experiment_ids is not None and len(experiment_ids) > MAX_SEARCH_EXPERIMENTS:
            raise InvalidInput(
                f"A search covers at most {MAX_SEARCH_EXPERIMENTS} experiments; "
                f"{len(experiment_ids)} were given."
            )
        check_order_by(order_by)
        start = start_offset(page_token, offset)
        condition = parse_filter(filter)
        scope: list[Any] = []
        if experiment_ids is not None:
            scope.append(ATTRIBUTES["experiment_id"].in_(list(experiment_ids)))
        conditions = list(scope)
        shown = search_tree.shown_condition(scope, condition) if tree else None
        if tree or parent_run_id is not None:
            conditions.append(search_tree.level_condition(parent_run_id))
        if tree and shown is not None:
            conditions.append(shown)
        elif not tree and condition is not None:
            conditions.append(condition)
        with self.db.session() as session:
            rows = read_page(session, conditions, order_by, start, max_results + 1)
            more = len(rows) > max_results
            runs = sql_rows.hydrate(session, rows[:max_results])
            total = (
                session.scalar(select(func.count(SqlRun.id)).where(*conditions))
                if include_total
                else None
            )
            info = (
                search_tree.tree_info(session, [run.id for run in runs], condition, shown)
                if tree
                else None
            )
        token = encode_offset_token(start + max_results) if more else None
        return RunPage(runs=runs, next_page_token=token, total=total, tree=info)

    def count_runs(self, experiment_id: int, filter: str | None = None) -> int:
        condition = parse_filter(filter)
        query = select(func.count(SqlRun.id)).where(ATTRIBUTES["experiment_id"] == experiment_id)
        if condition is not None:
            query = query.where(condition)
        with self.db.session() as session:
            return int(session.scalar(query) or 0)

    # Logging -------------------------------------------------------------------------------

    def log_batch(
        self,
        run_id: str,
        *,
        metrics: Sequence[tuple[str, float, int, int]] = (),
        params: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
        batch_id: str | None = None,
    ) -> None:
        """Write params, tags and metric points of one run atomically: all or nothing.

        A batch with a `batch_id` is applied at most once: a retry of one already stored
        writes nothing and succeeds.
        """
        prune = batch_id is not None and self._prune_due()
        with self.db.session(write=True) as session:
            if session.get(SqlRun, run_id) is None:
                raise NotFound(f"No run has id {run_id!r}.")
            if prune:
                self._prune_receipts(session)
            if batch_id is not None and not sql_rows.claim_batch(
                session, batch_id, run_id, now_ms()
            ):
                return
            sql_rows.write_params(session, run_id, params or {})
            sql_rows.write_tags(session, run_id, tags or {})
            sql_rows.write_metrics(session, [(run_id, k, v, s, t) for k, v, s, t in metrics])

    def prune_batch_receipts(self, keep_ms: int = BATCH_RECEIPT_KEEP_MS) -> int:
        """Forget batch ids older than `keep_ms`; returns how many were forgotten."""
        with self.db.session(write=True) as session:
            return self._prune_receipts(session, keep_ms)

    def _prune_due(self) -> bool:
        last, now = self._receipts_pruned_at, time.monotonic()
        if last is not None and now - last < BATCH_RECEIPT_PRUNE_INTERVAL_S:
            return False
        self._receipts_pruned_at = now
        return True

    def _prune_receipts(self, session: Session, keep_ms: int = BATCH_RECEIPT_KEEP_MS) -> int:
        old = delete(SqlBatchReceipt).where(SqlBatchReceipt.received_at < now_ms() - keep_ms)
        return int(session.execute(old).rowcount)  # type: ignore[attr-defined]

    def write_metrics(self, rows: Sequence[MetricRow]) -> None:
        """The batching writer's path: points of any number of runs in one transaction."""
        if not rows:
            return
        with self.db.session(write=True) as session:
            run_ids = set(map(itemgetter(0), rows))
            # FOR KEY SHARE (PostgreSQL; SQLite's BEGIN IMMEDIATE already serializes): a run
            # deleted meanwhile waits for this commit, so a missing run is NotFound here, never
            # a foreign-key Conflict at the insert.
            found = set(
                session.scalars(
                    select(SqlRun.id)
                    .where(SqlRun.id.in_(run_ids))
                    .with_for_update(read=True, key_share=True)
                )
            )
            missing = run_ids - found
            if missing:
                raise NotFound(f"No run has id {sorted(missing)[0]!r}.")
            sql_rows.write_metrics(session, rows)

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
        """A metric's points with steps in [min_step, max_step] (None: open) in step order;
        with `max_points`, downsampled keeping extremes.

        Without `max_points`, `max_results` makes it one page of at most that many points,
        starting where `page_token` (the previous page's `next_page_token`) says.
        """
        if max_points is not None and max_points < 2:
            raise InvalidInput("max_points must be at least 2.")
        if max_points is None and max_results is not None and max_results < 1:
            raise InvalidInput("max_results must be at least 1.")
        with self.db.session() as session:
            if session.execute(select(SqlRun.id).where(SqlRun.id == run_id)).first() is None:
                raise NotFound(f"No run has id {run_id!r}.")
            if max_points is None and max_results is not None:
                return store_history.page(
                    session, run_id, key, max_results, page_token, min_step, max_step
                )
            return store_history.read(session, run_id, key, max_points, min_step, max_step)


def _experiment_conditions(include_archived: bool, name_contains: str | None) -> list[Any]:
    conditions: list[Any] = []
    if not include_archived:
        conditions.append(SqlExperiment.archived.is_(False))
    if name_contains:
        conditions.append(
            func.lower(SqlExperiment.name).contains(name_contains.lower(), autoescape=True)
        )
    return conditions


def _check_end_after_start(start_time: int, end_time: int | None) -> None:
    # The database's CHECK (ck_runs_end_after_start) would refuse it too, but as a conflict.
    if end_time is not None and end_time < start_time:
        raise InvalidInput(
            f"end_time ({end_time}) must not be before the run's start_time ({start_time})."
        )


def _default_run_name(run_id: str) -> str:
    return f"run-{run_id[:8]}"
