"""Tree searches and offsets in the tracking store: the runs table of nested runs pages one level
of the run tree, marks parents shown only for a matching descendant, and jumps to any row.
On SQLite, and (with STUDIO_TEST_DB_URL) on PostgreSQL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from studio.errors import InvalidInput
from studio.tracking.entities import RunPage, RunStatus

if TYPE_CHECKING:
    from studio.tracking.store import TrackingStore


def names(page: RunPage) -> list[str]:
    return [run.name for run in page.runs]


def shape(page: RunPage) -> dict[str, tuple[int, bool]]:
    """Each run's (child_count, matched), by name."""
    assert page.tree is not None
    ids = {run.id: run.name for run in page.runs}
    return {ids[run_id]: (info.child_count, info.matched) for run_id, info in page.tree.items()}


@pytest.fixture
def forest(store: TrackingStore) -> tuple[int, dict[str, str]]:
    """A grid search (3 candidates, one with a refit child), two plain runs, and a run of
    another experiment; start times rise in the order of creation."""
    experiment = store.create_experiment("forest")
    ids: dict[str, str] = {}

    def run(name: str, parent: str | None, acc: float, start: int) -> None:
        ids[name] = store.create_run(
            experiment.id,
            name=name,
            parent_run_id=ids.get(parent or ""),
            status=RunStatus.FINISHED,
            start_time=start,
            end_time=start + 1,
            metrics=[("acc", acc, 0, start)],
        ).id

    run("grid", None, 0.5, 100)
    run("cand-a", "grid", 0.7, 110)
    run("cand-b", "grid", 0.95, 120)
    run("cand-c", "grid", 0.6, 130)
    run("refit", "cand-b", 0.97, 140)
    run("plain-1", None, 0.92, 150)
    run("plain-2", None, 0.1, 160)
    other = store.create_experiment("elsewhere")
    store.create_run(other.id, name="outsider", metrics=[("acc", 0.99, 0, 0)])
    return experiment.id, ids


def test_a_tree_search_pages_top_level_runs_with_their_child_counts(
    store: TrackingStore, forest: tuple[int, dict[str, str]]
) -> None:
    experiment, ids = forest
    page = store.search_runs([experiment], tree=True, include_total=True)
    assert names(page) == ["plain-2", "plain-1", "grid"]
    assert page.total == 3
    assert shape(page) == {"plain-2": (0, True), "plain-1": (0, True), "grid": (3, True)}

    children = store.search_runs(
        [experiment], tree=True, parent_run_id=ids["grid"], order_by=["metrics.acc desc"]
    )
    assert names(children) == ["cand-b", "cand-a", "cand-c"]
    assert shape(children)["cand-b"] == (1, True)
    # Without tree, a search still lists every run, children included, with no tree.
    assert len(store.search_runs([experiment]).runs) == 7
    assert store.search_runs([experiment]).tree is None


def test_a_filter_matching_a_child_shows_its_parent_marked_as_not_matching(
    store: TrackingStore, forest: tuple[int, dict[str, str]]
) -> None:
    experiment, ids = forest
    page = store.search_runs(
        [experiment], filter="metrics.acc > 0.9", tree=True, include_total=True
    )
    # plain-1 matches itself; grid only through cand-b (and refit under it).
    assert names(page) == ["plain-1", "grid"]
    assert page.total == 2
    assert shape(page) == {"plain-1": (0, True), "grid": (1, False)}

    children = store.search_runs(
        [experiment], filter="metrics.acc > 0.9", tree=True, parent_run_id=ids["grid"]
    )
    assert shape(children) == {"cand-b": (1, True)}
    deeper = store.search_runs(
        [experiment], filter="metrics.acc > 0.96", tree=True, parent_run_id=ids["grid"]
    )
    assert shape(deeper) == {"cand-b": (1, False)}
    # A filter matching only the other experiment's run shows nothing here.
    assert store.search_runs([experiment], filter="metrics.acc > 0.98", tree=True).runs == []


def test_tree_searches_sort_and_page_top_level_runs(
    store: TrackingStore, forest: tuple[int, dict[str, str]]
) -> None:
    experiment, _ = forest
    first = store.search_runs([experiment], tree=True, order_by=["name"], max_results=2)
    assert names(first) == ["grid", "plain-1"]
    second = store.search_runs(
        [experiment],
        tree=True,
        order_by=["name"],
        max_results=2,
        page_token=first.next_page_token,
    )
    assert names(second) == ["plain-2"]
    assert second.next_page_token is None


def test_an_offset_starts_a_page_at_any_row(
    store: TrackingStore, forest: tuple[int, dict[str, str]]
) -> None:
    experiment, _ = forest
    every = names(store.search_runs([experiment], order_by=["name"]))
    page = store.search_runs([experiment], order_by=["name"], offset=3, max_results=2)
    assert names(page) == every[3:5]
    assert page.next_page_token is not None
    rest = store.search_runs([experiment], order_by=["name"], page_token=page.next_page_token)
    assert names(rest) == every[5:]
    assert store.search_runs([experiment], offset=50).runs == []


def test_an_offset_with_a_page_token_or_out_of_range_is_refused(
    store: TrackingStore, forest: tuple[int, dict[str, str]]
) -> None:
    experiment, _ = forest
    token = store.search_runs([experiment], max_results=1).next_page_token
    with pytest.raises(InvalidInput, match="not both"):
        store.search_runs([experiment], offset=1, page_token=token)
    with pytest.raises(InvalidInput, match="offset"):
        store.search_runs([experiment], offset=-1)
