"""The series store on a real database (SQLite; PostgreSQL with STUDIO_TEST_DB_URL): exact
reads at full resolution, downsampled reads that keep extremes and NaN gaps, late and
repeated steps, the open tail, interning and deletion."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from sqlalchemy import func, select

from studio.db.engine import Database
from studio.errors import InvalidInput, NotFound
from studio.tracking.series import store
from studio.tracking.series.orm import SqlSeries, SqlSeriesBlock, SqlSeriesChunk, SqlSeriesTail
from studio.tracking.series.pyramid import (
    MAX_V,
    MIN_V,
    NANS,
    Buckets,
    levels,
)
from studio.tracking.series.store import CHUNK_POINTS
from tests.tracking.series.checks import assert_pyramid_matches

if TYPE_CHECKING:
    from tests.tracking.series.conftest import Series

T0 = 1_700_000_000_000


def _bits(values: np.ndarray) -> list[int]:
    return np.asarray(values, dtype=np.float64).view(np.uint64).tolist()


def assert_exactly(got: store.SeriesPoints, expected: tuple[np.ndarray, ...]) -> None:
    steps, stamps, values = expected
    assert got.steps.tolist() == steps.tolist()
    assert got.timestamps.tolist() == stamps.tolist()
    assert _bits(got.values) == _bits(values)
    assert not got.downsampled


def curve(n: int, seed: int = 0, start: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A noisy decaying loss with rare spikes, one point a step from `start`."""
    rng = np.random.default_rng(seed)
    steps = np.arange(start, start + n, dtype=np.int64)
    values = np.exp(-steps / 5_000.0) + rng.normal(0, 0.01, n)
    values[rng.choice(n, max(n // 10_000, 1), replace=False)] += 5.0
    return steps, T0 + steps * 37 + rng.integers(0, 5, n), values


def _table_count(database: Database, table: Any, series_id: int) -> int:
    with database.session() as session:
        return int(
            session.execute(
                select(func.count()).select_from(table).where(table.series_id == series_id)
            ).scalar_one()
        )


# Interning ---------------------------------------------------------------------------------


def test_interning_gives_one_id_per_owner_kind_and_key(series_store: Database) -> None:
    run1, run2 = store.Owner.run("run1"), store.Owner.run("run2")
    with series_store.session(write=True) as session:
        loss = store.intern(session, run1, "loss")
        assert store.intern(session, run1, "loss") == loss
        others = {
            store.intern(session, run2, "loss"),
            store.intern(session, run1, "acc"),
            # A tensor statistic of the same name is another series than the metric.
            store.intern(session, run1, "loss", kind="tensor"),
            store.intern(session, store.Owner("endpoint", "run1"), "loss"),
        }
    assert loss not in others
    assert len(others) == 4
    with series_store.session() as session:
        assert store.intern(session, run1, "loss") == loss  # found again, not created


def test_concurrent_interning_of_one_key_agrees(series_store: Database) -> None:
    ids: list[int] = []
    barrier = threading.Barrier(4)

    def intern() -> None:
        barrier.wait()
        with series_store.session(write=True) as session:
            ids.append(store.intern(session, store.Owner.run("run1"), "loss"))

    threads = [threading.Thread(target=intern) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(ids) == 4
    assert len(set(ids)) == 1


# Exact reads -------------------------------------------------------------------------------


def test_every_point_comes_back_across_chunks_and_the_tail(new_series: Any) -> None:
    series: Series = new_series()
    steps, stamps, values = curve(3 * CHUNK_POINTS + 123)
    # Batches that do not divide a chunk: chunk boundaries fall inside appends.
    series.append_in_batches(steps, stamps, values, batch=1_000)
    assert_exactly(series.read(), series.expected())
    assert series.read().total == len(steps)
    assert _table_count(series.database, SqlSeriesChunk, series.id) == 3
    assert _table_count(series.database, SqlSeriesTail, series.id) == 1


@pytest.mark.parametrize(
    ("min_step", "max_step"),
    [
        (CHUNK_POINTS - 10, CHUNK_POINTS + 10),  # across a chunk boundary
        (100, 3 * CHUNK_POINTS + 50),  # several chunks and into the tail
        (3 * CHUNK_POINTS + 5, None),  # the tail alone
        (None, 17),
        (2_000, 2_000),  # one step
        (-50, -1),  # before the series: nothing
        (10**12, None),  # after it: nothing
    ],
)
def test_a_range_at_full_resolution_is_exactly_its_points(
    new_series: Any, min_step: int | None, max_step: int | None
) -> None:
    series: Series = new_series()
    series.append_in_batches(*curve(3 * CHUNK_POINTS + 100), batch=2_500)
    expected = series.expected(min_step, max_step)
    assert_exactly(series.read(min_step=min_step, max_step=max_step), expected)
    # A small range with max_points is answered at full resolution too.
    assert_exactly(
        series.read(max_points=1_000, min_step=min_step, max_step=max_step)
        if len(expected[0]) <= 1_000
        else series.read(max_points=len(expected[0]), min_step=min_step, max_step=max_step),
        expected,
    )


def test_nan_and_infinities_are_kept_bit_for_bit(new_series: Any) -> None:
    series: Series = new_series()
    n = CHUNK_POINTS + 40  # one sealed chunk and a tail: both paths
    steps = np.arange(n, dtype=np.int64)
    values = np.linspace(-1, 1, n)
    payload_nan = np.array([0x7FF8000000000ABC], dtype=np.uint64).view(np.float64)[0]
    for at in (3, 2_000, n - 5):
        values[at : at + 3] = [np.nan, np.inf, -np.inf]
    values[10] = payload_nan
    values[n - 1] = payload_nan
    values[11] = -0.0
    series.append(steps, steps + T0, values)
    assert_exactly(series.read(), series.expected())


def test_late_and_repeated_steps_are_kept_in_step_then_timestamp_order(new_series: Any) -> None:
    """As MLflow keeps them: every point, the repeats included, ordered by (step, timestamp);
    late points below sealed chunks included in every range they fall in."""
    series: Series = new_series()
    steps, stamps, values = curve(2 * CHUNK_POINTS)
    series.append_in_batches(steps, stamps, values, batch=CHUNK_POINTS)
    # Late points below the sealed chunks, repeats of logged steps (same timestamps too), a
    # step logged many times, then enough points to seal them all into an overlapping chunk.
    rng = np.random.default_rng(1)
    late = rng.integers(0, 2 * CHUNK_POINTS, 300)
    series.append(late, T0 + late, rng.normal(size=300))
    series.append(steps[:50], stamps[:50], values[:50] + 1.0)
    series.append(np.full(20, 777), T0 + np.arange(20)[::-1], np.arange(20.0))
    series.append(*curve(CHUNK_POINTS, seed=2, start=2 * CHUNK_POINTS))
    assert _table_count(series.database, SqlSeriesChunk, series.id) == 3
    assert_exactly(series.read(), series.expected())
    # The last range starts far above the late chunk's first step: reads must still find it.
    for low, high in (
        (0, 100),
        (700, 800),
        (CHUNK_POINTS - 30, CHUNK_POINTS + 30),
        (2 * CHUNK_POINTS - 30, 2 * CHUNK_POINTS + 30),
    ):
        assert_exactly(series.read(min_step=low, max_step=high), series.expected(low, high))
    repeats = series.read(min_step=777, max_step=777)
    assert len(repeats.steps) >= 21
    assert (np.diff(repeats.timestamps) >= 0).all()


def test_a_point_is_durable_once_committed_before_its_chunk_is_sealed(
    new_series: Any, database_url: str
) -> None:
    series: Series = new_series()
    series.append([5], [T0], [0.25])
    other = Database(database_url)  # another process's view: a fresh connection
    try:
        with other.session() as session:
            got = store.read(session, series.id)
        assert got.steps.tolist() == [5]
        assert got.values.tolist() == [0.25]
    finally:
        other.dispose()


# Downsampled reads -------------------------------------------------------------------------


@pytest.fixture
def long_series(new_series: Any) -> Series:
    """60 chunks of a noisy curve with NaN gaps and both infinities."""
    series: Series = new_series()
    steps, stamps, values = curve(60 * CHUNK_POINTS + 777)
    for at in (1_234, 77_777, 150_000, 200_001):  # NaN gaps far apart
        values[at : at + 5] = np.nan
    values[99_999] = np.inf
    values[123_456] = -np.inf
    series.append_in_batches(steps, stamps, values, batch=10_000)
    return series


def _assert_faithful(
    got: store.SeriesPoints, series: Series, max_points: int, low: int | None, high: int | None
) -> None:
    steps, stamps, values = series.expected(low, high)
    assert got.downsampled
    assert len(got.steps) <= max_points
    # About max_points / 4 buckets (5 points a bucket where NaNs are).
    assert len(got.steps) >= max_points // 5
    # Every point returned is a stored point of the range, in order.
    stored = set(zip(steps.tolist(), stamps.tolist(), _bits(values), strict=True))
    nan_steps = set(steps[np.isnan(values)].tolist())
    returned = zip(got.steps.tolist(), got.timestamps.tolist(), got.values.tolist(), strict=True)
    for s, t, v in returned:
        assert (s, t, _bits(np.array([v]))[0]) in stored or (v != v and s in nan_steps)
    assert (np.diff(got.steps) >= 0).all()
    # The range's first and last points, its extremes, and every NaN gap are there.
    assert (got.steps[0], got.steps[-1]) == (steps[0], steps[-1])
    assert np.nanmin(got.values) == np.nanmin(values)
    assert np.nanmax(got.values) == np.nanmax(values)
    gap_starts = np.flatnonzero(np.diff(np.concatenate(([0], np.isnan(values).astype(int)))) == 1)
    for start in gap_starts:
        gap = steps[start]
        assert any(np.isnan(got.values[(got.steps >= gap) & (got.steps <= gap + 4)])), gap


@pytest.mark.parametrize("max_points", [5, 40, 1_000, 5_000])
def test_the_whole_series_downsampled_keeps_extremes_and_gaps(
    long_series: Series, max_points: int
) -> None:
    got = long_series.read(max_points=max_points)
    assert got.total == len(long_series.steps)
    if max_points < 40:
        assert len(got.steps) <= max_points
        assert np.nanmax(got.values) == np.inf
        assert np.nanmin(got.values) == -np.inf
        return
    _assert_faithful(got, long_series, max_points, None, None)


@pytest.mark.parametrize(
    ("low", "high"),
    [
        (1_000, 240_000),  # ends inside buckets of every level
        (77_000, 78_500),  # a small range: from the chunks, thinned in memory
        (4_095, 4_097 + 16 * 4_096),  # ends on chunk boundaries
        (200_000, None),  # into the tail
    ],
)
def test_a_range_downsampled_holds_exactly_the_range(
    long_series: Series, low: int, high: int | None
) -> None:
    got = long_series.read(max_points=400, min_step=low, max_step=high)
    _assert_faithful(got, long_series, 400, low, high)


def test_every_pyramid_level_summarizes_exactly_its_points(long_series: Series) -> None:
    """Each stored bucket of every level against the raw points of its step range: counts,
    first and last steps, minimum and maximum, NaNs; so every level keeps the global min
    and max and every NaN gap."""
    database = long_series.database
    with database.session() as session:
        series = session.get(SqlSeries, long_series.id)
        assert series is not None
        base, tail_count = series.base_level, series.tail_count
        rows = session.execute(
            select(SqlSeriesBlock.level, SqlSeriesBlock.payload).where(
                SqlSeriesBlock.series_id == long_series.id
            )
        ).all()
    assert base == 1
    steps, stamps, values = long_series.expected()
    # The tail holds the newest points (the highest steps): the pyramid the sealed ones.
    sealed = slice(0, len(steps) - tail_count)
    steps, stamps, values = steps[sealed], stamps[sealed], values[sealed]
    assert_pyramid_matches([(lvl, p) for lvl, p in rows], base, (steps, stamps, values))
    for level in levels(base):
        stored = Buckets.concat([Buckets.decode(p) for lvl, p in rows if lvl == level])
        assert np.nanmin(stored.floats[MIN_V]) == -np.inf
        assert np.nanmax(stored.floats[MAX_V]) == np.inf
        assert stored.ints[NANS].sum() == np.isnan(values).sum()


def test_a_sparse_series_has_no_levels_of_single_points(new_series: Any) -> None:
    series: Series = new_series()
    steps = np.arange(0, 3 * CHUNK_POINTS * 1_000, 1_000, dtype=np.int64)
    series.append(steps, steps + T0, np.sin(steps / 1e5))
    with series.database.session() as session:
        found = session.get(SqlSeries, series.id)
        assert found is not None
        assert found.base_level == 4  # 65,536 steps: 65 points a bucket
    got = series.read(max_points=100)
    assert got.downsampled
    assert 20 <= len(got.steps) <= 100
    assert_exactly(series.read(min_step=5_000, max_step=20_000), series.expected(5_000, 20_000))


# Errors and deletion -----------------------------------------------------------------------


def test_bad_appends_and_reads_are_refused(new_series: Any) -> None:
    series: Series = new_series()
    with pytest.raises(InvalidInput, match="one length"):
        series.append([1, 2], [1], [1.0, 2.0])
    with pytest.raises(InvalidInput, match="steps must be integers"):
        series.append([1.5], [1], [1.0])
    with pytest.raises(InvalidInput, match="at least 5"):
        series.read(max_points=4)
    with series.database.session(write=True) as session, pytest.raises(NotFound):
        store.append(session, series.id + 1_000, [1], [1], [1.0])
    with series.database.session() as session, pytest.raises(NotFound):
        store.read(session, series.id + 1_000)
    assert len(series.read().steps) == 0


def test_deleting_an_owner_deletes_its_series_only(new_series: Any) -> None:
    gone: Series = new_series("loss", store.Owner.run("gone"))
    kept: Series = new_series("loss", store.Owner.run("kept"))
    for series in (gone, kept):
        series.append(*curve(CHUNK_POINTS + 10))
    database = gone.database
    with database.session(write=True) as session:
        store.delete_owned(session, store.RUN, ["gone"])
    for table in (SqlSeriesChunk, SqlSeriesTail, SqlSeriesBlock):
        assert _table_count(database, table, gone.id) == 0
        assert _table_count(database, table, kept.id) > 0
    with database.session() as session, pytest.raises(NotFound):
        store.read(session, gone.id)
    assert_exactly(kept.read(), kept.expected())


def test_concurrent_appends_to_one_series_lose_nothing(new_series: Any) -> None:
    series: Series = new_series()
    errors: list[BaseException] = []
    writers, batches, batch = 4, 6, 700  # 16,800 points: several seals under contention
    barrier = threading.Barrier(writers)

    def write(writer: int) -> None:
        try:
            barrier.wait()
            for b in range(batches):
                steps = np.arange(batch, dtype=np.int64) + (writer * batches + b) * batch
                with series.database.session(write=True) as session:
                    store.append(session, series.id, steps, steps + T0, steps * 0.5)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    got = series.read()
    total = writers * batches * batch
    assert got.steps.tolist() == list(range(total))
    assert got.total == total
    assert got.values.tolist() == (np.arange(total) * 0.5).tolist()


@pytest.mark.parametrize("n", [3_000, 30 * CHUNK_POINTS])
def test_nans_everywhere_still_fit_in_max_points(new_series: Any, n: int) -> None:
    """A NaN in every bucket makes five points a bucket (its first NaN besides first, min,
    max and last), from the chunks and from the pyramid alike."""
    series: Series = new_series()
    steps = np.arange(n, dtype=np.int64)
    values = np.random.default_rng(n).normal(size=n)  # min and max inside each bucket
    values[3::7] = np.nan
    series.append(steps, steps + T0, values)
    got = series.read(max_points=100)
    assert got.downsampled
    assert 60 <= len(got.steps) <= 100
    assert np.isnan(got.values).sum() >= 15


@pytest.mark.parametrize("seed", range(4))
def test_random_series_read_like_brute_force(
    new_series: Any, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """Small chunks make a few thousand points exercise every path (chunks, tail, late
    chunks, pyramid levels, range covers): each answer is checked against the points."""
    monkeypatch.setattr(store, "CHUNK_POINTS", 64)
    monkeypatch.setattr(store, "FULL_RESOLUTION_POINTS", 128)
    rng = np.random.default_rng(seed)
    series: Series = new_series()
    n = 3_000
    spacing = int(rng.choice([1, 3, 40]))
    steps = rng.integers(-500, 2_500, n) * spacing  # negative, repeated, out of order
    steps[: n // 2].sort()  # mostly in order at first, as a training loop logs
    values = rng.normal(size=n)
    values[rng.choice(n, 30, replace=False)] = np.nan
    values[rng.choice(n, 3, replace=False)] = [np.inf, -np.inf, 50.0]
    series.append_in_batches(steps, T0 + np.arange(n) % 11, values, batch=int(rng.integers(7, 300)))
    assert_exactly(series.read(), series.expected())
    for _ in range(6):
        low, high = sorted(rng.integers(-600, 2_600, 2) * spacing)
        assert_exactly(
            series.read(min_step=int(low), max_step=int(high)), series.expected(low, high)
        )
        max_points = int(rng.integers(5, 200))
        got = series.read(max_points=max_points, min_step=int(low), max_step=int(high))
        want_steps, want_stamps, want_values = series.expected(low, high)
        assert len(got.steps) <= max_points
        if len(want_steps) <= max_points:
            assert_exactly(got, (want_steps, want_stamps, want_values))
            continue
        assert got.downsampled
        assert (got.steps[0], got.steps[-1]) == (want_steps[0], want_steps[-1])
        if not np.isnan(want_values).all():
            assert np.nanmin(got.values) == np.nanmin(want_values)
            assert np.nanmax(got.values) == np.nanmax(want_values)
        stored = set(zip(want_steps.tolist(), want_stamps.tolist(), strict=True))
        assert set(zip(got.steps.tolist(), got.timestamps.tolist(), strict=True)) <= stored
