"""One page of a run search, read in its order: along a metric's index where that pays.

Ordering a table of 100,000 runs by `metrics.accuracy` the plain way joins every run in scope
to its metric summary and sorts them all, about half a second, for a page of 100. The index
on metric_summaries (key, last_value, run_id) already holds the runs in the metric's order,
so a page near the start is read along it instead: each entry is checked against the page's
conditions (experiment, tree level, filter), and the walk stops once the page is full.

The order is exactly `search.apply_order`'s: the runs with a value first, ties broken by the
newest start then the run id; then the runs without one (never logged, or a last value of NaN,
which is stored as NULL), newest first. Those come from a second query, only for a page that
reaches past the runs with a value.

Runs of other experiments share the index and are walked past, and an offset is walked to, so
the walk is taken only when it reads fewer entries than the plain query reads runs
(`_worth_walking`, from two counts that covering indexes answer).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import aliased

from studio.tracking.orm import SqlMetricSummary, SqlRun
from studio.tracking.search import apply_order, parse_order_clause

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement
    from sqlalchemy.orm import Session


def read_page(
    session: Session,
    conditions: Sequence[ColumnElement[bool]],
    scope: Sequence[ColumnElement[bool]],
    order_by: Sequence[str] | None,
    start: int,
    size: int,
) -> list[SqlRun]:
    """`size` runs matching `conditions` in `order_by`'s order, from offset `start`.

    `scope` is the part of `conditions` that an index on runs answers (experiments and tree
    level, no filter): it sizes the search for the choice of plan."""
    metric = _metric_order(order_by)
    if metric is not None and _worth_walking(session, scope, metric[0], start + size):
        ids = _walk_metric(session, conditions, *metric, start, size)
    else:
        query = select(SqlRun.id).where(*conditions)
        query = apply_order(query, list(order_by or [])).offset(start).limit(size)
        ids = list(session.scalars(query))
    # The order and the offset are worked out on ids alone, which indexes cover; whole rows
    # are read for the page only.
    rows = {row.id: row for row in session.scalars(select(SqlRun).where(SqlRun.id.in_(ids)))}
    return [rows[run_id] for run_id in ids if run_id in rows]


def _metric_order(order_by: Sequence[str] | None) -> tuple[str, bool] | None:
    """(key, descending) when the search is ordered by one metric alone."""
    if not order_by or len(order_by) != 1:
        return None
    identifier, descending = parse_order_clause(order_by[0])
    return (identifier.key, descending) if identifier.entity == "metrics" else None


def _worth_walking(
    session: Session, scope: Sequence[ColumnElement[bool]], key: str, rows: int
) -> bool:
    """Whether reading `rows` runs along the metric's index beats sorting the runs in scope.

    The walk reads about `rows` * (entries of the key) / (runs in scope) entries, if the runs
    in scope are spread evenly through the index; the plain query reads every run in scope."""
    in_scope = session.scalar(select(func.count()).select_from(SqlRun).where(*scope)) or 0
    entries = (
        session.scalar(
            select(func.count()).select_from(SqlMetricSummary).where(SqlMetricSummary.key == key)
        )
        or 0
    )
    return in_scope > 0 and rows * entries <= in_scope * in_scope


def _walk_metric(
    session: Session,
    conditions: Sequence[ColumnElement[bool]],
    key: str,
    descending: bool,
    start: int,
    size: int,
) -> list[str]:
    # An alias, so that a filter's own subqueries on metric_summaries stay apart from it.
    summary = aliased(SqlMetricSummary, name="sort_summary")
    value = summary.last_value
    valued = and_(summary.run_id == SqlRun.id, summary.key == key, value.is_not(None))
    ties: tuple[Any, ...] = (SqlRun.start_time.desc(), SqlRun.id)
    head = (
        select(SqlRun.id)
        .join(summary, valued)
        .where(*conditions)
        .order_by(value.desc() if descending else value.asc(), *ties)
        .offset(start)
        .limit(size)
    )
    ids = list(session.scalars(head))
    if len(ids) == size:
        return ids
    if ids or start == 0:
        with_value = start + len(ids)
    else:
        counted = select(func.count()).select_from(SqlRun).join(summary, valued)
        with_value = session.scalar(counted.where(*conditions)) or 0
    tail = (
        select(SqlRun.id)
        .where(*conditions, ~exists().where(valued))
        .order_by(*ties)
        .offset(max(start - with_value, 0))
        .limit(size - len(ids))
    )
    return ids + list(session.scalars(tail))
