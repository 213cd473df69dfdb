"""The SQL store of experiment tracking: the only code that reads or writes its tables."""

from __future__ import annotations

import base64
import binascii
import json
import math
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import and_, case, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from studio.errors import Conflict, InvalidInput, NotFound
from studio.tracking.downsample import min_max_indices
from studio.tracking.entities import (
    Experiment,
    MetricHistory,
    MetricSummary,
    RunPage,
    RunRecord,
    RunStatus,
    float_or_nan,
)
from studio.tracking.orm import (
    SqlExperiment,
    SqlMetric,
    SqlMetricSummary,
    SqlParam,
    SqlRun,
    SqlTag,
)
from studio.tracking.search import apply_order, parse_filter
from studio.tracking.validation import validate_name, validate_run_id

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from studio.db.engine import Database

# (run_id, key, value, step, timestamp): the shape the batching writer hands over.
MetricRow = tuple[str, str, float, int, int]
MAX_SEARCH_RESULTS = 50_000
MAX_OFFSET = 2**31
DEFAULT_EXPERIMENT = "Default"


def now_ms() -> int:
    return int(time.time() * 1000)


class TrackingStore:
    """Experiments, runs, params, tags and metrics in one SQL database."""

    def __init__(self, database: Database, artifact_root: str) -> None:
        self.db = database
        self.artifact_root = artifact_root.rstrip("/")

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
            return _experiment(row)

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
        conditions: list[Any] = []
        if not include_archived:
            conditions.append(SqlExperiment.archived.is_(False))
        if name_contains:
            conditions.append(
                func.lower(SqlExperiment.name).contains(name_contains.lower(), autoescape=True)
            )
        with self.db.session() as session:
            return self._experiments(session, conditions, required=False)

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
            _delete_run_rows(session, run_ids)
            session.execute(delete(SqlExperiment).where(SqlExperiment.id == experiment_id))
            return uris

    def _experiments(
        self, session: Session, conditions: list[Any], *, required: bool = True
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
        )
        found = [
            _experiment(row, run_count or 0, last_run_at)
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
        start = start_time or now_ms()
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
                    name=name or _default_run_name(run_id),
                    status=status.value,
                    start_time=start,
                    end_time=end_time
                    if end_time is not None
                    else (now_ms() if status.is_terminal else None),
                    parent_run_id=parent_run_id,
                    source=source,
                    artifact_uri=f"{self.artifact_root}/{experiment_id}/{run_id}/artifacts",
                )
            )
            session.flush()
            _write_params(session, run_id, params or {})
            _write_tags(session, run_id, tags or {})
            _write_metrics(session, [(run_id, k, v, s, t) for k, v, s, t in metrics])
        return self.get_run(run_id)

    def get_run(self, run_id: str) -> RunRecord:
        with self.db.session() as session:
            row = session.get(SqlRun, run_id)
            if row is None:
                raise NotFound(f"No run has id {run_id!r}.")
            return _hydrate(session, [row])[0]

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
                    row.end_time = end_time or row.end_time or now_ms()
                else:
                    row.end_time = None
        return self.get_run(run_id)

    def delete_run(self, run_id: str) -> list[str]:
        """Delete a run and its child runs; returns their artifact URIs."""
        with self.db.session(write=True) as session:
            if session.get(SqlRun, run_id) is None:
                raise NotFound(f"No run has id {run_id!r}.")
            ids = _descendants(session, run_id)
            uris = list(session.scalars(select(SqlRun.artifact_uri).where(SqlRun.id.in_(ids))))
            _delete_run_rows(session, ids)
            return uris

    def search_runs(
        self,
        experiment_ids: Sequence[int] | None = None,
        *,
        filter: str | None = None,
        order_by: Sequence[str] | None = None,
        max_results: int = 1000,
        page_token: str | None = None,
        parent_run_id: str | None = None,
    ) -> RunPage:
        if not 1 <= max_results <= MAX_SEARCH_RESULTS:
            raise InvalidInput(f"max_results must be between 1 and {MAX_SEARCH_RESULTS}.")
        offset = _decode_page_token(page_token)
        condition = parse_filter(filter)
        query = select(SqlRun)
        if experiment_ids is not None:
            query = query.where(SqlRun.experiment_id.in_(list(experiment_ids)))
        if parent_run_id is not None:
            query = query.where(SqlRun.parent_run_id == parent_run_id)
        if condition is not None:
            query = query.where(condition)
        query = apply_order(query, list(order_by or [])).offset(offset).limit(max_results + 1)
        with self.db.session() as session:
            rows = list(session.scalars(query))
            more = len(rows) > max_results
            runs = _hydrate(session, rows[:max_results])
        token = _encode_page_token(offset + max_results) if more else None
        return RunPage(runs=runs, next_page_token=token)

    def count_runs(self, experiment_id: int, filter: str | None = None) -> int:
        condition = parse_filter(filter)
        query = select(func.count(SqlRun.id)).where(SqlRun.experiment_id == experiment_id)
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
    ) -> None:
        """Write params, tags and metric points of one run atomically: all or nothing."""
        with self.db.session(write=True) as session:
            if session.get(SqlRun, run_id) is None:
                raise NotFound(f"No run has id {run_id!r}.")
            _write_params(session, run_id, params or {})
            _write_tags(session, run_id, tags or {})
            _write_metrics(session, [(run_id, k, v, s, t) for k, v, s, t in metrics])

    def write_metrics(self, rows: Sequence[MetricRow]) -> None:
        """The batching writer's path: points of any number of runs in one transaction."""
        if not rows:
            return
        with self.db.session(write=True) as session:
            run_ids = {row[0] for row in rows}
            found = set(session.scalars(select(SqlRun.id).where(SqlRun.id.in_(run_ids))))
            missing = run_ids - found
            if missing:
                raise NotFound(f"No run has id {sorted(missing)[0]!r}.")
            _write_metrics(session, rows)

    def get_metric_history(
        self, run_id: str, key: str, max_points: int | None = None
    ) -> MetricHistory:
        """A metric's points in step order; with `max_points`, downsampled keeping extremes."""
        if max_points is not None and max_points < 2:
            raise InvalidInput("max_points must be at least 2.")
        with self.db.session() as session:
            if session.get(SqlRun, run_id) is None:
                raise NotFound(f"No run has id {run_id!r}.")
            # Straight from the driver's cursor: SQLAlchemy's Row objects would triple the
            # time of a 100,000-point history. The covering index yields the step order.
            rows = _driver_fetchall(
                session,
                "SELECT step, timestamp, value FROM metrics WHERE run_id = {p} AND key = {p} "
                "ORDER BY step, timestamp",
                (run_id, key),
            )
        total = len(rows)
        if total == 0:
            return MetricHistory(key, [], [], [], 0, False)
        if max_points is None or total <= max_points:
            return MetricHistory(
                key,
                [row[0] for row in rows],
                [row[1] for row in rows],
                [float_or_nan(row[2]) for row in rows],
                total,
                False,
            )
        values = np.array([row[2] for row in rows], dtype=np.float64)  # None becomes NaN
        keep = min_max_indices(values, max_points).tolist()
        return MetricHistory(
            key,
            [rows[i][0] for i in keep],
            [rows[i][1] for i in keep],
            values[keep].tolist(),
            total,
            True,
        )


