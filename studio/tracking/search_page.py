"""One page of a run search, read in its order: along a metric's index where that pays.

Ordering a table of 100,000 runs by `metrics.accuracy` the plain way joins every run in scope
to its metric summary and sorts them all, about half a second, for a page of 100. The index
on metric_summaries (key, last_value, run_id) already holds the runs in the metric's order,
so a page near the start is read along it instead: the first entries of the key in that
order, each checked against the page's conditions (experiment, tree level, filter).

The order is exactly `search.apply_order`'s: the runs with a value first, ties broken by the
newest start then the run id; then the runs without one (never logged, or a last value of NaN,
which is stored as NULL), newest first. Those come from a second query, only for a page that
reaches past the runs with a value.

Runs of other experiments share the index, and a filter may pass few runs, so the walk reads
a bounded number of entries (`WALK_ENTRIES_PER_ROW` per row up to the page's end). Where those
do not fill the page, up to a value that no entry left unread can tie, the plain query answers
instead: a small experiment among many runs of others costs a few milliseconds more, never a
walk through the whole index.
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

# Index entries the walk reads per row up to the end of its page: enough where the runs in
# scope hold a quarter of the key's entries or more.
WALK_ENTRIES_PER_ROW = 4
# Deeper pages read the plain way: a walk to them would read as much as the plain query.
MAX_WALK_ROWS = 10_000


def read_page(
    session: Session,
    conditions: Sequence[ColumnElement[bool]],
    order_by: Sequence[str] | None,
    start: int,
    size: int,
) -> list[SqlRun]:
    """`size` runs matching `conditions` in `order_by`'s order, from offset `start`."""
    ids: list[str] | None = None
    metric = _metric_order(order_by)
    if metric is not None and start + size <= MAX_WALK_ROWS:
        ids = _walk_metric(session, conditions, *metric, start, size)
    if ids is None:
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


def _walk_metric(
    session: Session,
    conditions: Sequence[ColumnElement[bool]],
    key: str,
    descending: bool,
    start: int,
    size: int,
) -> list[str] | None:
    """The page's run ids, read along the key's index; None where the bounded walk cannot
    tell them."""
    # An alias, so that a filter's own subqueries on metric_summaries stay apart from it.
    summary = aliased(SqlMetricSummary, name="sort_summary")
    value = summary.last_value
    in_order = value.desc() if descending else value.asc()
    has_value = (summary.key == key, value.is_not(None))
    budget = WALK_ENTRIES_PER_ROW * (start + size)
    # The value of the last entry the walk reads; None where the key has fewer entries.
    boundary = session.scalar(
        select(value).where(*has_value).order_by(in_order).offset(budget - 1).limit(1)
    )
    walked = (
        select(summary.run_id, value).where(*has_value).order_by(in_order).limit(budget)
    ).subquery("walked")
    ties: tuple[Any, ...] = (SqlRun.start_time.desc(), SqlRun.id)
    head = (
        select(SqlRun.id, walked.c.last_value)
        .join(walked, walked.c.run_id == SqlRun.id)
        .where(*conditions)
        .order_by(walked.c.last_value.desc() if descending else walked.c.last_value.asc(), *ties)
        .offset(start)
        .limit(size)
    )
    found = session.execute(head).all()
    if boundary is not None:
        # Entries past the walk tie with or follow the boundary: the page is known only when
        # it ends before the boundary's value.
        full = len(found) == size
        before = full and (found[-1][1] > boundary if descending else found[-1][1] < boundary)
        return [row[0] for row in found] if before else None
    ids = [row[0] for row in found]
    if len(ids) == size:
        return ids
    valued = and_(summary.run_id == SqlRun.id, *has_value)
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
