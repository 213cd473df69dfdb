"""`RunSink`: where a `DebugSession` with a run keeps its records, findings and rule states.

The training thread only queues (`write` never waits for the store); a thread of the sink's
own writes. Records are batched into few series appends: every `records_per_append` records or
every `interval` seconds, whichever comes first, and a backlog in as few as one append's
limits allow (an append's cost is mostly per series: 100 records of 1,000 series each took
3.4 s in appends of ten, 0.33 s in one, on SQLite). Each record becomes points of the
storage contract's keys (`service`): its statistics, its histograms ("hist[i]" counts, and the
"edge[i]" edges once per tensor), its vector summaries ("<vector>[i]") and its step scalars
(tensor "step"). Findings and rule states go to the run's debugger backend (`backends`):
the local store, or the Studio server over REST.

The queue of records is bounded: when training outpaces the store, the newest records are
dropped, counted in `dropped`, and a warning says so, rather than blocking the training or
growing without end. Findings and rule states are few and never dropped.

A run deleted while it logs loses what was queued for it, with one warning; training goes on.
In a forked child, the sink starts empty with a thread of its own (its parent writes what it
queued), as tracking's metric writer does.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
import weakref
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from studio.debugger.backends import debugger_backend
from studio.debugger.reads import HISTOGRAM, HISTOGRAM_EDGE, SCALARS_TENSOR
from studio.debugger.service import TENSOR_KIND, series_key
from studio.debugger.stats import STATS
from studio.errors import NotFound, StoreError, StudioError
from studio.tracking.validation import MAX_SERIES_APPEND_POINTS, MAX_SERIES_APPEND_SERIES

if TYPE_CHECKING:
    from studio.debugger.backends import DebuggerBackend
    from studio.debugger.entities import Finding, RuleState
    from studio.debugger.record import StepRecord

__all__ = ["RunSink", "flush_sinks"]

logger = logging.getLogger("studio.debugger")

DEFAULT_QUEUE = 1_000
RECORDS_PER_APPEND = 10
INTERVAL = 0.5
RETRY_DELAYS = (0.1, 0.5, 1.0, 2.0)
# (steps, timestamps, values) of one series, gathered over a batch of records.
_Points = tuple[list[int], list[int], list[float]]

_sinks: weakref.WeakSet[RunSink] = weakref.WeakSet()


class RunSink:
    """A `session.Sink` writing to a `studio.Run` (see the module)."""

    def __init__(
        self,
        run: Any,
        *,
        debugger: DebuggerBackend | None = None,
        max_queue: int = DEFAULT_QUEUE,
        records_per_append: int = RECORDS_PER_APPEND,
        interval: float = INTERVAL,
        retry_delays: Sequence[float] = RETRY_DELAYS,
    ) -> None:
        self.run_id: str = run.id
        self.backend = run._backend
        self.series = run._backend.series
        self.debugger = debugger if debugger is not None else debugger_backend(run._backend)
        self.max_queue = max_queue
        self.records_per_append = records_per_append
        self.interval = interval
        self.retry_delays = tuple(retry_delays)
        self.dropped = 0
        self.appends = 0
        self.lost: StudioError | None = None  # why the run's data is being dropped
        self._edges_written: set[tuple[str, str]] = set()
        self._closed = False
        self._start()
        _sinks.add(self)

    def _start(self) -> None:
        self._records: deque[StepRecord] = deque()
        self._findings: list[Finding] = []
        self._states: dict[str, RuleState] = {}
        self._queued = 0  # writes accepted (dropped ones included): what flush waits for
        self._done = 0
        self._condition = threading.Condition()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="studio-debugger", daemon=True)
        self._thread.start()

    # The training thread's side ---------------------------------------------------------------

    def write(
        self, record: StepRecord | None, findings: Sequence[Finding], states: Sequence[RuleState]
    ) -> None:
        """Queue a record, findings and states; never waits for the store."""
        if self._closed:
            logger.warning(
                "The debugger's sink of run %s is closed: nothing more is written.", self.run_id
            )
            return
        with self._condition:
            self._queued += 1
            if record is not None:
                if len(self._records) >= self.max_queue:
                    self._drop()
                else:
                    self._records.append(record)
            self._findings += findings
            self._states.update((state.rule, state) for state in states)
            if findings or len(self._records) >= self.records_per_append:
                self._wake.set()

    def flush(self, timeout: float | None = None) -> None:
        """Wait until everything written so far is stored (or dropped); StoreError after
        `timeout` seconds."""
        with self._condition:
            target = self._queued
            self._wake.set()
            finished = self._condition.wait_for(
                lambda: self._done >= target or not self._thread.is_alive(), timeout
            )
        if not finished:
            raise StoreError(f"Timed out after {timeout}s writing the debugger's records.")

    def close(self, timeout: float | None = None) -> None:
        """Flush, then stop the thread."""
        if self._closed:
            return
        try:
            self.flush(timeout)
        finally:
            self._closed = True
            self._wake.set()
            self._thread.join(timeout=5)
            if self.dropped:
                logger.warning(
                    "%d debugger records of run %s were dropped: the store was slower than "
                    "training (save less often, or fewer tensors).",
                    self.dropped,
                    self.run_id,
                )

    def _drop(self) -> None:
        if self.dropped == 0 or self.dropped % 1000 == 0:
            logger.warning(
                "The debugger's store is slower than training: %d records of run %s queued, "
                "newer ones are dropped (%d so far).",
                self.max_queue,
                self.run_id,
                self.dropped + 1,
            )
        self.dropped += 1

    def _reset_after_fork(self) -> None:
        # The parent writes what it queued; the child's lock and thread are its own.
        if not self._closed:
            self._start()

    # The writer thread's side -----------------------------------------------------------------

    def _loop(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            closing = self._closed
            self._drain()
            if closing:
                return

    def _drain(self) -> None:
        while True:
            with self._condition:
                target = self._queued
                records = [self._records.popleft() for _ in range(len(self._records))]
                findings, self._findings = self._findings, []
                states, self._states = list(self._states.values()), {}
            if records:
                # A backlog (the store slower than training) goes in as few appends as one
                # append's limits allow: an append's cost is mostly per series, not per point.
                # The points are made once: retries send the same appends, ids included.
                for part in _parts(self._points(records)):
                    self._store(self._append, (part, uuid.uuid4().hex))
            if findings:
                self._store(self.debugger.record_findings, findings)
            if states:
                self._store(self.debugger.save_rule_states, states)
            with self._condition:
                self._done = target
                self._condition.notify_all()
                if not self._records and not self._findings and not self._states:
                    return

    def _store(self, write: Any, items: Any) -> None:
        """One write, retried while the store is unreachable; a lost run ends its writes."""
        if self.lost is not None:
            return
        for delay in (*self.retry_delays, None):
            try:
                write(self.run_id, items)
                return
            except NotFound as exc:
                self.lost = exc
                logger.warning(
                    "Run %s no longer exists (deleted?): its debugger records, findings and "
                    "rule states are dropped from now on; training goes on.",
                    self.run_id,
                )
                return
            except StudioError as exc:
                if not isinstance(exc, StoreError) or delay is None:
                    logger.error("The debugger could not write to run %s: %s", self.run_id, exc)
                    return
            except Exception:  # a store or network failure must not end the writer thread
                logger.exception("The debugger could not write to run %s.", self.run_id)
                return
            time.sleep(delay)

    def _append(self, run_id: str, part: tuple[dict[str, Any], str]) -> None:
        """One series append, under its id: a retry of an append stored but not answered
        stores nothing twice."""
        points, batch_id = part
        self.series.append(run_id, TENSOR_KIND, points, batch_id=batch_id)
        self.appends += 1

    def _points(self, records: list[StepRecord]) -> dict[str, Any]:
        gathered: dict[str, _Points] = {}

        def add(key: str, step: int, stamp: int, value: float) -> None:
            steps, stamps, values = gathered.setdefault(key, ([], [], []))
            steps.append(step)
            stamps.append(stamp)
            values.append(value)

        for record in records:
            mode, step, stamp = record.mode, record.step, record.timestamp
            for row, tensor in enumerate(record.tensors):
                for column, stat in enumerate(STATS):
                    add(series_key(mode, tensor, stat), step, stamp, record.stats[row, column])
            for tensor, (edges, counts) in record.histograms.items():
                for index, count in enumerate(np.asarray(counts, dtype=np.float64).tolist()):
                    add(series_key(mode, tensor, f"{HISTOGRAM}[{index}]"), step, stamp, count)
                if (mode, tensor) not in self._edges_written:
                    self._edges_written.add((mode, tensor))
                    for index, edge in enumerate(np.asarray(edges, dtype=np.float64).tolist()):
                        add(
                            series_key(mode, tensor, f"{HISTOGRAM_EDGE}[{index}]"),
                            step,
                            stamp,
                            edge,
                        )
            for tensor, vectors in record.vectors.items():
                for name, vector in vectors.items():
                    for index, value in enumerate(
                        np.asarray(vector, dtype=np.float64).ravel().tolist()
                    ):
                        add(series_key(mode, tensor, f"{name}[{index}]"), step, stamp, value)
            for name, value in record.scalars.items():
                add(series_key(mode, SCALARS_TENSOR, name), step, stamp, float(value))
        return {
            key: (
                np.asarray(steps, dtype=np.int64),
                np.asarray(stamps, dtype=np.int64),
                np.asarray(values),
            )
            for key, (steps, stamps, values) in gathered.items()
        }


def _parts(points: dict[str, Any]) -> list[dict[str, Any]]:
    """Whole series per append, within one append's limits of series and points."""
    parts: list[dict[str, Any]] = [{}]
    size = 0
    for key, columns in points.items():
        count = len(columns[0])
        if parts[-1] and (
            size + count > MAX_SERIES_APPEND_POINTS or len(parts[-1]) >= MAX_SERIES_APPEND_SERIES
        ):
            parts.append({})
            size = 0
        parts[-1][key] = columns
        size += count
    return [part for part in parts if part]


def flush_sinks(backend: Any, timeout: float = 60.0) -> None:
    """Store what this process's sinks on `backend` have queued, so that a reader of the
    same store (`studio.Client`) sees every record written so far."""
    for sink in list(_sinks):
        if sink.backend is backend and not sink._closed:
            sink.flush(timeout)


def _after_fork() -> None:
    for sink in list(_sinks):
        sink._reset_after_fork()


if hasattr(os, "register_at_fork"):  # POSIX only
    os.register_at_fork(after_in_child=_after_fork)
