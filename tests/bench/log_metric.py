"""Figure 1 of the tracking benchmark: per-call `log_metric`, points/s accepted and durable.

Each ratio compares like with like: the same number of points on both sides, the median of
the same number of runs, the same kind of logging (Studio queues points for a background
writer, so MLflow's asynchronous logging is its counterpart) and the same SQLite durability
(WAL mode at `synchronous=NORMAL`, then `FULL`, on both sides). MLflow's out-of-the-box path
(synchronous calls, its SQLite defaults) and its best path (`log_batch`) are kept as extra
rows, and Studio's own target sizes as rows of Studio alone.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from harness import BenchError, Row, Sandbox, median, rate
from mlflow_side import SYNCHRONOUS_NUMBER, mlflow_log_batch, mlflow_log_metric
from sqlalchemy import text
from studio_side import stored_metric_points
from workload import METRIC, Sizes, progress, series

import studio
from studio.config import DB_URL_ENV, SQLITE_SYNCHRONOUS_ENV
from studio.tracking.backends import connect

TARGET_ACCEPTED = 200_000.0  # points/s
TARGET_DURABLE = 100_000.0  # points/s


@contextmanager
def _environment(name: str, value: str | None) -> Iterator[None]:
    """`name` set to `value` (None: left as it is) for the block, then restored."""
    saved = os.environ.get(name)
    if value is not None:
        os.environ[name] = value
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = saved


def studio_log_metric(
    home: Path, values: Sequence[float], level: str, db_url: str | None = None
) -> tuple[float, float]:
    """Seconds of the loop of `run.log_metric` calls, and of the loop plus `flush()`, with the
    store at SQLite `synchronous=level` (STUDIO_SQLITE_SYNCHRONOUS, checked on a connection),
    or with `db_url` (STUDIO_DB_URL: a PostgreSQL database) on that store instead."""
    with _environment(SQLITE_SYNCHRONOUS_ENV, level), _environment(DB_URL_ENV, db_url):
        with studio.start_run(experiment="bench", tracking_uri=str(home)) as run:
            run.log_metric("warmup", 0.0)
            run.flush()
            started = time.perf_counter()
            for step, value in enumerate(values):
                run.log_metric(METRIC, value, step=step)
            accepted = time.perf_counter() - started
            run.flush()
            durable = time.perf_counter() - started
            run_id = run.id
        store_url = connect(str(home)).backend.store.db.engine.url
    if db_url is None:
        with connect(str(home)).backend.store.db.engine.connect() as connection:
            used = connection.execute(text("PRAGMA synchronous")).scalar_one()
        if used != SYNCHRONOUS_NUMBER[level]:
            raise BenchError(f"Studio's store ran at synchronous={used}, not {level}.")
        db_url = f"sqlite:///{home / 'studio.db'}"
    elif store_url.get_backend_name() != "postgresql":
        raise BenchError(f"Studio's client wrote to {store_url!r}, not to {db_url}.")
    stored = stored_metric_points(db_url, run_id, METRIC)
    if stored != len(values):
        raise BenchError(f"Studio stored {stored} of {len(values)} points after flush().")
    return accepted, durable


@dataclass
class Rates:
    """Medians (points/s) over repeated runs, each in a fresh store."""

    accepted: float
    durable: float


def _studio(sandbox: Sandbox, values: Sequence[float], level: str, repeats: int) -> Rates:
    accepted, durable = [], []
    for attempt in range(repeats):
        a, d = studio_log_metric(sandbox.fresh(f"studio-{level.lower()}"), values, level)
        accepted.append(rate(len(values), a))
        durable.append(rate(len(values), d))
        progress(
            f"log_metric: Studio {len(values):,} points at {level}, run {attempt + 1}: "
            f"{accepted[-1]:,.0f}/s accepted, {durable[-1]:,.0f}/s durable"
        )
    return Rates(median(accepted), median(durable))


def _mlflow(
    sandbox: Sandbox,
    values: Sequence[float],
    repeats: int,
    *,
    asynchronous: bool,
    level: str | None,
) -> Rates:
    accepted, durable = [], []
    for attempt in range(repeats):
        a, d = mlflow_log_metric(
            sandbox.fresh("mlflow-log-metric"), values, not asynchronous, level
        )
        accepted.append(rate(len(values), a))
        durable.append(rate(len(values), d))
        progress(
            f"log_metric: MLflow {'async' if asynchronous else 'sync'} at "
            f"{level or 'its defaults'}, run {attempt + 1}: {accepted[-1]:,.0f}/s accepted, "
            f"{durable[-1]:,.0f}/s durable"
        )
    return Rates(median(accepted), median(durable))


def figure_log_metric(sandbox: Sandbox, sizes: Sizes) -> list[Row]:
    values = series(max(sizes.studio_points, sizes.batch_points))
    n, repeats = sizes.compare_points, sizes.repeats
    small = values[:n]
    studio_normal = _studio(sandbox, small, "NORMAL", repeats)
    studio_full = _studio(sandbox, small, "FULL", repeats)
    ml_normal = _mlflow(sandbox, small, repeats, asynchronous=True, level="NORMAL")
    ml_full = _mlflow(sandbox, small, repeats, asynchronous=True, level="FULL")
    ml_default = _mlflow(sandbox, small, repeats, asynchronous=False, level=None)

    batch = values[: sizes.batch_points]
    studio_batch = _studio(sandbox, batch, "FULL", repeats)
    batch_rates = []
    for attempt in range(repeats):
        seconds = mlflow_log_batch(sandbox.fresh("mlflow-log-batch"), batch, 1_000, "FULL")
        batch_rates.append(rate(len(batch), seconds))
        progress(
            f"log_metric: MLflow log_batch at FULL, run {attempt + 1}: {batch_rates[-1]:,.0f}/s"
        )

    big = values[: sizes.studio_points]
    alone_normal = _studio(sandbox, big, "NORMAL", repeats)
    alone_full = _studio(sandbox, big, "FULL", repeats)

    same = (
        f"{n:,} points on each side, median of {repeats} runs on each side, each in a fresh "
        "store; every point then counted in the SQLite file through a connection of its own."
    )
    wal = (
        "Both stores in WAL mode (MLflow's set through a listener on its SQLAlchemy "
        "connections and read back from each one)."
    )
    return [
        Row(
            f"log_metric per call: accepted ({n:,} points)",
            "points/s",
            studio_normal.accepted,
            ml_normal.accepted,
            higher_is_better=True,
            notes=[
                "Time of the loop of run.log_metric(key, value, step=i) calls, against "
                "mlflow.log_metric(..., synchronous=False): MLflow's asynchronous logging "
                "(MLFLOW_ENABLE_ASYNC_LOGGING=true), which also queues points for a "
                f"background thread. {same}"
            ],
        ),
        Row(
            f"log_metric per call: durable, synchronous=NORMAL ({n:,} points)",
            "points/s",
            studio_normal.durable,
            ml_normal.durable,
            higher_is_better=True,
            notes=[
                "Loop plus run.flush(), against the asynchronous loop plus "
                "mlflow.flush_async_logging(). SQLite synchronous=NORMAL on both sides (a "
                "commit survives a crash of the process; a power loss may undo the last "
                f"ones): Studio's default. {wal}"
            ],
        ),
        Row(
            f"log_metric per call: durable, synchronous=FULL ({n:,} points)",
            "points/s",
            studio_full.durable,
            ml_full.durable,
            higher_is_better=True,
            notes=[
                "As above at synchronous=FULL on both sides (a commit survives a power loss): "
                f"Studio with STUDIO_SQLITE_SYNCHRONOUS=FULL, MLflow's default level. {wal}"
            ],
        ),
        Row(
            "  MLflow out of the box: synchronous log_metric",
            "points/s",
            studio_full.durable,
            ml_default.durable,
            higher_is_better=True,
            notes=[
                "mlflow.log_metric(...) with MLflow's defaults: synchronous calls, each point "
                "its own transaction, its SQLite in rollback-journal mode at FULL; "
                f"{n:,} points, median of {repeats} runs (accepted = durable here: "
                f"{ml_default.accepted:,.0f}/s). Studio column: its durable rate at FULL above."
            ],
        ),
        Row(
            f"  MLflow best path: log_batch x1000 ({len(batch):,} points)",
            "points/s",
            studio_batch.durable,
            median(batch_rates),
            higher_is_better=True,
            notes=[
                f"MlflowClient.log_batch with 1,000-point batches, {len(batch):,} points, "
                "Metric objects built inside the timing, against Studio's per-call loop plus "
                f"flush() over the same {len(batch):,} points; both at synchronous=FULL in WAL "
                f"mode, median of {repeats} runs on each side."
            ],
        ),
        Row(
            f"Studio alone: accepted ({len(big):,} points)",
            "points/s",
            alone_normal.accepted,
            None,
            higher_is_better=True,
            target=TARGET_ACCEPTED,
            notes=[
                f"Studio's target size, median of {repeats} runs; no MLflow column: at its "
                f"rates {len(big):,} points would take it many minutes a run."
            ],
        ),
        Row(
            f"Studio alone: durable, synchronous=NORMAL ({len(big):,} points)",
            "points/s",
            alone_normal.durable,
            None,
            higher_is_better=True,
            target=TARGET_DURABLE,
        ),
        Row(
            f"Studio alone: durable, synchronous=FULL ({len(big):,} points)",
            "points/s",
            alone_full.durable,
            None,
            higher_is_better=True,
        ),
    ]
