"""Pages of a search ordered by one metric (search_page.py): read along the metric's index, or
by the plain query, the same runs come in the same order, on SQLite and (with
STUDIO_TEST_DB_URL) on PostgreSQL.

The order: runs with a value first, in the asked direction, ties broken by the newest start
then the run id; then the runs without one (never logged, or NaN), newest first.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pytest

from studio.tracking import search_page
from studio.tracking.orm import SqlRun
from studio.tracking.store import TrackingStore

if TYPE_CHECKING:
    from pathlib import Path

    from studio.db.engine import Database

INF = math.inf
NAN = math.nan
KEY = "score"
# run id (also its name), last value of KEY (None: never logged), start time. The twins tie
# on both value and start, so the id decides; twin-2 is created first.
RUNS: list[tuple[str, float | None, int]] = [
    ("top", INF, 1_000),
    ("high-a", 0.9, 1_010),
    ("high-b", 0.9, 1_020),
    ("twin-2", 0.5, 1_030),
    ("twin-1", 0.5, 1_030),
    ("low", -0.5, 1_040),
    ("bottom", -INF, 1_050),
    ("nan-old", NAN, 1_060),
    ("bare-old", None, 1_070),
    ("bare-new", None, 1_080),
    ("nan-new", NAN, 1_090),
]
# A child of "low" whose value would top every page if it leaked into the top level.
CHILD = ("child", 100.0, 1_100)
# Another experiment logs the same key, with values between and beside ours.
RIVALS: list[tuple[str, float | None, int]] = [
    ("rival-1", 0.95, 900),
    ("rival-2", 0.5, 1_030),
    ("rival-3", -1.0, 2_000),
    ("rival-4", NAN, 3_000),
    ("rival-5", None, 3_100),
    ("rival-6", INF, 500),
]
# Matches runs with a value of at least 0.5 and runs that never logged the key (NaN counts as
# logged, and compares false).
FILTER = f"metrics.{KEY} >= 0.5 or metrics.{KEY} is null"


def _create(store: TrackingStore, experiment_id: int, run: tuple[str, float | None, int],
            parent: str | None = None) -> None:  # fmt: skip
    name, value, start = run
    store.create_run(
        experiment_id,
        name=name,
        run_id=name,
        parent_run_id=parent,
        start_time=start,
        metrics=[] if value is None else [(KEY, value, 0, start)],
    )


def _seed(store: TrackingStore) -> int:
    experiment_id = store.create_experiment("sorted").id
    for run in RUNS:
        _create(store, experiment_id, run)
    _create(store, experiment_id, CHILD, parent="low")
    rivals = store.create_experiment("rivals").id
    for run in RIVALS:
        _create(store, rivals, run)
    return experiment_id


@pytest.fixture
def store(module_store: TrackingStore) -> TrackingStore:
    """The module's one store: its tests only read the runs that `experiment` seeds."""
    return module_store


@pytest.fixture(scope="module")
def experiment(module_store: TrackingStore) -> int:
    return _seed(module_store)


