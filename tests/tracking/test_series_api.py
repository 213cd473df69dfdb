"""The series interface a feature package uses (`TrackingService.series`): a run's series of
a kind, appended many at a time and read as a metric's history is read, on SQLite and on
PostgreSQL."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pytest
from sqlalchemy import func, select

from studio.errors import Conflict, InvalidInput, NotFound, TooLarge
from studio.tracking.entities import SeriesInfo
from studio.tracking.series.orm import SqlSeries, SqlSeriesBlock, SqlSeriesChunk, SqlSeriesTail
from studio.tracking.series.store import CHUNK_POINTS
from studio.tracking.series_api import iter_pages
from studio.tracking.validation import MAX_SERIES_APPEND_POINTS, MAX_SERIES_APPEND_SERIES

if TYPE_CHECKING:
    from studio.tracking.entities import RunRecord
    from studio.tracking.service import TrackingService

STATS = ("mean", "std", "min", "max")


def curve(steps: np.ndarray, seed: int = 0) -> np.ndarray:
    return np.sin(steps / 50.0) + np.random.default_rng(seed).normal(0, 0.1, len(steps))


def test_many_series_in_one_append_read_back_exactly(
    service: TrackingService, run: RunRecord
) -> None:
    steps = np.arange(0, 300, 3)
    stamps = 1_700_000_000_000 + steps * 7
    points = {
        f"fc{t}.weight/{stat}": (steps, stamps, curve(steps, t * 10 + n))
        for t in range(5)
        for n, stat in enumerate(STATS)
    }
    points["fc0.weight/nan"] = (steps[:3], stamps[:3], np.array([math.nan, math.inf, -math.inf]))
    service.series.append(run.id, "tensor", points)

    listed = service.series.list_series(run.id, "tensor")
    # In the order they were first appended to: that of the sorted keys of one append.
    assert [info.key for info in listed] == sorted(points)
    assert listed[0] == SeriesInfo("fc0.weight/max", len(steps), 0, 297)
    assert service.series.list_series(run.id, "tensor", prefix="fc0.weight/") == [
        info for info in listed if info.key.startswith("fc0.weight/")
    ]
    assert service.series.list_series(run.id, "other") == []

    for key, (s, t, v) in points.items():
        read = service.series.read(run.id, "tensor", key)
        assert (read.steps, read.timestamps) == (s.tolist(), t.tolist())
        np.testing.assert_array_equal(read.values, v)  # NaN and the infinities kept
        assert (read.total, read.downsampled) == (len(s), False)
    many = service.series.read_many(run.id, "tensor", ["fc1.weight/std", "nothing"], 10)
    assert list(many) == ["fc1.weight/std", "nothing"]
    assert many["nothing"].steps == []
    assert many["nothing"].total == 0
    assert len(many["fc1.weight/std"].steps) <= 10
    assert many["fc1.weight/std"].downsampled


def test_appends_accumulate_across_calls_and_seal_chunks(
    service: TrackingService, run: RunRecord
) -> None:
    """Appends of one point to many series, as the debugger saves a step, past a chunk."""
    keys = [f"t{n}/mean" for n in range(3)]
    total = CHUNK_POINTS + 500
    expected = {key: curve(np.arange(total), n) for n, key in enumerate(keys)}
    for start in range(0, total, 900):  # uneven batches: tails fill and seal mid-batch
        part = slice(start, min(start + 900, total))
        steps = np.arange(total)[part]
        service.series.append(
            run.id, "tensor", {key: (steps, steps * 1000, expected[key][part]) for key in keys}
        )
    for key in keys:
        read = service.series.read(run.id, "tensor", key)
        assert read.steps == list(range(total))
        np.testing.assert_array_equal(read.values, expected[key])
    with service.store.db.session() as session:
        chunks = session.scalar(select(func.count()).select_from(SqlSeriesChunk))
    assert chunks == len(keys)  # each series sealed one full chunk


def test_downsampled_reads_keep_extremes_and_ranges_are_exact(
    service: TrackingService, run: RunRecord
) -> None:
    steps = np.arange(50_000) * 10
    values = curve(steps)
    values[12_345] = 99.0
    values[40_000] = -99.0
    service.series.append(run.id, "tensor", {"w/max": (steps, steps, values)})

    shown = service.series.read(run.id, "tensor", "w/max", 1000)
    assert shown.downsampled
    assert 500 < len(shown.steps) <= 1000
    assert max(shown.values) == 99.0
    assert min(shown.values) == -99.0
    assert shown.steps[shown.values.index(99.0)] == 123_450
    assert shown.total == 50_000

    ranged = service.series.read(
        run.id, "tensor", "w/max", 1000, min_step=123_000, max_step=126_000
    )
    assert not ranged.downsampled  # 301 points: every one
    assert ranged.steps == list(range(123_000, 126_001, 10))
    np.testing.assert_array_equal(ranged.values, values[12_300:12_601])


def test_every_point_in_pages(service: TrackingService, run: RunRecord) -> None:
    steps = np.repeat(np.arange(3000), 2)  # repeated steps, as MLflow keeps them
    values = np.arange(len(steps), dtype=np.float64)
    service.series.append(run.id, "tensor", {"a/b": (steps, steps, values)})
    pages = list(
        iter_pages(service.series.read, run.id, "tensor", "a/b", 777, min_step=10, max_step=2000)
    )
    assert all(len(page.steps) == 777 for page in pages[:-1])
    assert [s for page in pages for s in page.steps] == steps[20:4002].tolist()
    assert [v for page in pages for v in page.values] == values[20:4002].tolist()


def test_series_of_another_run_or_kind_are_apart(
    service: TrackingService, run: RunRecord, experiment_id: int
) -> None:
    other = service.create_run(experiment_id)
    one = np.array([1])
    service.series.append(run.id, "tensor", {"k": (one, one, [1.0])})
    service.series.append(run.id, "rule", {"k": (one, one, [2.0])})
    service.series.append(other.id, "tensor", {"k": (one, one, [3.0])})
    assert service.series.read(run.id, "tensor", "k").values == [1.0]
    assert service.series.read(run.id, "rule", "k").values == [2.0]
    assert service.series.read(other.id, "tensor", "k").values == [3.0]


def test_bad_input_is_refused_and_nothing_is_written(
    service: TrackingService, run: RunRecord
) -> None:
    one = np.array([1])
    good = (one, one, [1.0])
    with pytest.raises(NotFound, match="No run"):
        service.series.append("nosuchrun", "tensor", {"k": good})
    with pytest.raises(NotFound, match="No run"):
        service.series.read("nosuchrun", "tensor", "k")
    with pytest.raises(NotFound, match="No run"):
        service.series.list_series("nosuchrun", "tensor")
    with pytest.raises(InvalidInput, match="log_metric"):
        service.series.append(run.id, "metric", {"k": good})
    for kind in ("Tensor", "", "x" * 17, "a-b"):
        with pytest.raises(InvalidInput, match="series kind"):
            service.series.append(run.id, kind, {"k": good})
    with pytest.raises(InvalidInput, match="one length"):
        service.series.append(run.id, "tensor", {"ok": good, "bad": ([1, 2], [1, 2], [1.0])})
    with pytest.raises(InvalidInput, match="integers"):
        service.series.append(run.id, "tensor", {"k": ([1.5], [1], [1.0])})
    with pytest.raises(InvalidInput):
        service.series.append(run.id, "tensor", {"bad\nkey": good})
    many = {f"k{n}": good for n in range(MAX_SERIES_APPEND_SERIES + 1)}
    with pytest.raises(TooLarge, match="series"):
        service.series.append(run.id, "tensor", many)
    big = np.arange(MAX_SERIES_APPEND_POINTS // 2 + 1)
    with pytest.raises(TooLarge, match="points"):
        service.series.append(run.id, "tensor", {"a": (big, big, big), "b": (big, big, big)})
    assert service.series.list_series(run.id, "tensor") == []
    for bad in ({"max_points": 1}, {"max_results": 0}, {"min_step": 5, "max_step": 4}):
        with pytest.raises(InvalidInput):
            service.series.read(run.id, "tensor", "k", **bad)  # type: ignore[arg-type]


def test_deleting_a_run_deletes_its_series_of_every_kind(
    service: TrackingService, run: RunRecord, experiment_id: int
) -> None:
    child = service.create_run(experiment_id, parent_run_id=run.id)
    kept = service.create_run(experiment_id)
    steps = np.arange(CHUNK_POINTS + 10)  # chunks, pyramid blocks and a tail
    for owner in (run, child, kept):
        service.log_batch(owner.id, metrics=[("loss", 1.0, 0, 0)])
        for kind in ("tensor", "rule"):
            service.series.append(owner.id, kind, {"x": (steps, steps, steps * 1.0)})
    service.delete_run(run.id)
    with service.store.db.session() as session:
        owners = set(session.scalars(select(SqlSeries.owner_id)))
        assert owners == {kept.id}
        series_ids = set(session.scalars(select(SqlSeries.id)))
        for table in (SqlSeriesChunk, SqlSeriesTail, SqlSeriesBlock):
            assert set(session.scalars(select(table.series_id))) <= series_ids
    assert service.series.read(kept.id, "tensor", "x").total == len(steps)


def test_deleting_an_experiment_deletes_its_runs_series(
    service: TrackingService, experiment_id: int
) -> None:
    run = service.create_run(experiment_id)
    service.series.append(run.id, "tensor", {"x": ([1], [1], [1.0])})
    service.delete_experiment(experiment_id)
    with service.store.db.session() as session:
        assert session.scalar(select(func.count()).select_from(SqlSeries)) == 0


def test_series_filling_together_are_sealed_a_few_per_append(
    service: TrackingService, run: RunRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A thousand statistics saved together fill their tails together: one append must not
    seal them all (tens of seconds); the rest stay exact in their tails until sealed."""
    monkeypatch.setattr("studio.tracking.series.many.SEALS_PER_APPEND", 2)
    keys = [f"t{n}/max" for n in range(5)]
    batch = CHUNK_POINTS // 4
    steps = np.arange(0)

    def sealed() -> int:
        with service.store.db.session() as session:
            return int(session.scalar(select(func.count()).select_from(SqlSeriesChunk)) or 0)

    counts = []
    for start in range(0, CHUNK_POINTS + 3 * batch, batch):
        steps = np.arange(start, start + batch)
        service.series.append(run.id, "tensor", {key: (steps, steps, steps * 0.5) for key in keys})
        counts.append(sealed())
    assert counts == [0, 0, 0, 2, 4, 5, 5]
    for key in keys:
        read = service.series.read(run.id, "tensor", key)
        assert read.steps == list(range(int(steps[-1]) + 1))
        assert read.values == [step * 0.5 for step in read.steps]
        shown = service.series.read(run.id, "tensor", key, 100)
        assert shown.downsampled
        assert max(shown.values) == steps[-1] * 0.5