# Row conversion and writes: module functions so that every store method shares them. -------


def _experiment(
    row: SqlExperiment, run_count: int = 0, last_run_at: int | None = None
) -> Experiment:
    return Experiment(
        id=row.id,
        name=row.name,
        description=row.description or "",
        tags=dict(row.tags or {}),
        archived=bool(row.archived),
        created_at=row.created_at,
        updated_at=row.updated_at,
        run_count=run_count,
        last_run_at=last_run_at,
    )


def _hydrate(session: Session, rows: Sequence[SqlRun]) -> list[RunRecord]:
    """Runs with their params, tags and metric summaries: three queries for any page size."""
    ids = [row.id for row in rows]
    params: dict[str, dict[str, str]] = {run_id: {} for run_id in ids}
    tags: dict[str, dict[str, str]] = {run_id: {} for run_id in ids}
    metrics: dict[str, dict[str, MetricSummary]] = {run_id: {} for run_id in ids}
    if ids:
        for run_id, key, value in session.execute(
            select(SqlParam.run_id, SqlParam.key, SqlParam.value).where(SqlParam.run_id.in_(ids))
        ):
            params[run_id][key] = value
        for run_id, key, value in session.execute(
            select(SqlTag.run_id, SqlTag.key, SqlTag.value).where(SqlTag.run_id.in_(ids))
        ):
            tags[run_id][key] = value
        for summary in session.scalars(
            select(SqlMetricSummary).where(SqlMetricSummary.run_id.in_(ids))
        ):
            metrics[summary.run_id][summary.key] = MetricSummary(
                key=summary.key,
                last=float_or_nan(summary.last_value),
                last_step=summary.last_step,
                last_timestamp=summary.last_timestamp,
                min=float_or_nan(summary.min_value),
                max=float_or_nan(summary.max_value),
                count=summary.count,
            )
    return [
        RunRecord(
            id=row.id,
            experiment_id=row.experiment_id,
            name=row.name,
            status=RunStatus(row.status),
            start_time=row.start_time,
            end_time=row.end_time,
            parent_run_id=row.parent_run_id,
            source=row.source,
            artifact_uri=row.artifact_uri,
            params=params[row.id],
            tags=tags[row.id],
            metrics=metrics[row.id],
        )
        for row in rows
    ]


