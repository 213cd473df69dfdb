"""The shared workload of the tracking benchmark: sizes, the logged series, timing and checks."""

from __future__ import annotations

import math
import random
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import BenchError

METRIC = "loss"
FILTER = "metrics.accuracy > 0.5"


@dataclass(frozen=True)
class Sizes:
    """How much work each figure does. `quick()` is a smoke run, not for reporting."""

    studio_points: int = 200_000  # Studio alone, for its targets
    # Every measurement of a ratio: this many runs on each side, the median reported.
    repeats: int = 3
    # Per-call logging compared at MLflow's size (it manages a few hundred points/s), and
    # its log_batch path at a size of its own; Studio is measured at both sizes too.
    compare_points: int = 1_000
    batch_points: int = 50_000
    history_points: int = 100_000
    history_max_points: int = 1_000
    requests: int = 25
    # MLflow answers a 100,000-point history in seconds: fewer requests if they run long.
    mlflow_requests: int = 20
    mlflow_history_budget_s: float = 45.0
    runs: int = 10_000
    # MLflow seeds 10,000 runs in 2 to 3 minutes on an idle machine; the budget is there
    # only so that a very slow machine still ends (the note then says how many it had).
    mlflow_seed_budget_s: float = 600.0
    # MLflow's search over 10,000 runs takes seconds: fewer searches if they run long.
    mlflow_search_budget_s: float = 45.0
    searches: int = 25
    import_rounds: int = 12

    @classmethod
    def quick(cls) -> Sizes:
        return cls(
            studio_points=20_000,
            repeats=1,
            compare_points=100,
            batch_points=5_000,
            history_points=10_000,
            requests=5,
            mlflow_requests=3,
            runs=500,
            mlflow_seed_budget_s=20.0,
            searches=5,
            import_rounds=3,
        )


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def series(count: int, seed: int = 0) -> list[float]:
    """A noisy, decaying loss curve with rare spikes: extremes a downsampler must keep."""
    rng = random.Random(seed)
    values = []
    for step in range(count):
        value = math.exp(-step / (count / 5 + 1)) + rng.gauss(0.0, 0.02)
        if rng.random() < 0.0005:
            value += rng.choice((-1.0, 1.0)) * rng.uniform(1.0, 5.0)
        values.append(value)
    return values


def count_rows(database: Path, sql: str, params: Sequence[Any]) -> int:
    """Count in the SQLite file itself, through a connection of its own."""
    connection = sqlite3.connect(database)
    try:
        return int(connection.execute(sql, tuple(params)).fetchone()[0])
    finally:
        connection.close()


def time_calls(
    call: Callable[[], Any], repeats: int, warmup: int = 2, budget_s: float | None = None
) -> tuple[list[float], Any]:
    """Seconds of each of `repeats` calls after `warmup` untimed ones; the last result.

    With `budget_s`, timing stops once that much time went into timed calls (after at least
    3 of them), so a slow call cannot stretch the run past its budget.
    """
    result = None
    timings: list[float] = []
    for attempt in range(warmup + repeats):
        started = time.perf_counter()
        result = call()
        if attempt >= warmup:
            timings.append(time.perf_counter() - started)
        if budget_s is not None and len(timings) >= 3 and sum(timings) > budget_s:
            break
    return timings, result


def check_downsampled(
    values: Sequence[float], received: Sequence[float], max_points: int, who: str
) -> tuple[bool, bool]:
    """Whether the answer kept the series' minimum and maximum; errors on a wrong size."""
    if not 0 < len(received) <= max_points:
        raise BenchError(f"{who} returned {len(received)} points for max_points={max_points}.")
    return min(values) in received, max(values) in received


def check_page(accuracies: Sequence[float], expected: int, who: str) -> None:
    if len(accuracies) != expected:
        raise BenchError(f"{who} returned {len(accuracies)} runs, not {expected}.")
    if any(value <= 0.5 for value in accuracies):
        raise BenchError(f"{who} returned a run with accuracy <= 0.5.")
    if list(accuracies) != sorted(accuracies, reverse=True):
        raise BenchError(f"{who} did not order the runs by accuracy, descending.")


def yes(flag: bool) -> str:
    return "yes" if flag else "no"
