"""Pages of a metric's full history and of the experiment list, as the REST API serves them.

On SQLite and, in `make test`, again on PostgreSQL (the history's keyset query and NaN, stored
as NULL, order differently there).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pytest

from studio.errors import InvalidInput

if TYPE_CHECKING:
    from studio.tracking.entities import MetricHistory
    from studio.tracking.service import TrackingService
    from studio.tracking.store import TrackingStore


def all_pages(store: TrackingStore, run_id: str, key: str, size: int) -> list[MetricHistory]:
    pages = [store.get_metric_history(run_id, key, max_results=size)]
    while pages[-1].next_page_token is not None:
        token = pages[-1].next_page_token
        pages.append(store.get_metric_history(run_id, key, max_results=size, page_token=token))
    return pages


def points(history: MetricHistory) -> list[tuple[int, int, float]]:
    return list(zip(history.steps, history.timestamps, history.values, strict=True))


def key_of(point: tuple[int, int, float]) -> tuple[int, int, str]:
    return point[0], point[1], repr(point[2])


@pytest.mark.parametrize("size", [1, 2, 3, 7, 1000])
def test_pages_join_into_the_whole_history(store: TrackingStore, size: int) -> None:
    run = store.create_run(store.create_experiment("e").id)
    # Repeated steps, repeated (step, timestamp) pairs with different values, NaN among them.
    logged = [("m", float(i % 5), i // 4, 1000 + i // 6) for i in range(40)]
    logged += [("m", math.nan, 3, 1000), ("m", math.nan, 3, 1000), ("m", -1.0, -5, 0)]
    store.log_batch(run.id, metrics=logged)
    whole = store.get_metric_history(run.id, "m")

    pages = all_pages(store, run.id, "m", size)
    joined = [point for page in pages for point in points(page)]
    assert all(len(page.values) <= size for page in pages)
    assert all(page.total == 43 and not page.downsampled for page in pages)
    assert len(pages) == math.ceil(43 / size)
    assert [(s, t) for s, t, _ in joined] == [(s, t) for s, t, _ in points(whole)]
    assert sorted(map(key_of, joined)) == sorted(map(key_of, points(whole)))


def test_points_logged_between_pages_at_later_steps_are_not_lost(store: TrackingStore) -> None:
    run = store.create_run(store.create_experiment("e").id)
    store.log_batch(run.id, metrics=[("m", 1.0, step, step) for step in range(4)])
    first = store.get_metric_history(run.id, "m", max_results=2)
    store.log_batch(run.id, metrics=[("m", 2.0, 10, 10)])
    rest = all_pages_from(store, run.id, first.next_page_token)
    assert first.steps + rest == [0, 1, 2, 3, 10]


def all_pages_from(store: TrackingStore, run_id: str, token: str | None) -> list[int]:
    steps: list[int] = []
    while token is not None:
        page = store.get_metric_history(run_id, "m", max_results=2, page_token=token)
        steps += page.steps
        token = page.next_page_token
    return steps


@pytest.mark.parametrize(
    "token",
    [
        "nope",
        "eyJvZmZzZXQiOiAxfQ==",  # {"offset": 1}: a token of another list
        "eyJzdGVwIjogMSwgInRpbWVzdGFtcCI6IDEsICJza2lwIjogLTF9",  # skip -1
        "eyJzdGVwIjogMWUzMDAsICJ0aW1lc3RhbXAiOiAxLCAic2tpcCI6IDB9",  # step 1e300
    ],
)
def test_a_bad_history_page_token_is_refused(store: TrackingStore, token: str) -> None:
    run = store.create_run(store.create_experiment("e").id)
    store.log_batch(run.id, metrics=[("m", 1.0, 0, 0)])
    with pytest.raises(InvalidInput, match="page_token"):
        store.get_metric_history(run.id, "m", max_results=5, page_token=token)


def test_history_page_sizes_are_bounded(service: TrackingService) -> None:
    run = service.create_run(service.create_experiment("e").id)
    for size in (0, 100_001):
        with pytest.raises(InvalidInput, match="max_results"):
            service.get_metric_history(run.id, "m", max_results=size)


def test_experiment_pages(service: TrackingService) -> None:
    for name in "abcde":
        service.create_experiment(name)
    service.update_experiment(service.create_experiment("archived").id, archived=True)
    names: list[str] = []
    token = None
    while True:
        page = service.list_experiment_page(max_results=2, page_token=token)
        assert len(page.experiments) <= 2
        names += [experiment.name for experiment in page.experiments]
        token = page.next_page_token
        if token is None:
            break
    assert names == [experiment.name for experiment in service.list_experiments()]
    assert len(names) == 5
    for size in (0, 1001):
        with pytest.raises(InvalidInput, match="max_results"):
            service.list_experiment_page(max_results=size)
