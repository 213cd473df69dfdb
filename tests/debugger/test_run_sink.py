"""RunSink on a local store (SQLite, or PostgreSQL with STUDIO_TEST_DB_URL): what a session's
records, findings and states become, batching, a slow store, a run deleted while it logs,
and `studio.Client`'s reads of them."""

from __future__ import annotations

import logging
import math
import multiprocessing
import threading
import time
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

import studio
from studio.debugger.entities import Finding, RuleState, RuleStatus
from studio.debugger.record import StepRecord
from studio.debugger.run_sink import RunSink
from studio.debugger.service import DebuggerService
from studio.debugger.session import DebugSession
from studio.debugger.stats import STATS
from studio.errors import StoreError
from tests.tracking.logging_store import tracking_store

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from studio.db.engine import Database
    from studio.tracking.fluent import Run

TENSORS = ("weights/fc1.weight", "gradients/fc1.weight")


def record(step: int, mode: str = "train", *, extras: bool = True) -> StepRecord:
    """A record of two tensors; with `extras`, a histogram, a vector summary and a scalar."""
    stats = np.arange(len(TENSORS) * len(STATS), dtype=float).reshape(len(TENSORS), -1) + step
    stats[1, STATS.index("nan")] = math.nan if step == 3 else 0.0
    return StepRecord(
        step=step,
        mode=mode,
        timestamp=1_000 + step,
        tensors=TENSORS,
        stats=stats,
        histograms={TENSORS[0]: (np.array([-1.0, 0.0, 1.0]), np.array([step, 2.0]))}
        if extras
        else {},
        vectors={"labels": {"count": np.array([3.0, step])}} if extras else {},
        scalars={"skipped": float(step % 2)} if extras else {},
    )


