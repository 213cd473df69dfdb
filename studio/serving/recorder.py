"""What a serving worker observes, buffered per request and written once a second.

`Recorder.record` runs on the event loop for every answer (and every shadow's), before the
response is sent, so it only appends to buffers under a lock: per-second counters with a
latency histogram, one prediction row per request and variant (for feedback to score), and,
for the sampled share of requests, a capture record. A dedicated thread flushes on a deadline
timer (a late flush does not push the next one back): the capture records become one complete
Parquet file, then counters, predictions and capture pointers go to the store in one
transaction, which also scores labels that arrived before their predictions. A flush never
raises: whatever it could not write (a store or artifact root that is down) stays buffered for
the next one, up to a bound (`MAX_BUFFERED` of each kind), beyond which records are dropped
and counted (`dropped`). `close` (the server's lifespan shutdown, after the last response)
flushes what is left, so a SIGTERM loses nothing acknowledged and a SIGKILL at most one flush
interval.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import insert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from studio.serving.capture import CaptureFile, CaptureRecord, CaptureWriter
from studio.serving.feedback import KEEP_UNLABELLED_MS, endpoint_task, match_waiting_labels, prune
from studio.serving.metrics import SecondCounts, StatsAccumulator
from studio.serving.orm import SqlEndpointCapture, SqlEndpointPrediction, SqlEndpointStats
from studio.serving.store_stats import KEEP_STATS_S, prune_stats, stats_rows

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.orm import Session

    from studio.config import StudioConfig
    from studio.db.engine import Database
    from studio.serving.entities import EndpointConfig, Task

__all__ = ["MAX_BUFFERED", "Recorder"]

log = logging.getLogger(__name__)

MAX_BUFFERED = 200_000
"""Records of each kind kept while the store or the artifact root refuses them."""

PRUNE_EVERY_S = 3600.0
# Waiting labels are looked for after every flush that wrote predictions, and at least this
# often otherwise (a label can land just after the flush that wrote its prediction).
MATCH_EVERY_S = 5.0

_Prediction = tuple[str, str, bool, list[Any], int, int]  # request, variant, shadow, y, rows, ts


# Core tables, not ORM classes: a bulk insert through the ORM costs about 4x more per row.
_STATS = cast("Table", SqlEndpointStats.__table__)
_PREDICTIONS = cast("Table", SqlEndpointPrediction.__table__)
_CAPTURES = cast("Table", SqlEndpointCapture.__table__)


def _insert(session: Session, table: Any) -> Any:
    dialect = session.connection().dialect.name
    return (postgresql_insert if dialect == "postgresql" else sqlite_insert)(table)


class Recorder:
    """One serving worker's counters, prediction rows and capture for one endpoint."""

    def __init__(
        self,
        database: Database,
        config: StudioConfig,
        endpoint_id: int,
        endpoint_name: str,
        worker_id: str,
        *,
        flush_interval: float = 1.0,
    ) -> None:
        self._database = database
        self.endpoint_id = endpoint_id
        self.endpoint_name = endpoint_name
        self.worker_id = worker_id
        self.flush_interval = flush_interval
        self._writer = CaptureWriter(config.artifact_root, endpoint_name)
        self._capture_share = 0.0
        self._task: Task | None = None
        self._lock = threading.Lock()
        self._stats = StatsAccumulator()
        self._predictions: list[_Prediction] = []
        self._captured: list[CaptureRecord] = []
        self.dropped = 0
        # Touched by flushes only, under _flush_lock: what the last flushes could not write.
        self._flush_lock = threading.Lock()
        self._unsaved_stats: list[SecondCounts] = []
        self._unsaved_predictions: list[_Prediction] = []
        self._unsaved_capture: list[CaptureRecord] = []
        self._unsaved_pointers: list[CaptureFile] = []
        self._last_match = float("-inf")
        self._last_prune = float("-inf")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False

    # Configuration ------------------------------------------------------------------------

    def set_config(self, config: EndpointConfig) -> None:
        """Take the capture share and the task of a new configuration."""
        self._capture_share = float(config.capture)
        self._task = endpoint_task(config)

    @property
    def task(self) -> Task | None:
        return self._task

    def captured(self, request_id: str) -> bool:
        """Whether this request (with its shadows) is in the capture sample. Decided by the
        id's hash, so every answer to one request decides alike without remembering it."""
        share = self._capture_share
        if share >= 1.0:
            return True
        if share <= 0.0:
            return False
        return (hash(request_id) & 0xFFFFFFFF) < share * 4294967296.0

    # The hot path -------------------------------------------------------------------------

    def record(
        self,
        *,
        request_id: str,
        variant: str,
        shadow: bool,
        latency_ms: float,
        ok: bool,
        rows: int,
        body: bytes | None,
        content_type: str | None,
        predictions: list[Any] | None,
        error: str | None,
    ) -> None:
        """Buffer one answer (O(1); thread-safe)."""
        now = time.time()
        stamp = int(now * 1000)
        capture = self.captured(request_id)
        # Only answers that feedback can score: a good one, for an endpoint whose task is known.
        scorable = predictions if self._task is not None and ok else None
        with self._lock:
            self._stats.add(int(now), variant, shadow, latency_ms, ok, rows)
            if scorable is not None:
                if len(self._predictions) < MAX_BUFFERED:
                    self._predictions.append((request_id, variant, shadow, scorable, rows, stamp))
                else:
                    self.dropped += 1
            if capture:
                if len(self._captured) < MAX_BUFFERED:
                    self._captured.append(
                        CaptureRecord(
                            request_id,
                            variant,
                            shadow,
                            stamp,
                            latency_ms,
                            content_type,
                            None if shadow else body,  # the body once per request
                            predictions,
                            error,
                        )
                    )
                else:
                    self.dropped += 1

    # Flushing -----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the flush thread (once)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._run, name=f"studio-recorder-{self.endpoint_name}", daemon=True
        )
        self._thread.start()

    def _run(self) -> None:
        deadline = time.monotonic() + self.flush_interval
        while not self._stop.wait(max(0.0, deadline - time.monotonic())):
            self.flush()
            deadline += self.flush_interval
            if deadline < time.monotonic():  # fell behind (a slow store): do not catch up
                deadline = time.monotonic() + self.flush_interval

    def pending(self) -> int:
        """Records not yet written (buffered or kept from a failed flush)."""
        with self._lock:
            buffered = len(self._predictions) + len(self._captured) + len(self._stats)
        return (
            buffered
            + len(self._unsaved_stats)
            + len(self._unsaved_predictions)
            + len(self._unsaved_capture)
            + len(self._unsaved_pointers)
        )

    def _bounded(self, items: list[Any], what: str) -> list[Any]:
        """The newest MAX_BUFFERED of what a flush could not write."""
        if len(items) <= MAX_BUFFERED:
            return items
        self.dropped += len(items) - MAX_BUFFERED
        log.error(
            "Endpoint %r: dropped %d %s the store refused for too long.",
            self.endpoint_name,
            len(items) - MAX_BUFFERED,
            what,
        )
        return items[-MAX_BUFFERED:]

    def flush(self) -> None:
        """Write what is buffered; never raises (what fails stays for the next flush)."""
        with self._flush_lock:
            try:
                self._flush()
            except Exception:
                log.exception("Recording for endpoint %r failed", self.endpoint_name)

    def _flush(self) -> None:
        with self._lock:
            stats = self._stats.drain()
            predictions, self._predictions = self._predictions, []
            captured, self._captured = self._captured, []
        records = self._unsaved_capture + captured
        self._unsaved_capture = []
        if records:
            try:
                self._unsaved_pointers.append(self._writer.write(records))
            except Exception:
                log.exception("Capture for endpoint %r could not be written", self.endpoint_name)
                self._unsaved_capture = self._bounded(records, "capture records")
        stats = self._unsaved_stats + stats
        predictions = self._unsaved_predictions + predictions
        pointers = self._unsaved_pointers
        task = self._task
        now = time.monotonic()
        match = task is not None and (bool(predictions) or now - self._last_match >= MATCH_EVERY_S)
        if stats or predictions or pointers or match:
            try:
                self._write(stats, predictions, pointers, task if match else None)
            except Exception:
                log.exception("Endpoint %r: the store refused this flush", self.endpoint_name)
                self._unsaved_stats = self._bounded(stats, "stats rows")
                self._unsaved_predictions = self._bounded(predictions, "prediction rows")
                self._unsaved_pointers = self._bounded(pointers, "capture pointers")
                return
            self._unsaved_stats, self._unsaved_predictions, self._unsaved_pointers = [], [], []
            if match:
                self._last_match = now
        if now - self._last_prune >= PRUNE_EVERY_S:
            self._last_prune = now
            try:
                wall = time.time()
                prune(self._database, self.endpoint_id, int(wall * 1000) - KEEP_UNLABELLED_MS)
                prune_stats(self._database, self.endpoint_id, int(wall) - KEEP_STATS_S)
            except Exception:
                log.exception("Endpoint %r: pruning old rows failed", self.endpoint_name)

    def _write(
        self,
        stats: list[SecondCounts],
        predictions: list[_Prediction],
        pointers: list[CaptureFile],
        task: Task | None,
    ) -> None:
        endpoint_id, worker = self.endpoint_id, self.worker_id
        now_ms = int(time.time() * 1000)
        with self._database.session(write=True) as session:
            if stats:
                session.execute(insert(_STATS), stats_rows(endpoint_id, worker, stats))
            if predictions:
                # A retried flush, or a client reusing a request id, must not fail the batch.
                session.execute(
                    _insert(session, _PREDICTIONS).on_conflict_do_nothing(),
                    [
                        {
                            "endpoint_id": endpoint_id,
                            "request_id": request_id,
                            "variant": variant,
                            "shadow": shadow,
                            "prediction": values,
                            "rows": rows,
                            "created_at": stamp,
                        }
                        for request_id, variant, shadow, values, rows, stamp in predictions
                    ],
                )
            if pointers:
                session.execute(
                    _insert(session, _CAPTURES).on_conflict_do_nothing(),
                    [
                        {
                            "endpoint_id": endpoint_id,
                            "path": pointer.path,
                            "worker": worker,
                            "records": pointer.records,
                            "bytes": pointer.bytes,
                            "first_at": pointer.first_at,
                            "last_at": pointer.last_at,
                            "created_at": now_ms,
                        }
                        for pointer in pointers
                    ],
                )
            if task is not None:
                since = min((p[5] for p in predictions), default=now_ms)
                match_waiting_labels(
                    session, endpoint_id, task, written_since_ms=since, now_ms=now_ms
                )

    def close(self) -> None:
        """Stop the flush thread and write what is left (the lifespan shutdown calls it)."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.flush()
        if self.pending():  # one more try: a store restarting as the server stops
            time.sleep(min(1.0, self.flush_interval))
            self.flush()
