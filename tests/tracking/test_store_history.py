"""A metric's history by step range (`min_step`, `max_step`) through the store, the service and
the client: exact points at full resolution across chunk boundaries, a downsampled range, pages
of a range, and bad ranges refused. On SQLite and (with STUDIO_TEST_DB_URL) PostgreSQL."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pytest

import studio
from studio.errors import InvalidInput
from studio.tracking.series.store import CHUNK_POINTS

if TYPE_CHECKING:
    from studio.tracking.entities import RunRecord
    from studio.tracking.service import TrackingService
    from studio.tracking.store import TrackingStore

# Past two sealed chunks and into the open tail.
COUNT = 2 * CHUNK_POINTS + 1_000


def logged(store: TrackingStore, run: RunRecord) -> list[tuple[str, float, int, int]]:
    points = [("loss", math.sin(step / 97), step, 1_000 + step) for step in range(COUNT)]
    points[CHUNK_POINTS + 7] = ("loss", math.nan, CHUNK_POINTS + 7, 1_000 + CHUNK_POINTS + 7)
    store.log_batch(run.id, metrics=points[: CHUNK_POINTS // 2])
    store.log_batch(run.id, metrics=points[CHUNK_POINTS // 2 :])
    return points


@pytest.mark.parametrize(
    ("low", "high"),
    [
        (CHUNK_POINTS - 10, CHUNK_POINTS + 10),  # across a chunk boundary
        (2 * CHUNK_POINTS - 3, 2 * CHUNK_POINTS + 500),  # from a chunk into the tail
        (-50, 3),
        (COUNT - 2, COUNT + 1_000),
    ],
)
def test_a_range_at_full_resolution_is_exactly_its_points(
    store: TrackingStore, run: RunRecord, low: int, high: int
) -> None:
    points = logged(store, run)
    history = store.get_metric_history(run.id, "loss", min_step=low, max_step=high)
    expected = [p for p in points if low <= p[2] <= high]
    assert history.steps == [p[2] for p in expected]
    assert history.timestamps == [p[3] for p in expected]
    assert list(map(repr, history.values)) == [repr(p[1]) for p in expected]
    assert (history.total, history.downsampled) == (COUNT, False)


def test_open_ends_and_an_empty_range(store: TrackingStore, run: RunRecord) -> None:
    logged(store, run)
    assert store.get_metric_history(run.id, "loss", min_step=COUNT - 3).steps == [
        COUNT - 3,
        COUNT - 2,
        COUNT - 1,
    ]
    assert store.get_metric_history(run.id, "loss", max_step=1).steps == [0, 1]
    empty = store.get_metric_history(run.id, "loss", min_step=COUNT + 5)
    assert (empty.steps, empty.total) == ([], COUNT)


def test_a_downsampled_range_keeps_its_extremes_and_stays_inside(
    store: TrackingStore, run: RunRecord
) -> None:
    points = logged(store, run)
    low, high = 1_000, 7_000
    history = store.get_metric_history(run.id, "loss", 100, min_step=low, max_step=high)
    inside = [p[1] for p in points if low <= p[2] <= high]
    assert history.downsampled is True
    assert 0 < len(history.values) <= 100
    assert low <= min(history.steps)
    assert max(history.steps) <= high
    finite = [v for v in history.values if not math.isnan(v)]
    assert min(finite) == min(v for v in inside if not math.isnan(v))
    assert max(finite) == max(v for v in inside if not math.isnan(v))
    assert any(math.isnan(v) for v in history.values)  # the NaN gap is shown


def test_pages_of_a_range_join_into_the_range(store: TrackingStore, run: RunRecord) -> None:
    logged(store, run)
    low, high = CHUNK_POINTS - 100, CHUNK_POINTS + 150
    steps: list[int] = []
    token = None
    while True:
        page = store.get_metric_history(
            run.id, "loss", max_results=64, page_token=token, min_step=low, max_step=high
        )
        assert len(page.steps) <= 64
        steps += page.steps
        token = page.next_page_token
        if token is None:
            break
    assert steps == list(range(low, high + 1))


def test_a_reversed_or_too_large_range_is_refused(service: TrackingService, run: RunRecord) -> None:
    with pytest.raises(InvalidInput, match="min_step"):
        service.get_metric_history(run.id, "loss", min_step=5, max_step=4)
    with pytest.raises(InvalidInput, match="step"):
        service.get_metric_history(run.id, "loss", max_step=2**63)


def test_the_client_reads_a_range(uri: str) -> None:
    with studio.start_run(experiment="range", tracking_uri=uri) as run:
        for step in range(300):
            run.log_metric("acc", step / 300, step=step)
    client = studio.Client(uri)
    history = client.get_metric_history(run.id, "acc", min_step=100, max_step=199)
    assert history.steps == list(range(100, 200))
    assert history.values == [step / 300 for step in range(100, 200)]
    small = client.get_metric_history(run.id, "acc", max_points=10, min_step=100, max_step=199)
    assert small.downsampled
    assert len(small.steps) <= 10
    assert small.steps[0] == 100
    assert small.steps[-1] == 199