@pytest.fixture(params=["walk", "bounded", "plain"])
def plan(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test runs along the whole index, along a walk of one entry per row (which often
    stops short, at a tie or before the page is full, and leaves the page to the plain
    query), and by the plain query alone."""
    if request.param == "walk":
        monkeypatch.setattr(search_page, "WALK_ENTRIES_PER_ROW", 1_000)
    elif request.param == "bounded":
        monkeypatch.setattr(search_page, "WALK_ENTRIES_PER_ROW", 1)
    else:
        monkeypatch.setattr(search_page, "MAX_WALK_ROWS", 0)
    return str(request.param)


def _has_value(value: float | None) -> bool:
    return value is not None and not math.isnan(value)


def expected(descending: bool, *, tree: bool = True, filtered: bool = False) -> list[str]:
    runs = list(RUNS) if tree else [*RUNS, CHILD]
    if filtered:
        runs = [run for run in runs if run[1] is None or (_has_value(run[1]) and run[1] >= 0.5)]
        if tree:  # "low" leads to its matching child
            runs.append(next(run for run in RUNS if run[0] == "low"))

    def key(run: tuple[str, float | None, int]) -> tuple[bool, float, int, str]:
        name, value, start = run
        if not _has_value(value):
            return (True, 0.0, -start, name)
        assert value is not None
        return (False, -value if descending else value, -start, name)

    return [run[0] for run in sorted(runs, key=key)]


def _page(store: TrackingStore, experiment: int, direction: str, offset: int, size: int,
          **options: object) -> tuple[list[str], bool]:  # fmt: skip
    page = store.search_runs(
        [experiment],
        order_by=[f"metrics.{KEY} {direction}"],
        max_results=size,
        offset=offset,
        **options,  # type: ignore[arg-type]
    )
    return [run.id for run in page.runs], page.next_page_token is not None


def test_the_expected_order_is_the_documented_one() -> None:
    assert expected(descending=True) == [
        "top", "high-b", "high-a", "twin-1", "twin-2", "low", "bottom",
        "nan-new", "bare-new", "bare-old", "nan-old",
    ]  # fmt: skip
    assert expected(descending=False)[:7] == [
        "bottom", "low", "twin-1", "twin-2", "high-b", "high-a", "top",
    ]  # fmt: skip


@pytest.mark.parametrize("direction", ["asc", "desc"])
@pytest.mark.parametrize("size", [1, 3, 4, 50])
def test_every_page_is_its_slice_of_the_order(
    store: TrackingStore, experiment: int, plan: str, direction: str, size: int
) -> None:
    """Pages from every offset: inside the runs with a value, across into the runs without
    one, inside those, and past the end; no run of the other experiment, nor the child."""
    whole = expected(direction == "desc")
    for offset in range(len(whole) + 2):
        ids, more = _page(store, experiment, direction, offset, size, tree=True)
        assert ids == whole[offset : offset + size], (plan, offset)
        assert more == (offset + size < len(whole))


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_without_tree_the_child_takes_its_place(
    store: TrackingStore, experiment: int, plan: str, direction: str
) -> None:
    whole = expected(direction == "desc", tree=False)
    assert whole.index("child") == (1 if direction == "desc" else 6)
    for offset in range(len(whole) + 1):
        ids, _ = _page(store, experiment, direction, offset, 3)
        assert ids == whole[offset : offset + 3], (plan, offset)


@pytest.mark.parametrize("direction", ["asc", "desc"])
@pytest.mark.parametrize("tree", [True, False])
def test_a_filter_on_the_ordered_metric(
    store: TrackingStore, experiment: int, plan: str, direction: str, tree: bool
) -> None:
    whole = expected(direction == "desc", tree=tree, filtered=True)
    for offset in range(len(whole) + 1):
        ids, _ = _page(store, experiment, direction, offset, 2, tree=tree, filter=FILTER)
        assert ids == whole[offset : offset + 2], (plan, offset)
    total = store.search_runs([experiment], filter=FILTER, tree=tree, include_total=True).total
    assert total == len(whole)


def test_the_walk_answers_near_the_start_and_gives_up_when_short(
    database: Database, artifact_root: Path
) -> None:
    """A page near the start of the experiment is read along the index; a small experiment
    among many runs of others with the key leaves its page to the plain query."""
    store = TrackingStore(database, str(artifact_root))  # its own: it adds runs
    experiment = _seed(store)
    small = store.create_experiment("small").id
    _create(store, small, ("lonely", 0.1, 1))
    top_level = [SqlRun.experiment_id == experiment, SqlRun.parent_run_id.is_(None)]
    with store.db.session() as session:
        mine = search_page._walk_metric(session, top_level, KEY, True, 0, 2)
        lonely = search_page._walk_metric(session, [SqlRun.experiment_id == small], KEY, True, 0, 1)
    assert (mine, lonely) == (["top", "high-b"], None)
    page = store.search_runs([small], order_by=[f"metrics.{KEY} desc"], max_results=1)
    assert [run.id for run in page.runs] == ["lonely"]
