"""Tree searches: the runs of one level of the run tree (the top-level runs, or the children of
one run) that match a filter or lead to a run that does.

A table of nested runs pages and sorts one level at a time and loads a run's children when it
expands; with a filter, a run that does not match still shows when one of its descendants
does, marked as not matching, so that the match is seen under its parent. The runs that lead
to a match are found with one recursive query upwards from the matching runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session, aliased

from studio.tracking.entities import RunTreeInfo
from studio.tracking.orm import SqlRun


def level_condition(parent_run_id: str | None) -> ColumnElement[bool]:
    """The runs of one level: the children of `parent_run_id`, or the top-level runs."""
    if parent_run_id is None:
        return SqlRun.parent_run_id.is_(None)
    return SqlRun.parent_run_id == parent_run_id


def shown_condition(
    scope: Sequence[Any], condition: ColumnElement[bool] | None
) -> ColumnElement[bool] | None:
    """Runs that match `condition` within `scope` or are an ancestor of one that does; None
    (every run) without a filter. The walk up starts from matching child runs only, so that a
    table without nested runs pays for the filter once."""
    if condition is None:
        return None
    leads = select(SqlRun.id, SqlRun.parent_run_id).where(
        *scope, SqlRun.parent_run_id.is_not(None), condition
    )
    matching = leads.cte("tree_leads", recursive=True)
    parent = aliased(SqlRun, name="tree_parent")
    leads_up = matching.union(
        select(parent.id, parent.parent_run_id).where(parent.id == matching.c.parent_run_id)
    )
    return or_(condition, SqlRun.id.in_(select(leads_up.c.parent_run_id)))


def tree_info(
    session: Session,
    run_ids: Sequence[str],
    condition: ColumnElement[bool] | None,
    shown: ColumnElement[bool] | None,
) -> dict[str, RunTreeInfo]:
    """For each run: how many of its children show, and whether it matches `condition`."""
    if not run_ids:
        return {}
    counts = select(SqlRun.parent_run_id, func.count(SqlRun.id)).where(
        SqlRun.parent_run_id.in_(run_ids)
    )
    if shown is not None:
        counts = counts.where(shown)
    rows = session.execute(counts.group_by(SqlRun.parent_run_id))
    child_counts: dict[str | None, int] = {parent: count for parent, count in rows}
    if condition is None:
        matched = set(run_ids)
    else:
        matched = set(session.scalars(select(SqlRun.id).where(SqlRun.id.in_(run_ids), condition)))
    return {
        run_id: RunTreeInfo(child_count=child_counts.get(run_id, 0), matched=run_id in matched)
        for run_id in run_ids
    }
