"""Row-level SQL shared by the store's methods: reading runs whole, writing params, tags and
metric points, deleting runs. Every function works inside the caller's session."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from sqlalchemy import and_, case, delete, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from studio.errors import Conflict
from studio.tracking.entities import (
    Experiment,
    MetricSummary,
    RunRecord,
    RunStatus,
    float_or_nan,
)
from studio.tracking.orm import (
    SqlBatchReceipt,
    SqlExperiment,
    SqlMetricSummary,
    SqlParam,
    SqlRun,
    SqlTag,
)
from studio.tracking.series import store as series_store
from studio.tracking.series.store import Owner

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.orm import Session

# (run_id, key, value, step, timestamp): the shape the batching writer hands over.
MetricRow = tuple[str, str, float, int, int]


def experiment(
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


def hydrate(session: Session, rows: Sequence[SqlRun]) -> list[RunRecord]:
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


def write_params(session: Session, run_id: str, params: Mapping[str, str]) -> None:
    """Params are immutable, as in MLflow: the same value again is fine, another is not.

    Insert first, skipping keys already stored, then compare: a check before the insert
    would let two processes logging the same param at once both see nothing, and the second
    insert would fail on the primary key although the values agree.
    """
    if not params:
        return
    dialect = session.connection().dialect.name
    upsert = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(SqlParam)
    session.execute(
        upsert.on_conflict_do_nothing(index_elements=[SqlParam.run_id, SqlParam.key]),
        [{"run_id": run_id, "key": k, "value": v} for k, v in params.items()],
    )
    stored = session.execute(
        select(SqlParam.key, SqlParam.value).where(
            SqlParam.run_id == run_id, SqlParam.key.in_(list(params))
        )
    ).all()
    for key, value in stored:
        if value != params[key]:
            raise Conflict(
                f"Param {key!r} of run {run_id} is already {value!r}; params cannot "
                f"change (tried {params[key]!r}). Log it under another key, or use a tag."
            )


def write_tags(session: Session, run_id: str, tags: Mapping[str, str]) -> None:
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


def write_metrics(session: Session, rows: Sequence[MetricRow]) -> None:
    """Append points to their (run, key) series and bring each touched summary up to date."""
    if not rows:
        return
    # Columns through map and fromiter, then numpy per series: no Python work per point,
    # and no object allocated per point (which would wake the garbage collector over a
    # notebook's whole heap, again and again).
    count = len(rows)
    run_ids, keys = list(map(itemgetter(0), rows)), list(map(itemgetter(1), rows))
    values = np.fromiter(map(itemgetter(2), rows), np.float64, count)
    steps = np.fromiter(map(itemgetter(3), rows), np.int64, count)
    stamps = np.fromiter(map(itemgetter(4), rows), np.int64, count)
    groups = _series_groups(run_ids, keys)
    batch: dict[tuple[str, str], list[Any]] = {}
    # Sorted, so that two transactions appending to the same series lock them in one order.
    for run_id, key in sorted(groups):
        part = groups[(run_id, key)]
        series_store.intern_and_append(
            session,
            Owner.run(run_id),
            key,
            series_store.METRIC,
            steps[part],
            stamps[part],
            values[part],
        )
        batch[(run_id, key)] = _summary(steps[part], stamps[part], values[part])
    merge_summaries(session, batch)


def _series_groups(
    run_ids: list[str], keys: list[str]
) -> dict[tuple[str, str], slice | np.ndarray]:
    """The rows of each (run, key), in arrival order: a slice of all when there is one."""
    if run_ids.count(run_ids[0]) == len(run_ids) and keys.count(keys[0]) == len(keys):
        return {(run_ids[0], keys[0]): slice(None)}
    runs, names = list(dict.fromkeys(run_ids)), list(dict.fromkeys(keys))
    run_code = {run: code for code, run in enumerate(runs)}
    key_code = {key: code for code, key in enumerate(names)}
    labels = np.fromiter(map(run_code.__getitem__, run_ids), np.intp, len(run_ids)) * len(
        names
    ) + np.fromiter(map(key_code.__getitem__, keys), np.intp, len(keys))
    order = np.argsort(labels, kind="stable")
    cuts = np.flatnonzero(np.diff(labels[order])) + 1
    groups: dict[tuple[str, str], slice | np.ndarray] = {}
    for part in np.split(order, cuts):
        run, key = divmod(int(labels[part[0]]), len(names))
        groups[(runs[run], names[key])] = part
    return groups


def _summary(steps: np.ndarray, stamps: np.ndarray, values: np.ndarray) -> list[Any]:
    """[last value, its step, its timestamp, min, max, count] of one series' new points: the
    last is the highest (step, timestamp), the latest logged among equals; NaN is neither a
    minimum nor a maximum (None where every value is NaN)."""
    highest = np.flatnonzero(steps == steps.max())
    latest = highest[stamps[highest] == stamps[highest].max()][-1]
    finite = values[~np.isnan(values)]
    low, high = (float(finite.min()), float(finite.max())) if len(finite) else (None, None)
    return [float(values[latest]), int(steps[latest]), int(stamps[latest]), low, high, len(steps)]


def merge_summaries(session: Session, batch: dict[tuple[str, str], list[Any]]) -> None:
    """Upsert the batch's per-key aggregates in one statement.

    INSERT ... ON CONFLICT DO UPDATE is atomic on both SQLite and PostgreSQL, so two
    processes logging the same run's metric at once cannot lose an update or collide.
    """
    rows = [
        {
            "run_id": run_id,
            "key": key,
            "last_value": or_none(value),
            "last_step": step,
            "last_timestamp": stamp,
            "min_value": low,
            "max_value": high,
            "count": count,
        }
        for (run_id, key), (value, step, stamp, low, high, count) in batch.items()
    ]
    connection = session.connection()
    dialect = connection.dialect.name
    # A Core statement on the connection: the ORM's bulk machinery costs more than the SQL.
    table = cast("Table", SqlMetricSummary.__table__)
    upsert = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(table)
    old, new = table.c, upsert.excluded
    newer = or_(
        new.last_step > old.last_step,
        and_(new.last_step == old.last_step, new.last_timestamp >= old.last_timestamp),
    )
    connection.execute(
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


def claim_batch(session: Session, batch_id: str, run_id: str, stamp: int) -> bool:
    """Record batch `batch_id` as applied; False when it already was (a retry).

    One INSERT ... ON CONFLICT DO NOTHING on the primary key, in the batch's transaction: of
    two copies arriving at once, the second waits for the first and finds its row, and a
    batch that fails leaves no receipt behind.
    """
    dialect = session.connection().dialect.name
    claim = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(SqlBatchReceipt)
    inserted = session.scalar(
        claim.values(batch_id=batch_id, run_id=run_id, received_at=stamp)
        .on_conflict_do_nothing(index_elements=[SqlBatchReceipt.batch_id])
        .returning(SqlBatchReceipt.batch_id)
    )
    if inserted is not None:
        return True
    owner = session.scalar(
        select(SqlBatchReceipt.run_id).where(SqlBatchReceipt.batch_id == batch_id)
    )
    if owner != run_id:
        raise Conflict(f"Batch id {batch_id!r} was already used for another run.")
    return False


def placeholder(session: Session) -> str:
    return "?" if session.connection().dialect.paramstyle == "qmark" else "%s"


def driver_fetchall(session: Session, sql: str, params: tuple[Any, ...]) -> list[Any]:
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(sql.format(p=placeholder(session)), params)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def or_none(value: float) -> float | None:
    return None if math.isnan(value) else value


def descendants(session: Session, run_id: str) -> list[str]:
    found, frontier = [run_id], [run_id]
    while frontier:
        frontier = list(
            session.scalars(select(SqlRun.id).where(SqlRun.parent_run_id.in_(frontier)))
        )
        found.extend(frontier)
    return found


def delete_run_rows(session: Session, run_ids: Iterable[str] | Any) -> None:
    """Delete runs and their rows; `run_ids` is a list of ids or a subquery selecting them."""
    # Explicit deletes rather than ON DELETE CASCADE alone: SQLite only cascades with the
    # foreign_keys pragma, and a store opened by another tool may not have it on. Series
    # have no foreign key at all (their owner may be another package's).
    series_store.delete_owned(session, series_store.RUN, run_ids)
    for table in (SqlMetricSummary, SqlParam, SqlTag, SqlBatchReceipt):
        session.execute(delete(table).where(table.run_id.in_(run_ids)))
    # Parent links among the deleted runs go first, so no row points at one already gone.
    session.execute(update(SqlRun).where(SqlRun.id.in_(run_ids)).values(parent_run_id=None))
    session.execute(delete(SqlRun).where(SqlRun.id.in_(run_ids)))