def _write_params(session: Session, run_id: str, params: Mapping[str, str]) -> None:
    """Params are immutable, as in MLflow: the same value again is fine, another is not."""
    if not params:
        return
    stored = dict(
        session.execute(
            select(SqlParam.key, SqlParam.value).where(
                SqlParam.run_id == run_id, SqlParam.key.in_(list(params))
            )
        ).all()
    )
    for key, value in params.items():
        if key in stored and stored[key] != value:
            raise Conflict(
                f"Param {key!r} of run {run_id} is already {stored[key]!r}; params cannot "
                f"change (tried {value!r}). Log it under another key, or use a tag."
            )
    new = [{"run_id": run_id, "key": k, "value": v} for k, v in params.items() if k not in stored]
    if new:
        session.execute(insert(SqlParam), new)


def _write_tags(session: Session, run_id: str, tags: Mapping[str, str]) -> None:
    if not tags:
        return
    stored = set(
        session.scalars(
            select(SqlTag.key).where(SqlTag.run_id == run_id, SqlTag.key.in_(list(tags)))
        )
    )
    for key in stored:
        session.execute(
            update(SqlTag).where(SqlTag.run_id == run_id, SqlTag.key == key).values(value=tags[key])
        )
    new = [{"run_id": run_id, "key": k, "value": v} for k, v in tags.items() if k not in stored]
    if new:
        session.execute(insert(SqlTag), new)


def _write_metrics(session: Session, rows: Sequence[MetricRow]) -> None:
    """Insert points and bring each touched (run, key) summary up to date."""
    if not rows:
        return
    # The writer's tuples already have the column order, so they go to the driver's
    # executemany untouched: no per-point objects. SQLite stores NaN as NULL by itself.
    placeholders = ", ".join([_placeholder(session)] * 5)
    session.connection().exec_driver_sql(
        f"INSERT INTO metrics (run_id, key, value, step, timestamp) VALUES ({placeholders})",
        list(rows),
    )
    batch: dict[tuple[str, str], list[Any]] = {}
    for run_id, key, value, step, stamp in rows:
        entry = batch.get((run_id, key))
        if entry is None:
            batch[(run_id, key)] = [value, step, stamp, _or_none(value), _or_none(value), 1]
            continue
        if (step, stamp) >= (entry[1], entry[2]):
            entry[0], entry[1], entry[2] = value, step, stamp
        if value == value:  # NaN is neither a minimum nor a maximum
            entry[3] = value if entry[3] is None else min(entry[3], value)
            entry[4] = value if entry[4] is None else max(entry[4], value)
        entry[5] += 1
    _merge_summaries(session, batch)


