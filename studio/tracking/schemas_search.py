"""Wire models of run search: the search's body and query, and the page of runs it answers
(with each run's place in the tree, for tables of nested runs).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    BeforeValidator,
    Field,
)

from studio.tracking.entities import (
    RunPage,
    RunTreeInfo,
)
from studio.tracking.paging import MAX_OFFSET
from studio.tracking.schemas import RunOut
from studio.tracking.validation import (
    MAX_FILTER_KEY_TERMS,
    MAX_FILTER_NESTING,
    MAX_FILTER_TERMS,
    MAX_FILTER_VALUES,
    MAX_KEY_LENGTH,
    MAX_NUMBER_LENGTH,
    MAX_ORDER_CLAUSES,
    MAX_QUERY_EXPERIMENTS,
    MAX_SEARCH_EXPERIMENTS,
)
from studio.tracking.wire_types import (
    ExperimentId,
    Filter,
    MaxResults,
    OrderClause,
    PageToken,
    QueryFilter,
    RunId,
    split_commas,
    split_ids,
)
from studio.wire import QueryIn, WireIn, WireOut


class RunTreeOut(WireOut, title="RunTreeOut"):
    child_count: int = Field(
        ge=0,
        description="Child runs shown when this run expands (with a filter: those that "
        "match it or lead to a run that does).",
    )
    matched: bool = Field(
        description="The run matches the filter itself; false: it shows for a descendant."
    )


class RunListOut(WireOut, title="RunListOut"):
    runs: list[RunOut]
    next_page_token: str | None = Field(
        None, description="Pass as page_token to get the next page; null on the last page."
    )
    total: int | None = Field(None, ge=0, description="Every matching run, when include_total.")
    tree: dict[str, RunTreeOut] | None = Field(
        None, description="In tree searches: each run's place in the tree, by run id."
    )

    @classmethod
    def from_entity(cls, page: RunPage) -> RunListOut:
        tree = page.tree
        return cls(
            runs=[RunOut.from_entity(run) for run in page.runs],
            next_page_token=page.next_page_token,
            total=page.total,
            tree=None
            if tree is None
            else {
                run_id: RunTreeOut(child_count=info.child_count, matched=info.matched)
                for run_id, info in tree.items()
            },
        )

    def to_entity(self) -> RunPage:
        return RunPage(
            runs=[run.to_entity() for run in self.runs],
            next_page_token=self.next_page_token,
            total=self.total,
            tree=None
            if self.tree is None
            else {
                run_id: RunTreeInfo(child_count=info.child_count, matched=info.matched)
                for run_id, info in self.tree.items()
            },
        )


_FILTER_HELP = (
    "Filter expression, e.g. \"metrics.accuracy > 0.9 and params.max_depth = '3' "
    "and status = 'FINISHED'\". Limits (a filter past one is refused with 400): "
    f"at most {MAX_FILTER_TERMS} comparisons, of which at most {MAX_FILTER_KEY_TERMS} on "
    f"metrics, params or tags; at most {MAX_FILTER_VALUES} values, `in (...)` lists "
    f"included; parentheses and `not` nested at most {MAX_FILTER_NESTING} deep; keys of at "
    f"most {MAX_KEY_LENGTH} characters; numbers of at most {MAX_NUMBER_LENGTH} characters, "
    f"integers within signed 64 bits."
)
_ORDER_HELP = (
    "Order clauses such as 'metrics.accuracy DESC' or 'start_time' "
    f"(at most {MAX_ORDER_CLAUSES}: each param, metric or tag clause joins a table)."
)
_PAGE_TOKEN_HELP = "The next_page_token of the previous page."
_OFFSET_HELP = (
    "Start the page after this many runs, for a table that jumps to any row "
    "(instead of page_token, not with it)."
)
_TREE_HELP = (
    "One level of the run tree: the top-level runs, or with parent_run_id that run's "
    "children; with a filter, those that match it or have a descendant that does. "
    "The answer's `tree` says which match and how many children each shows."
)


class RunSearchIn(WireIn, title="RunSearchIn"):
    """The body of POST /studio/api/runs/search."""

    experiment_ids: list[ExperimentId] | None = Field(
        None, max_length=MAX_SEARCH_EXPERIMENTS, description="Runs of these experiments only."
    )
    filter: Filter | None = Field(None, description=_FILTER_HELP)
    order_by: list[OrderClause] = Field(
        default_factory=list, max_length=MAX_ORDER_CLAUSES, description=_ORDER_HELP
    )
    max_results: MaxResults = 1000
    page_token: PageToken | None = Field(None, description=_PAGE_TOKEN_HELP)
    offset: int | None = Field(None, ge=0, le=MAX_OFFSET, description=_OFFSET_HELP)
    parent_run_id: RunId | None = Field(None, description="Only the child runs of this run.")
    include_total: bool = Field(False, description="Also count every matching run.")
    tree: bool = Field(False, description=_TREE_HELP)


class RunSearchQuery(QueryIn, title="RunSearchQuery"):
    """The query of GET /studio/api/runs; lists repeat the parameter or separate by commas."""

    experiment_id: Annotated[list[ExperimentId], BeforeValidator(split_ids)] = Field(
        default_factory=list,
        max_length=MAX_QUERY_EXPERIMENTS,
        description="Runs of these experiments only (more in the body of POST /runs/search).",
    )
    filter: QueryFilter | None = Field(
        None, description=f"{_FILTER_HELP} Longer filters go in the body of POST /runs/search."
    )
    order_by: Annotated[list[OrderClause], BeforeValidator(split_commas)] = Field(
        default_factory=list, max_length=MAX_ORDER_CLAUSES, description=_ORDER_HELP
    )
    max_results: MaxResults = 1000
    page_token: PageToken | None = Field(None, description=_PAGE_TOKEN_HELP)
    offset: int | None = Field(None, ge=0, le=MAX_OFFSET, description=_OFFSET_HELP)
    parent_run_id: RunId | None = Field(None, description="Only the child runs of this run.")
    include_total: bool = Field(False, description="Also count every matching run.")
    tree: bool = Field(False, description=_TREE_HELP)

    def to_search(self) -> RunSearchIn:
        return RunSearchIn(
            experiment_ids=self.experiment_id or None,
            filter=self.filter,
            order_by=self.order_by,
            max_results=self.max_results,
            page_token=self.page_token,
            offset=self.offset,
            parent_run_id=self.parent_run_id,
            include_total=self.include_total,
            tree=self.tree,
        )
