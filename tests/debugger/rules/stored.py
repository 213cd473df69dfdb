"""Step records written to a run's series as the run's sink writes them (the storage
contract: kind "tensor", keys "<mode>/<tensor>/<name>")."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from studio.debugger.service import TENSOR_KIND, DebuggerService

if TYPE_CHECKING:
    from studio.debugger.record import StepRecord
    from studio.tracking.series_api import RunSeries


def store_records(
    service: DebuggerService, series: RunSeries, run_id: str, records: Iterable[StepRecord]
) -> None:
    """Write each record's statistics, vector summaries and step scalars."""
    for record in records:
        steps = np.array([record.step])
        times = np.array([record.timestamp])
        if record.tensors:
            service.save_tensor_stats(
                run_id, record.mode, steps, record.tensors, record.stats, timestamps=times
            )
        points = {
            f"{record.mode}/{tensor}/{name}[{i}]": (steps, times, np.array([value]))
            for tensor, vectors in record.vectors.items()
            for name, vector in vectors.items()
            for i, value in enumerate(np.asarray(vector, dtype=np.float64))
        }
        points |= {
            f"{record.mode}/step/{name}": (steps, times, np.array([value]))
            for name, value in record.scalars.items()
        }
        if points:
            series.append(run_id, TENSOR_KIND, points)
