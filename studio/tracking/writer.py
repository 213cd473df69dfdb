"""The batching writer: logging calls append to a queue; one thread writes batches.

A notebook's `log_metric` therefore never waits on the database. Batches are written when
`batch_size` points are waiting, every `interval` seconds, and on `flush()` (which `Run.end()`,
an exception leaving a `with start_run()` block, and interpreter exit all call).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

from studio.errors import StoreError, StudioError

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

    __slots__ = ("done", "error")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.error: StudioError | None = None


class BatchWriter:
    """Moves queued metric points into a sink (the store, or the REST API) in batches."""

    def __init__(
        self,
        sink: Sink,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        interval: float = DEFAULT_INTERVAL,
    ) -> None:
        self._sink = sink
        self.batch_size = batch_size
        self._interval = interval
        # deque.append is atomic, so producers never take a lock; only the writer pops.
        self.queue: deque[MetricRow | _FlushMarker] = deque()
        self._wake = threading.Event()
        self._error: StudioError | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="studio-writer", daemon=True)
        self._thread.start()

    def add(self, row: MetricRow) -> None:
        """Queue one point (the hot path of `log_metric`)."""
        self.queue.append(row)
        if len(self.queue) >= self.batch_size:
            self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    def flush(self, timeout: float | None = None) -> None:
        """Block until every point queued so far is written; raise the writer's last error."""
        marker = _FlushMarker()
        self.queue.append(marker)
        self._wake.set()
        deadline = None if timeout is None else time.monotonic() + timeout
        while not marker.done.wait(0.1):
            if not self._thread.is_alive():
                raise StoreError("Studio's metric writer has stopped; points may be lost.")
            if deadline is not None and time.monotonic() > deadline:
                raise StoreError(f"Timed out after {timeout}s waiting for metrics to be written.")
        if marker.error is not None:
            raise marker.error

    def close(self) -> None:
        """Write what is queued and stop the thread."""
        try:
            self.flush()
        finally:
            self._closed = True
            self._wake.set()
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._closed:
            self._wake.wait(self._interval)
            self._wake.clear()
            self._drain()

    def _drain(self) -> None:
        batch: list[MetricRow] = []
        pop = self.queue.popleft
        while self.queue:
            item = pop()
            if type(item) is _FlushMarker:
                self._write(batch)
                batch = []
                item.error, self._error = self._error, None
                item.done.set()
                continue
            batch.append(item)  # type: ignore[arg-type]
            if len(batch) >= MAX_WRITE:
                self._write(batch)
                batch = []
        self._write(batch)

    def _write(self, batch: list[MetricRow]) -> None:
        if not batch:
            return
        for delay in (*RETRY_DELAYS, None):
            try:
                self._sink(batch)
                return
            except StudioError as exc:
                if not _is_transient(exc) or delay is None:
                    logger.error("Studio could not write %d metric points: %s", len(batch), exc)
                    self._error = exc
                    return
                time.sleep(delay)
            except Exception as exc:  # the sink reaches disks and networks
                logger.exception("Studio's metric writer failed")
                self._error = StoreError(f"Writing metrics failed: {exc}")
                return


def _is_transient(error: StudioError) -> bool:
    # A locked or unreachable database may recover; a missing run or bad data will not.
    return isinstance(error, StoreError)
