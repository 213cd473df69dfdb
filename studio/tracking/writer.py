"""The batching writer: logging calls append to a queue; one thread writes batches.

A notebook's `log_metric` therefore never waits on the database. Batches are written when
`batch_size` points are waiting, every `interval` seconds, and on `flush()` (which `Run.end()`,
an exception leaving a `with start_run()` block, and interpreter exit all call).

Points are checked when they are logged, so a batch can only fail as a whole run: the run was
deleted, or the store is unreachable. The writer therefore hands the sink one run's points at a
time, and keeps each failure with the run it belongs to:

- a transient failure (`StoreError`: a locked database, a network error) is retried with
  backoff; any other is not;
- a run the store does not know (`NotFound`: deleted while it was logging) is rejected once,
  with a warning naming it; its later points are dropped without asking the store again;
- `flush(run_id)` raises that run's error and no other; `flush()` raises if any run failed.

An error is reported once: by the first flush that covers its run. Errors of a run that has
already ended (points logged after `Run.end()`) are therefore raised by that run's next
`flush()` or by `studio.flush()`, and logged at interpreter exit if nobody asked. Whether a run
ever lost points is remembered apart from that (`lost_points`): such a run never ends FINISHED.

In a forked child, `reset_after_fork` gives the writer a thread of its own and drops the points
it inherited, which its parent writes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

from studio.errors import NotFound, StoreError, StudioError

# (run_id, key, value, step, timestamp_ms)
MetricRow = tuple[str, str, float, int, int]
Sink = Callable[[Sequence[MetricRow]], None]

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 20_000
DEFAULT_INTERVAL = 0.5
MAX_WRITE = 100_000
RETRY_DELAYS = (0.1, 0.5, 1.0, 2.0, 5.0)


class _FlushMarker:
    """Queued by `flush()`: the writer sets it once every point queued before it is written."""

    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = threading.Event()


class BatchWriter:
    """Moves queued metric points into a sink (the store, or the REST API), one run at a time."""

    def __init__(
        self,
        sink: Sink,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        interval: float = DEFAULT_INTERVAL,
        retry_delays: Sequence[float] = RETRY_DELAYS,
    ) -> None:
        self._sink = sink
        self.batch_size = batch_size
        self._interval = interval
        self._retry_delays = tuple(retry_delays)
        # deque.append is atomic, so producers never take a lock; only the writer pops.
        self.queue: deque[MetricRow | _FlushMarker] = deque()
        # Errors not yet reported, by run; runs the store does not know, with their error.
        self._errors: dict[str, StudioError] = {}
        self._rejected: dict[str, StudioError] = {}
        # Runs that lost points, reported or not: they must not end FINISHED.
        self._lost: set[str] = set()
        self._closed = False
        self._start()

    def _start(self) -> None:
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="studio-writer", daemon=True)
        self._thread.start()

    def add(self, row: MetricRow) -> None:
        """Queue one point (what `Run.log_metric` does inline, on its hot path)."""
        self.queue.append(row)
        if len(self.queue) >= self.batch_size:
            self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    def wait(self, timeout: float | None = None) -> None:
        """Block until every point queued so far is written or rejected; report nothing.

        Readers (`studio.Client`) wait so that they see what was logged; the errors stay
        for the runs' own flushes.
        """
        marker = _FlushMarker()
        self.queue.append(marker)
        self._wake.set()
        deadline = None if timeout is None else time.monotonic() + timeout
        while not marker.done.wait(0.1):
            if not self._thread.is_alive():
                raise StoreError("Studio's metric writer has stopped; points may be lost.")
            if deadline is not None and time.monotonic() > deadline:
                raise StoreError(f"Timed out after {timeout}s waiting for metrics to be written.")

    def flush(self, run_id: str | None = None, timeout: float | None = None) -> None:
        """Block until every point queued so far is written, then report failures.

        With `run_id`, raise that run's error, if it has one. Without, raise if any run's
        points could not be written: the run's own error when only one failed.
        """
        self.wait(timeout)
        with self._lock:
            if run_id is not None:
                error = self._errors.pop(run_id, None)
                if error is not None:
                    raise error
                return
            errors, self._errors = self._errors, {}
        if len(errors) == 1:
            raise next(iter(errors.values()))
        if errors:
            lines = "; ".join(f"run {run}: {error.message}" for run, error in errors.items())
            raise StudioError(f"Metric points of {len(errors)} runs were not written: {lines}")

    def lost_points(self, run_id: str) -> bool:
        """Whether some of the run's points could not be written (reported or not)."""
        return run_id in self._lost

    def close(self) -> None:
        """Write what is queued and stop the thread; raise if any run's points were lost.

        Closing again does nothing (at exit, multiprocessing's hook and atexit may both call it).
        """
        if self._closed:
            return
        try:
            self.flush()
        finally:
            self._closed = True
            self._wake.set()
            self._thread.join(timeout=5)

    def reset_after_fork(self) -> None:
        """In a forked child: a thread of its own, and none of the parent's queued points.

        The parent writes what it queued; writing it here too would store every point twice.
        The deque is cleared in place because `Run` objects inherited from the parent hold it.
        """
        self.queue.clear()
        self._errors = {}
        self._lost = set()
        if not self._closed:
            self._start()

    def _loop(self) -> None:
        while not self._closed:
            self._wake.wait(self._interval)
            self._wake.clear()
            self._drain()

    def _drain(self) -> None:
        by_run: dict[str, list[MetricRow]] = {}
        pending = 0
        last_run = None
        rows: list[MetricRow] = []
        pop = self.queue.popleft
        while self.queue:
            item = pop()
            if type(item) is _FlushMarker:
                self._write(by_run)
                by_run, pending, last_run = {}, 0, None
                item.done.set()
                continue
            # Points come in long stretches of one run: look its list up only when it changes.
            if item[0] != last_run:  # type: ignore[index]
                last_run = item[0]  # type: ignore[index]
                rows = by_run.setdefault(last_run, [])
            rows.append(item)  # type: ignore[arg-type]
            pending += 1
            if pending >= MAX_WRITE:
                self._write(by_run)
                by_run, pending, last_run = {}, 0, None
        self._write(by_run)

    def _write(self, by_run: dict[str, list[MetricRow]]) -> None:
        for run_id, rows in by_run.items():
            rejected = self._rejected.get(run_id)
            if rejected is None:
                self._write_run(run_id, rows)
            else:
                # Reported again to the run's next flush: these points are lost too.
                self._fail(run_id, rejected)

    def _write_run(self, run_id: str, rows: list[MetricRow]) -> None:
        error = self._send(run_id, rows)
        if error is None:
            return
        if isinstance(error, NotFound):
            self._rejected[run_id] = error
            logger.warning(
                "Run %s no longer exists (deleted?): its %d queued metric points and any it "
                "logs later are dropped.",
                run_id,
                len(rows),
            )
        else:
            logger.error(
                "Studio could not write %d metric points of run %s: %s",
                len(rows),
                run_id,
                error.message,
            )
        self._fail(run_id, error)

    def _fail(self, run_id: str, error: StudioError) -> None:
        with self._lock:
            self._errors[run_id] = error
            self._lost.add(run_id)

    def _send(self, run_id: str, rows: list[MetricRow]) -> StudioError | None:
        """Hand one run's points to the sink, retrying transient failures; the final error."""
        for delay in self._retry_delays:
            error = self._attempt(run_id, rows)
            if error is None or not _is_transient(error):
                return error
            time.sleep(delay)
        return self._attempt(run_id, rows)

    def _attempt(self, run_id: str, rows: list[MetricRow]) -> StudioError | None:
        try:
            self._sink(rows)
        except StudioError as exc:
            return exc
        except Exception as exc:  # the sink reaches disks and networks: never kill the thread
            logger.debug("Studio's metric writer failed on run %s", run_id, exc_info=True)
            return StudioError(f"Writing metrics of run {run_id} failed: {exc!r}")
        return None


def _is_transient(error: StudioError) -> bool:
    # A locked or unreachable database may recover; a missing run or bad data will not.
    return isinstance(error, StoreError)
