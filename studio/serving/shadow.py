"""Shadow copies: predicted after the answer left, recorded, never returned.

Each copy is a task the request does not await. The event loop keeps only weak references
to tasks, so the sender keeps strong ones until they finish. The number in flight is bounded:
beyond it copies are dropped and counted, so a slow or broken shadow can never pile up work
behind the answers. A shadow's errors (its model refusing the input, or the input not fitting
its signature) are recorded as that shadow's errors and go no further.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.serving.scoring import encode_predictions, parse_request

if TYPE_CHECKING:
    from studio.serving.recorder import Recorder
    from studio.serving.router import RoutedVariant

__all__ = ["MAX_PENDING_SHADOWS", "ShadowCopy", "ShadowSender"]

log = logging.getLogger(__name__)

MAX_PENDING_SHADOWS = 256


@dataclass(frozen=True)
class ShadowCopy:
    request_id: str
    body: bytes
    content_type: str | None
    max_rows: int


class ShadowSender:
    def __init__(self, recorder: Recorder | None, max_pending: int = MAX_PENDING_SHADOWS) -> None:
        self.recorder = recorder
        self.max_pending = max_pending
        self.sent = 0
        self.failed = 0
        self.dropped = 0
        self._pending: set[asyncio.Task[None]] = set()

    def send(self, shadow: RoutedVariant, copy: ShadowCopy) -> None:
        if len(self._pending) >= self.max_pending:
            self.dropped += 1
            return
        task = asyncio.get_running_loop().create_task(self._predict(shadow, copy))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def drain(self, timeout: float) -> None:
        """Wait (at most `timeout` seconds) for the copies in flight: at shutdown, so that
        their records reach the last flush."""
        if self._pending:
            await asyncio.wait(set(self._pending), timeout=timeout)

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def _predict(self, shadow: RoutedVariant, copy: ShadowCopy) -> None:
        started = time.perf_counter()
        rows = 0
        predictions: list[object] | None = None
        error: str | None = None
        try:
            frame = parse_request(
                copy.body, copy.content_type, shadow.served.signature, max_rows=copy.max_rows
            )
            rows = len(frame)
            predictions = encode_predictions(await shadow.loaded.shadows.predict(frame))
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:1000]
        self.sent += 1
        if error is not None:
            self.failed += 1
        if self.recorder is None:
            return
        try:
            self.recorder.record(
                request_id=copy.request_id,
                variant=shadow.name,
                shadow=True,
                latency_ms=(time.perf_counter() - started) * 1000,
                ok=error is None,
                rows=rows,
                body=copy.body,
                content_type=copy.content_type,
                predictions=predictions,
                error=error,
            )
        except Exception:  # recording must never take the worker down
            log.exception("recording shadow %s's prediction failed", shadow.name)
