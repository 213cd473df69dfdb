"""The REST client's batches of metric points: split per run into batches the server accepts,
checked as wire models, and given ids that stay the same while the writer retries them.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from studio.tracking.schemas import MetricIn
from studio.tracking.validation import MAX_BATCH_METRICS, metric_step, metric_value, validate_key

if TYPE_CHECKING:
    from studio.tracking.writer import MetricRow

# Batches whose ids are remembered for a retry; older ones were given up on by the writer.
MAX_UNANSWERED = 8


class UnansweredBatches:
    """The ids of the writer's batches whose last attempt got no answer, by their rows.

    The batching writer retries a failed batch by passing the same rows again; they then get
    the same ids, which the server has recorded if the failed attempt was in fact stored.
    Keyed by the rows themselves (not a hash of them), so two batches never share an id.
    """

    def __init__(self) -> None:
        self._ids: dict[tuple[MetricRow, ...], str] = {}
        self._lock = threading.Lock()

    def id_for(self, rows: Sequence[MetricRow]) -> str:
        key = tuple(rows)
        with self._lock:
            found = self._ids.get(key)
            if found is None:
                while len(self._ids) >= MAX_UNANSWERED:  # the oldest were given up on
                    del self._ids[next(iter(self._ids))]
                found = self._ids[key] = uuid.uuid4().hex
            return found

    def forget(self, rows: Sequence[MetricRow]) -> None:
        with self._lock:
            self._ids.pop(tuple(rows), None)


def metrics_in(metrics: Sequence[tuple[str, float, int, int]]) -> list[MetricIn]:
    """Points checked with the local client's messages, then as wire models."""
    checked = []
    for key, value, step, stamp in metrics:
        validate_key(key, "metric")
        checked.append(
            MetricIn(
                key=key,
                value=metric_value(value, key),
                step=metric_step(step, key),
                timestamp=metric_step(stamp, key),
            )
        )
    return checked


def chunks(
    rows: Sequence[MetricRow],
) -> Iterator[tuple[str, list[tuple[str, float, int, int]]]]:
    by_run: dict[str, list[tuple[str, float, int, int]]] = {}
    for run_id, key, value, step, stamp in rows:
        by_run.setdefault(run_id, []).append((key, value, step, stamp))
    for run_id, points in by_run.items():
        for start in range(0, len(points), MAX_BATCH_METRICS):
            yield run_id, points[start : start + MAX_BATCH_METRICS]