def _merge_summaries(session: Session, batch: dict[tuple[str, str], list[Any]]) -> None:
    """Upsert the batch's per-key aggregates in one statement.

    INSERT ... ON CONFLICT DO UPDATE is atomic on both SQLite and PostgreSQL, so two
    processes logging the same run's metric at once cannot lose an update or collide.
    """
    rows = [
        {
            "run_id": run_id,
            "key": key,
            "last_value": _or_none(value),
            "last_step": step,
            "last_timestamp": stamp,
            "min_value": low,
            "max_value": high,
            "count": count,
        }
        for (run_id, key), (value, step, stamp, low, high, count) in batch.items()
    ]
    dialect = session.connection().dialect.name
    upsert = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(SqlMetricSummary)
    old, new = SqlMetricSummary, upsert.excluded
    newer = or_(
        new.last_step > old.last_step,
        and_(new.last_step == old.last_step, new.last_timestamp >= old.last_timestamp),
    )
    session.execute(
        upsert.on_conflict_do_update(
            index_elements=[old.run_id, old.key],
            set_={
                "last_value": case((newer, new.last_value), else_=old.last_value),
                "last_step": case((newer, new.last_step), else_=old.last_step),
                "last_timestamp": case((newer, new.last_timestamp), else_=old.last_timestamp),
                # NULL (all NaN so far) never wins against a number.
                "min_value": case(
                    (or_(old.min_value.is_(None), new.min_value < old.min_value), new.min_value),
                    else_=old.min_value,
                ),
                "max_value": case(
                    (or_(old.max_value.is_(None), new.max_value > old.max_value), new.max_value),
                    else_=old.max_value,
                ),
                "count": old.count + new.count,
            },
        ),
        rows,
    )


def _placeholder(session: Session) -> str:
    return "?" if session.connection().dialect.paramstyle == "qmark" else "%s"


def _driver_fetchall(session: Session, sql: str, params: tuple[Any, ...]) -> list[Any]:
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(sql.format(p=_placeholder(session)), params)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _or_none(value: float) -> float | None:
    return None if math.isnan(value) else value


def _descendants(session: Session, run_id: str) -> list[str]:
    found, frontier = [run_id], [run_id]
    while frontier:
        frontier = list(
            session.scalars(select(SqlRun.id).where(SqlRun.parent_run_id.in_(frontier)))
        )
        found.extend(frontier)
    return found


def _delete_run_rows(session: Session, run_ids: Iterable[str] | Any) -> None:
    # Explicit deletes rather than ON DELETE CASCADE alone: SQLite only cascades with the
    # foreign_keys pragma, and a store opened by another tool may not have it on.
    ids = run_ids if not isinstance(run_ids, list) else list(run_ids)
    for table in (SqlMetric, SqlMetricSummary, SqlParam, SqlTag):
        session.execute(delete(table).where(table.run_id.in_(ids)))
    # Children first: a parent cannot go while a child still points at it.
    session.execute(update(SqlRun).where(SqlRun.id.in_(ids)).values(parent_run_id=None))
    session.execute(delete(SqlRun).where(SqlRun.id.in_(ids)))


def _default_run_name(run_id: str) -> str:
    return f"run-{run_id[:8]}"


def _encode_page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _decode_page_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise InvalidInput(f"Invalid page_token {token!r}.") from exc
    if type(offset) is not int or not 0 <= offset <= MAX_OFFSET:
        raise InvalidInput(f"Invalid page_token {token!r}.")
    return offset