@pytest.fixture
def uri(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with tracking_store(database_url, tmp_path / "home", monkeypatch) as tracking_uri:
        yield tracking_uri


@pytest.fixture
def run(uri: str) -> Iterator[Run]:
    with studio.start_run(experiment="debug", name="train", tracking_uri=uri) as started:
        yield started


@pytest.fixture
def debugger(database: Database) -> DebuggerService:
    """The store as another process (the server) sees it."""
    return DebuggerService(database)


def test_records_findings_and_states_are_stored_under_the_contract_keys(
    run: Run, debugger: DebuggerService
) -> None:
    sink = RunSink(run, records_per_append=10)
    for step in range(25):
        sink.write(record(step), (), ())
    sink.write(record(5, "eval", extras=False), (), ())
    found = Finding("ExplodingTensor", 3, (TENSORS[1],), "NaN", values={"nan": np.float64("nan")})
    sink.write(None, [found], [RuleState("ExplodingTensor", RuleStatus.FIRING, {"x": 1}, 3)])
    sink.close()

    assert sink.appends <= 4  # 26 records, ten to an append
    frame = debugger.get_tensor_stats(run.id, mode="train")
    assert len(frame) == 2 * 25
    weights = frame[frame.tensor == TENSORS[0]]
    assert weights["step"].tolist() == list(range(25))
    assert weights["l2"].tolist() == [STATS.index("l2") + s for s in range(25)]
    assert weights["timestamp"].tolist() == [1_000 + s for s in range(25)]
    gradients = frame[frame.tensor == TENSORS[1]]
    assert math.isnan(gradients[gradients.step == 3]["nan"].item())
    assert len(debugger.get_tensor_stats(run.id, mode="eval")) == 2

    counts = {info.key: info.count for info in debugger.series.list_series(run.id, "tensor")}
    assert counts["train/weights/fc1.weight/hist[0]"] == 25
    assert counts["train/weights/fc1.weight/hist[1]"] == 25
    # The edges once per tensor, at its first histogram step.
    assert [counts[f"train/weights/fc1.weight/edge[{i}]"] for i in range(3)] == [1, 1, 1]
    assert counts["train/labels/count[1]"] == 25
    assert counts["train/step/skipped"] == 25
    assert debugger.series.read(run.id, "tensor", "train/labels/count[1]").values[7] == 7.0

    (stored,) = debugger.get_findings(run.id)
    assert (stored.rule, stored.step, stored.tensors) == ("ExplodingTensor", 3, (TENSORS[1],))
    assert math.isnan(stored.values["nan"])
    (state,) = debugger.get_rule_states(run.id)
    assert (state.status, state.parameters, state.findings) == (RuleStatus.FIRING, {"x": 1}, 1)


def test_records_are_stored_within_the_interval_without_a_flush(
    run: Run, debugger: DebuggerService
) -> None:
    sink = RunSink(run, records_per_append=100, interval=0.1)
    sink.write(record(0), (), ())
    deadline = time.monotonic() + 10
    while debugger.get_tensor_stats(run.id).empty:
        assert time.monotonic() < deadline, "the record was never written"
        time.sleep(0.05)
    assert sink.appends == 1
    sink.close()


class GatedSeries:
    """The run's real series interface, whose appends wait for `gate`: a slow store."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.gate = threading.Event()

    def append(self, *args: Any, **kwargs: Any) -> None:
        self.gate.wait(30)
        self.inner.append(*args, **kwargs)


class FlakySeries:
    """The run's real series interface, whose first append fails as an unreachable store's."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.failures = 1

    def append(self, *args: Any, **kwargs: Any) -> None:
        if self.failures:
            self.failures -= 1
            raise StoreError("the database is locked")
        self.inner.append(*args, **kwargs)


def test_a_failed_append_is_retried_whole(run: Run, debugger: DebuggerService) -> None:
    sink = RunSink(run, retry_delays=(0.01,))
    sink.series = FlakySeries(sink.series)
    for step in range(3):
        sink.write(record(step), (), ())
    sink.close()
    counts = {info.key: info.count for info in debugger.series.list_series(run.id, "tensor")}
    assert counts["train/weights/fc1.weight/edge[0]"] == 1  # made once, sent again
    assert counts["train/weights/fc1.weight/l2"] == 3


def test_a_slow_store_never_blocks_training_and_drops_what_overflows(
    run: Run, debugger: DebuggerService, caplog: pytest.LogCaptureFixture
) -> None:
    sink = RunSink(run, max_queue=20, records_per_append=5)
    slow = GatedSeries(sink.series)
    sink.series = slow
    started = time.perf_counter()
    with caplog.at_level(logging.WARNING, "studio.debugger"):
        for step in range(200):
            sink.write(record(step, extras=False), (), ())
    assert time.perf_counter() - started < 2.0  # queued, not written: no wait on the store
    assert sink.dropped > 0
    assert "newer ones are dropped" in caplog.text
    with pytest.raises(StoreError, match="Timed out"):
        sink.flush(timeout=0.2)

    slow.gate.set()
    with caplog.at_level(logging.WARNING, "studio.debugger"):
        sink.close(timeout=30)
    assert f"{sink.dropped} debugger records of run {run.id} were dropped" in caplog.text
    stored = debugger.get_tensor_stats(run.id, tensor=TENSORS[0], stats="mean")
    assert len(stored) == 200 - sink.dropped
    assert stored["step"].tolist()[:5] == [0, 1, 2, 3, 4]  # the oldest are kept


def test_a_run_deleted_while_logging_loses_no_other_runs_rows(
    uri: str, run: Run, debugger: DebuggerService, caplog: pytest.LogCaptureFixture
) -> None:
    child = studio.start_run(experiment="debug", name="child", tracking_uri=uri, nested=True)
    doomed, kept = RunSink(child), RunSink(run)
    for step in range(5):
        doomed.write(record(step), (), ())
        kept.write(record(step), (), ())
    doomed.flush()
    studio.Client(uri).delete_run(child.id)
    with caplog.at_level(logging.WARNING, "studio.debugger"):
        for step in range(5, 30):
            doomed.write(record(step), [Finding("AllZero", step)], [RuleState("AllZero")])
            kept.write(record(step), (), ())
        doomed.close()  # no error reaches the training loop
        kept.close()
    assert "no longer exists" in caplog.text
    assert doomed.lost is not None
    frame = debugger.get_tensor_stats(run.id, tensor=TENSORS[0])
    assert frame["step"].tolist() == list(range(30))
    assert len(debugger.series.list_series(run.id, "tensor")) == 2 * len(STATS) + 2 + 3 + 2 + 1


def test_the_client_reads_statistics_and_findings(uri: str, run: Run) -> None:
    sink = RunSink(run)
    for step in range(12):
        sink.write(record(step, extras=False), (), ())
    sink.write(None, [Finding("Overfit", 11, message="gap")], ())
    # No flush: the client waits for what this process queued.
    client = studio.Client(uri)
    frame = client.get_tensor_stats(run.id, tensor=TENSORS[1], stats=["l2", "max"])
    assert list(frame.columns) == ["tensor", "mode", "step", "timestamp", "l2", "max"]
    assert frame["step"].tolist() == list(range(12))
    assert frame["max"].tolist() == [len(STATS) + STATS.index("max") + s for s in range(12)]
    assert [(f.rule, f.message) for f in client.get_findings(run.id)] == [("Overfit", "gap")]
    sink.close()


def write_in_child(sink: RunSink) -> None:
    for step in range(100, 105):
        sink.write(record(step, extras=False), (), ())
    sink.close(timeout=60)


def test_a_forked_child_writes_its_records_once_and_none_of_its_parents(
    run: Run, debugger: DebuggerService
) -> None:
    sink = RunSink(run, records_per_append=100, interval=60)
    for step in range(5):  # queued, not yet written, at the fork
        sink.write(record(step, extras=False), (), ())
    child = multiprocessing.get_context("fork").Process(target=write_in_child, args=(sink,))
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 0
    for step in range(5, 10):
        sink.write(record(step, extras=False), (), ())
    sink.close()
    steps = debugger.get_tensor_stats(run.id, tensor=TENSORS[0])["step"].tolist()
    assert steps == [*range(10), *range(100, 105)]


def test_a_session_with_a_run_keeps_everything_with_it(run: Run, uri: str) -> None:
    session = DebugSession(run=run, rules=None)
    assert isinstance(session.sink, RunSink)
    for step in range(3):
        session.submit(record(step))
    session.close()
    frame = studio.Client(uri).get_tensor_stats(run.id, stats="count")
    assert sorted(set(frame.tensor)) == sorted(TENSORS)
    assert frame["step"].tolist() == [0, 1, 2, 0, 1, 2]
