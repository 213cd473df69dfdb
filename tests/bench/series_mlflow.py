"""MLflow's side of the series benchmark: the same run (one metric, one point a step) in its
SQLite store, its size on disk, and its sampled history from `mlflow server`.

The store is seeded with `MlflowClient.log_batch` in 100,000-point calls (which MLflow splits
into 1,000-point transactions), its SQLite in WAL mode at synchronous=NORMAL as Studio's: the
seeding's rate is MLflow's best durable write path, reported beside Studio's.
"""

from __future__ import annotations

import json
import math
import sys
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from harness import BenchError, HttpClient, ServerProcess, child_environment, free_port, median
from mlflow_side import mlflow_metric_count, mlflow_sqlite_pragmas, mlflow_store
from workload import METRIC, progress

SEED_CALL_POINTS = 100_000


@dataclass
class MlflowSeries:
    """MLflow's figures for one series of `points` points (latencies in ms)."""

    points: int
    bytes_per_point: float
    seed_rate: float
    whole_ms: float
    whole_note: str
    range_ms: float
    range_note: str


def sqlite_bytes(path: Path) -> int:
    """The database file plus its WAL, after a TRUNCATE checkpoint (through a connection of
    its own; a reader left open elsewhere would keep the WAL, and it is counted)."""
    import sqlite3

    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    wal = Path(f"{path}-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def _seed(
    home: Path, steps: np.ndarray, stamps: np.ndarray, values: np.ndarray
) -> tuple[str, str, float, int]:
    """MLflow's store in `home` holding the series: its URI, the run, the seconds log_batch
    took, and the bytes the series added on disk."""
    from mlflow.entities import Metric

    with mlflow_sqlite_pragmas("NORMAL"):
        uri, client, experiment_id = mlflow_store(home)
        run_id = client.create_run(experiment_id).info.run_id
        empty = sqlite_bytes(home / "mlflow.db")
        started = time.perf_counter()
        for first in range(0, len(steps), SEED_CALL_POINTS):
            part = slice(first, first + SEED_CALL_POINTS)
            client.log_batch(
                run_id,
                metrics=[
                    Metric(METRIC, float(value), int(stamp), int(step))
                    for step, stamp, value in zip(
                        steps[part], stamps[part], values[part], strict=True
                    )
                ],
            )
        seconds = time.perf_counter() - started
        client.set_terminated(run_id)
    size = sqlite_bytes(home / "mlflow.db") - empty
    stored = mlflow_metric_count(home, run_id, METRIC)
    if stored != len(steps):
        raise BenchError(f"MLflow's log_batch stored {stored} of {len(steps)} points.")
    return uri, run_id, seconds, size


def _value(point: dict[str, object]) -> float:
    value = point.get("value", math.nan)
    return float(value) if not isinstance(value, str) else float(value.replace("Infinity", "inf"))


def mlflow_series(
    home: Path,
    steps: np.ndarray,
    stamps: np.ndarray,
    values: np.ndarray,
    starts: Sequence[int],
    repeats: int,
) -> MlflowSeries:
    """MLflow's store seeded with the series, measured like Studio's: the whole series
    sampled to 1,000 points and 1,000-step ranges (`starts`) through
    get-history-bulk-interval, `repeats` requests each after 3 warm-ups."""
    n = len(steps)
    uri, run_id, seed_s, size = _seed(home, steps, stamps, values)
    progress(f"series: MLflow seeded {n:,} points in {seed_s:.0f}s")
    port = free_port()
    command = [
        sys.executable, "-m", "mlflow", "server",
        "--backend-store-uri", uri,
        "--default-artifact-root", (home / "artifacts").as_uri(),
        "--host", "127.0.0.1",
        "--port", str(port),
        "--workers", "1",
    ]  # fmt: skip
    route = "/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval?"

    def path(**extra: int) -> str:
        query = {"run_ids": run_id, "metric_key": METRIC, "max_results": 1_000, **extra}
        return route + urllib.parse.urlencode(query)

    with (
        ServerProcess(
            "mlflow server",
            command,
            port=port,
            env=child_environment({}),
            log_path=home / "mlflow-server.log",
            ready_path="/health",
        ) as server,
        HttpClient(port) as http,
    ):
        whole, body = http.time_gets(path(), repeats)
        sampled = [_value(point) for point in json.loads(body).get("metrics", [])]
        ranges: list[float] = []
        exact = 0
        for index, low in enumerate([*starts[:3], *starts[:repeats]]):
            started = time.perf_counter()
            answer = http.get_json(path(start_step=low, end_step=low + 999))
            if index >= 3:
                ranges.append(time.perf_counter() - started)
            got = [int(point["step"]) for point in answer.get("metrics", [])]
            exact += got == steps[low : low + 1_000].tolist()
    if not 0 < len(sampled) <= 1_000:
        raise BenchError(f"MLflow's sampled history has {len(sampled)} points.")
    finite = values[np.isfinite(values)]
    kept = [float(finite.min()) in sampled, float(finite.max()) in sampled]
    return MlflowSeries(
        points=n,
        bytes_per_point=size / n,
        seed_rate=n / seed_s,
        whole_ms=median(whole) * 1000,
        whole_note=(
            f"MLflow, {n:,} points: GET /ajax-api/2.0/mlflow/metrics/get-history-bulk-interval?"
            "max_results=1000 "
            f"(its UI's sampled route) from `mlflow server` (1 worker, started in "
            f"{server.startup_s:.1f}s): {len(sampled)} evenly spaced steps; global min kept: "
            f"{'yes' if kept[0] else 'no'}, max kept: {'yes' if kept[1] else 'no'}. Median of "
            f"{len(whole)} requests after 3 warm-ups. It has no NaN gaps to keep: MLflow "
            "stores NaN as a value."
        ),
        range_ms=median(ranges) * 1000,
        range_note=(
            f"MLflow, {n:,} points: the same route with start_step and end_step 999 apart and "
            f"max_results=1000; {exact} of {repeats + 3} answers held exactly the range's "
            f"steps. Median of {len(ranges)} requests at the same places as Studio's, after 3 "
            "warm-ups. Its get-history route has no step range (and cannot downsample: a "
            f"{n:,}-point history is one answer of every point), so it is not timed here."
        ),
    )


def mlflow_series_seed_note(result: MlflowSeries) -> str:
    return (
        f"MLflow: MlflowClient.log_batch of {result.points:,} points in "
        f"{SEED_CALL_POINTS:,}-point calls (1,000-point transactions inside), its SQLite in WAL "
        f"mode at synchronous=NORMAL; durable when it returns, every point then counted: "
        f"{result.seed_rate:,.0f} points/s. Its per-call path (mlflow.log_metric) manages a "
        "few hundred to a few thousand points/s (bench_tracking.py)."
    )