def test_small_appends_keep_few_tail_rows_and_every_point(
    service: TrackingService, run: RunRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A call per save leaves one tail row per call; they are merged every TAIL_ROWS calls
    (a read and a seal decode each), through a seal, and no point is lost or doubled."""
    monkeypatch.setattr("studio.tracking.series.many.TAIL_ROWS", 8)
    keys = ["a/mean", "a/max", "b/mean"]
    total, per = CHUNK_POINTS + 900, 4
    rows_seen = []
    for start in range(0, total, per):
        steps = np.arange(start, start + per)
        service.series.append(run.id, "tensor", {key: (steps, steps, -steps * 1.0) for key in keys})
        with service.store.db.session() as session:
            for series in session.scalars(select(SqlSeries)):
                tail = session.execute(
                    select(SqlSeriesTail.count).where(SqlSeriesTail.series_id == series.id)
                ).all()
                assert sum(row.count for row in tail) == series.tail_count
                rows_seen.append(len(tail))
    assert max(rows_seen) <= 8 + 1
    for key in keys:
        read = service.series.read(run.id, "tensor", key)
        assert read.steps == list(range(total))
        assert read.total == total
        assert read.values == [-step * 1.0 for step in range(total)]
    with service.store.db.session() as session:
        assert session.scalar(select(func.count()).select_from(SqlSeriesChunk)) == len(keys)


def test_an_append_with_a_batch_id_is_applied_once(
    service: TrackingService, run: RunRecord, experiment_id: int
) -> None:
    """A writer's retry of an append that was stored but not answered stores nothing."""
    steps = np.arange(3)
    points = {"w/mean": (steps, steps, steps * 1.0)}
    service.series.append(run.id, "tensor", points, batch_id="b1")
    service.series.append(run.id, "tensor", points, batch_id="b1")
    assert service.series.read(run.id, "tensor", "w/mean").total == 3
    service.series.append(run.id, "tensor", points, batch_id="b2")
    assert service.series.read(run.id, "tensor", "w/mean").total == 6
    other = service.create_run(experiment_id)
    with pytest.raises(Conflict, match="another run"):
        service.series.append(other.id, "tensor", points, batch_id="b1")
    with pytest.raises(InvalidInput, match="batch id"):
        service.series.append(run.id, "tensor", points, batch_id="not one!")
