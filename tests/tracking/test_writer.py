"""The batching writer on its own: retries, per-run failures, which run's error is raised where.

The sink here is a plain recording callable that can be told to fail for a run; the tests of
the writer against the real store are in test_writer_store.py.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence

import pytest

from studio.errors import Conflict, InvalidInput, NotFound, StoreError, StudioError
from studio.tracking.writer import BatchWriter, MetricRow


class RecordingSink:
    """Stores what it is given, one call per list; `failures[run]` lists errors to raise."""

    def __init__(self) -> None:
        self.calls: list[list[MetricRow]] = []
        self.attempts: dict[str, int] = {}
        self.failures: dict[str, list[Exception]] = {}
        self.always_failing: dict[str, Exception] = {}
        self.lock = threading.Lock()

    def __call__(self, rows: Sequence[MetricRow]) -> None:
        runs = {row[0] for row in rows}
        with self.lock:
            for run in runs:
                self.attempts[run] = self.attempts.get(run, 0) + 1
                if run in self.always_failing:
                    raise self.always_failing[run]
                if self.failures.get(run):
                    raise self.failures[run].pop(0)
            self.calls.append(list(rows))

    def points(self, run: str) -> list[MetricRow]:
        return [row for call in self.calls for row in call if row[0] == run]


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
def writer(sink: RecordingSink) -> Iterator[BatchWriter]:
    # A long interval: points move only on flush, so each test decides what one drain holds.
    writer = BatchWriter(sink, interval=60, retry_delays=(0.01, 0.01, 0.01))
    yield writer
    writer._closed = True
    writer.wake()


def log(writer: BatchWriter, run: str, count: int, key: str = "loss") -> list[MetricRow]:
    rows = [(run, key, float(step), step, 1000 + step) for step in range(count)]
    for row in rows:
        writer.add(row)
    return rows


def log_one(writer: BatchWriter, run: str, step: int) -> list[MetricRow]:
    row = (run, "loss", float(step), step, 1000 + step)
    writer.add(row)
    return [row]


def test_each_run_reaches_the_sink_in_its_own_call_in_order(
    writer: BatchWriter, sink: RecordingSink
) -> None:
    a, b = [], []
    for step in range(100):  # interleaved, as two runs logging at once queue them
        a += log_one(writer, "a", step)
        b += log_one(writer, "b", step)
    writer.flush()
    assert len(sink.calls) == 2
    assert {call[0][0] for call in sink.calls} == {"a", "b"}
    assert all(len({row[0] for row in call}) == 1 for call in sink.calls)
    assert sink.points("a") == a
    assert sink.points("b") == b


def test_transient_errors_are_retried_until_the_points_are_written(
    writer: BatchWriter, sink: RecordingSink
) -> None:
    sink.failures["a"] = [StoreError("database is locked"), StoreError("database is locked")]
    rows = log(writer, "a", 50)
    writer.flush("a")
    assert sink.attempts["a"] == 3
    assert sink.points("a") == rows  # written once, whole


def test_transient_errors_give_up_after_the_last_retry(
    writer: BatchWriter, sink: RecordingSink
) -> None:
    sink.always_failing["a"] = StoreError("connection refused")
    log(writer, "a", 10)
    with pytest.raises(StoreError, match="connection refused"):
        writer.flush("a")
    assert sink.attempts["a"] == 4  # the first try and three retries
    assert sink.points("a") == []


@pytest.mark.parametrize(
    "error", [InvalidInput("bad point"), Conflict("refused"), StudioError("half sent")]
)
def test_permanent_errors_are_not_retried(
    writer: BatchWriter, sink: RecordingSink, error: StudioError
) -> None:
    sink.always_failing["a"] = error
    log(writer, "a", 10)
    with pytest.raises(type(error)) as raised:
        writer.flush("a")
    assert raised.value is error
    assert sink.attempts["a"] == 1


def test_a_failing_run_costs_no_other_run_a_point(writer: BatchWriter, sink: RecordingSink) -> None:
    sink.always_failing["bad"] = Conflict("a row of this run is refused")
    good = log(writer, "good", 500)
    log(writer, "bad", 500)
    good += log(writer, "good", 500, key="acc")
    writer.flush("good")  # not raised on the run that did nothing wrong
    assert sink.points("good") == good
    with pytest.raises(Conflict, match="refused"):
        writer.flush("bad")


def test_an_error_is_raised_once_by_its_own_run_or_by_flush_all(
    writer: BatchWriter, sink: RecordingSink
) -> None:
    sink.failures["bad"] = [InvalidInput("first"), InvalidInput("second")]
    log(writer, "bad", 1)
    log(writer, "good", 1)
    writer.flush("good")
    with pytest.raises(InvalidInput, match="first"):
        writer.flush()  # flush_all: any run's failure
    writer.flush("bad")  # already reported
    writer.flush()

    log(writer, "bad", 1)
    with pytest.raises(InvalidInput, match="second"):
        writer.flush("bad")
    writer.flush()  # reported by the run, so not again


def test_flush_all_names_every_run_that_failed(writer: BatchWriter, sink: RecordingSink) -> None:
    sink.always_failing["r1"] = InvalidInput("one")
    sink.always_failing["r2"] = Conflict("two")
    log(writer, "r1", 1)
    log(writer, "r2", 1)
    with pytest.raises(StudioError, match="2 runs") as raised:
        writer.flush()
    assert "run r1: one" in str(raised.value)
    assert "run r2: two" in str(raised.value)


def test_wait_reports_nothing_and_leaves_the_error_to_its_run(
    writer: BatchWriter, sink: RecordingSink
) -> None:
    sink.always_failing["a"] = InvalidInput("kept")
    log(writer, "a", 1)
    writer.wait()
    with pytest.raises(InvalidInput, match="kept"):
        writer.flush("a")


def test_a_deleted_run_is_asked_for_once_and_warned_about_once(
    writer: BatchWriter, sink: RecordingSink, caplog: pytest.LogCaptureFixture
) -> None:
    sink.always_failing["gone"] = NotFound("No run has id 'gone'.")
    caplog.set_level(logging.WARNING, logger="studio.tracking.writer")
    log(writer, "gone", 10)
    live = log(writer, "live", 10)
    with pytest.raises(NotFound, match="gone"):
        writer.flush("gone")
    for _ in range(3):
        log(writer, "gone", 10)
        live += log(writer, "live", 10)
        # Its later points are dropped without asking the store again, and still reported.
        with pytest.raises(NotFound, match="gone"):
            writer.flush("gone")
    assert sink.attempts["gone"] == 1
    assert sink.points("live") == live
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "gone" in warnings[0].getMessage()


def test_an_unexpected_exception_is_a_studio_error_and_the_writer_goes_on(
    writer: BatchWriter, sink: RecordingSink
) -> None:
    sink.failures["a"] = [OSError("disk full")]
    log(writer, "a", 5)
    with pytest.raises(StudioError, match="disk full"):
        writer.flush("a")
    assert sink.attempts["a"] == 1  # unknown failures are not retried
    rows = log(writer, "a", 5)
    writer.flush("a")
    assert sink.points("a") == rows


def test_close_writes_what_is_queued_and_stops_the_thread(sink: RecordingSink) -> None:
    writer = BatchWriter(sink, interval=60)
    rows = log(writer, "a", 1000)
    writer.close()
    assert sink.points("a") == rows
    assert not writer._thread.is_alive()
    writer.close()  # again: nothing to do, nothing raised


def test_close_raises_what_could_not_be_written(sink: RecordingSink) -> None:
    writer = BatchWriter(sink, interval=60, retry_delays=())
    sink.always_failing["a"] = StoreError("unreachable")
    log(writer, "a", 3)
    with pytest.raises(StoreError, match="unreachable"):
        writer.close()
    assert not writer._thread.is_alive()


@pytest.mark.parametrize(
    ("interval", "batch_size", "count"),
    [(0.01, 20_000, 3), (60, 100, 100)],
    ids=["the interval passes", "a batch fills up"],
)
def test_points_are_written_without_a_flush_when(
    sink: RecordingSink, interval: float, batch_size: int, count: int
) -> None:
    writer = BatchWriter(sink, interval=interval, batch_size=batch_size)
    try:
        rows = log(writer, "a", count)
        for _ in range(500):
            if sink.points("a") == rows:
                break
            threading.Event().wait(0.01)
        assert sink.points("a") == rows
    finally:
        writer.close()


def test_flush_times_out_while_the_sink_hangs(sink: RecordingSink) -> None:
    release = threading.Event()

    def hanging(rows: Sequence[MetricRow]) -> None:
        release.wait(10)
        sink(rows)

    writer = BatchWriter(hanging, interval=60)
    try:
        log(writer, "a", 1)
        with pytest.raises(StoreError, match="Timed out"):
            writer.flush("a", timeout=0.2)
    finally:
        release.set()
        writer.close()
    assert len(sink.points("a")) == 1
