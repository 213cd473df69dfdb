"""MLflow's side of the tracking benchmark: the same work done with MLflow on SQLite.

MLflow is imported inside the functions: it takes a second or two to import, and the
benchmark's `--help` should not wait for it.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import logging
import random
import sys
import time
import urllib.parse
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness import BenchError, HttpClient, Sandbox, ServerProcess, child_environment, free_port
from workload import METRIC, Sizes, check_downsampled, count_rows, progress, time_calls, yes

if TYPE_CHECKING:
    from mlflow import MlflowClient


def mlflow_version() -> str:
    """The installed MLflow's version, without importing it."""
    return importlib.metadata.version("mlflow")


def quiet_mlflow() -> None:
    """MLflow logs its migrations and warns about many things; none of it is a measurement."""
    import mlflow  # noqa: F401  (it sets its loggers' levels on import: set ours after)

    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", module=r"mlflow(\.|$)")
    warnings.filterwarnings("ignore", category=FutureWarning)


def mlflow_store(home: Path) -> tuple[str, MlflowClient, str]:
    """A fresh MLflow SQLite store in `home`: its URI, a client, and an experiment id."""
    import mlflow

    uri = f"sqlite:///{home / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    client = mlflow.MlflowClient(tracking_uri=uri)
    experiment_id = client.create_experiment(
        "bench", artifact_location=(home / "artifacts").as_uri()
    )
    return uri, client, experiment_id


def mlflow_metric_count(home: Path, run_id: str, key: str) -> int:
    return count_rows(
        home / "mlflow.db",
        "SELECT COUNT(*) FROM metrics WHERE run_uuid = ? AND key = ?",
        (run_id, key),
    )


@dataclass
class SqlitePragmas:
    """What `mlflow_sqlite_pragmas` set, read back from the connections themselves."""

    synchronous: str
    seen: set[tuple[str, int]] = field(default_factory=set)  # (journal_mode, synchronous)


# SQLite answers `PRAGMA synchronous` with a number.
SYNCHRONOUS_NUMBER = {"OFF": 0, "NORMAL": 1, "FULL": 2, "EXTRA": 3}


@contextlib.contextmanager
def mlflow_sqlite_pragmas(synchronous: str) -> Iterator[SqlitePragmas]:
    """Give MLflow's SQLite connections Studio's settings: WAL and `synchronous`.

    MLflow makes its engine itself, so the pragmas go through a listener on every SQLAlchemy
    engine, applied only to connections whose main database file is `mlflow.db` (Studio's
    own connections in this process keep theirs). Each connection's settings are read back,
    so a measurement can check that none escaped them.
    """
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    applied = SqlitePragmas(synchronous)

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            files = [row[2] for row in cursor.execute("PRAGMA database_list") if row[1] == "main"]
        except Exception:  # not SQLite
            cursor.close()
            return
        if files and Path(files[0]).name == "mlflow.db":
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute(f"PRAGMA synchronous = {synchronous}")
            mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
            level = cursor.execute("PRAGMA synchronous").fetchone()[0]
            applied.seen.add((str(mode), int(level)))
        cursor.close()

    event.listen(Engine, "connect", on_connect)
    try:
        yield applied
    finally:
        event.remove(Engine, "connect", on_connect)
    if applied.seen != {("wal", SYNCHRONOUS_NUMBER[synchronous])}:
        raise BenchError(f"MLflow's connections ran with {applied.seen}, not WAL/{synchronous}.")


def mlflow_log_metric(
    home: Path, values: Sequence[float], synchronous: bool, sqlite_synchronous: str | None = None
) -> tuple[float, float]:
    """Seconds of the loop of `mlflow.log_metric` calls, and until every point is stored.

    `synchronous=False` is MLflow's asynchronous logging (what MLFLOW_ENABLE_ASYNC_LOGGING=true
    makes the default). `sqlite_synchronous` (NORMAL, FULL) puts its store in WAL mode at that
    level, as Studio's; None leaves MLflow's defaults (rollback journal, FULL).
    """
    import mlflow

    pragmas = (
        mlflow_sqlite_pragmas(sqlite_synchronous)
        if sqlite_synchronous
        else contextlib.nullcontext()
    )
    with pragmas:
        _, _, experiment_id = mlflow_store(home)
        with mlflow.start_run(experiment_id=experiment_id) as run:
            mlflow.log_metric("warmup", 0.0, synchronous=synchronous)
            mlflow.flush_async_logging()
            started = time.perf_counter()
            for step, value in enumerate(values):
                mlflow.log_metric(METRIC, value, step=step, synchronous=synchronous)
            accepted = time.perf_counter() - started
            mlflow.flush_async_logging()
            durable = time.perf_counter() - started
            run_id = run.info.run_id
    stored = mlflow_metric_count(home, run_id, METRIC)
    if stored != len(values):
        raise BenchError(f"MLflow stored {stored} of {len(values)} points.")
    return accepted, durable


def mlflow_log_batch(
    home: Path, values: Sequence[float], batch: int = 1_000, sqlite_synchronous: str = "FULL"
) -> float:
    """Seconds to write `values` with `MlflowClient.log_batch`, `batch` points a call, its store
    in WAL mode at `sqlite_synchronous` (as Studio's)."""
    from mlflow.entities import Metric

    with mlflow_sqlite_pragmas(sqlite_synchronous):
        _, client, experiment_id = mlflow_store(home)
        run_id = client.create_run(experiment_id).info.run_id
        started = time.perf_counter()
        for first in range(0, len(values), batch):
            stamp = int(time.time() * 1000)
            points = [
                Metric(METRIC, value, stamp, first + offset)
                for offset, value in enumerate(values[first : first + batch])
            ]
            client.log_batch(run_id, metrics=points)
        elapsed = time.perf_counter() - started
        client.set_terminated(run_id)
    stored = mlflow_metric_count(home, run_id, METRIC)
    if stored != len(values):
        raise BenchError(f"MLflow log_batch stored {stored} of {len(values)} points.")
    return elapsed


@dataclass
class MlflowHistory:
    """MLflow's side of figure 2: latencies (s) of the full history, of the sampled UI route
    (None when measured in-process), and a note on each."""

    full: list[float]
    full_note: str
    sampled: list[float] | None = None
    sampled_note: str = ""


def mlflow_history(sandbox: Sandbox, values: Sequence[float], sizes: Sizes) -> MlflowHistory:
    """MLflow's REST history from `mlflow server` on a store seeded with `values`."""
    from mlflow.entities import Metric

    home = sandbox.fresh("mlflow-history")
    uri, client, experiment_id = mlflow_store(home)
    run_id = client.create_run(experiment_id).info.run_id
    stamp = int(time.time() * 1000)
    for first in range(0, len(values), 1_000):
        chunk = values[first : first + 1_000]
        client.log_batch(
            run_id, metrics=[Metric(METRIC, v, stamp, first + i) for i, v in enumerate(chunk)]
        )
    client.set_terminated(run_id)
    port = free_port()
    command = [
        sys.executable, "-m", "mlflow", "server",
        "--backend-store-uri", uri,
        "--default-artifact-root", (home / "artifacts").as_uri(),
        "--host", "127.0.0.1",
        "--port", str(port),
        "--workers", "1",
    ]  # fmt: skip
    full_path = "/api/2.0/mlflow/metrics/get-history?" + urllib.parse.urlencode(
        {"run_id": run_id, "metric_key": METRIC}
    )
    sampled_path = "/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval?" + (
        urllib.parse.urlencode(
            {"run_ids": run_id, "metric_key": METRIC, "max_results": sizes.history_max_points}
        )
    )
    try:
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
            full, full_body = http.time_gets(
                full_path, sizes.mlflow_requests, warmup=1, budget_s=sizes.mlflow_history_budget_s
            )
            sampled, _ = http.time_gets(sampled_path, sizes.requests)
            sampled_answer = http.get_json(sampled_path)
    except BenchError as exc:
        progress(f"history: mlflow server failed, timing in-process instead: {exc}")
        return mlflow_history_in_process(client, run_id, len(values), sizes)
    received = len(json.loads(full_body).get("metrics", []))
    if received != len(values):
        raise BenchError(f"MLflow's get-history returned {received} of {len(values)} points.")
    kept_min, kept_max = check_downsampled(
        values,
        [point["value"] for point in sampled_answer.get("metrics", [])],
        sizes.history_max_points,
        "MLflow get-history-bulk-interval",
    )
    return MlflowHistory(
        full=full,
        full_note=(
            "MLflow: GET /api/2.0/mlflow/metrics/get-history from `mlflow server` (1 worker, "
            f"started in {server.startup_s:.1f}s) on its own SQLite store. It cannot "
            f"downsample: all {received:,} points come back ({len(full_body):,} bytes). "
            f"Median of {len(full)} requests after a warm-up (at most "
            f"{sizes.mlflow_history_budget_s:.0f}s of requests). Studio column: its "
            "downsampled history, as above."
        ),
        sampled=sampled,
        sampled_note=(
            "MLflow: its UI's sampled route /ajax-api/2.0/mlflow/metrics/"
            f"get-history-bulk-interval with max_results={sizes.history_max_points} from the "
            "same `mlflow server`: evenly spaced steps; global min kept: "
            f"{yes(kept_min)}, max kept: {yes(kept_max)}. Median of {len(sampled)} requests "
            "after 3 warm-ups, as Studio's."
        ),
    )


def mlflow_history_in_process(
    client: MlflowClient, run_id: str, count: int, sizes: Sizes
) -> MlflowHistory:
    timings, points = time_calls(
        lambda: client.get_metric_history(run_id, METRIC), sizes.requests, warmup=1
    )
    if len(points) != count:
        raise BenchError(f"MLflow's get_metric_history returned {len(points)} of {count}.")
    return MlflowHistory(
        full=timings,
        full_note=(
            "MLflow: `mlflow server` could not start here, so MlflowClient.get_metric_history "
            f"was timed in-process instead (all {count:,} points: it cannot downsample)."
        ),
    )


def seed_mlflow_runs(client: MlflowClient, experiment_id: str, count: int, budget_s: float) -> int:
    """Up to `count` finished runs with MLflow's client (create, log_batch, terminate), for at
    most `budget_s` seconds; returns how many were made."""
    from mlflow.entities import Metric, Param

    rng = random.Random(2)
    deadline = time.monotonic() + budget_s
    made = 0
    while made < count and time.monotonic() < deadline:
        stamp = int(time.time() * 1000)
        run_id = client.create_run(experiment_id, run_name=f"run-{made}").info.run_id
        client.log_batch(
            run_id,
            metrics=[
                Metric("accuracy", rng.random(), stamp, 0),
                Metric("loss", rng.random(), stamp, 0),
            ],
            params=[
                Param("learning_rate", str(rng.choice([0.1, 0.01, 0.001]))),
                Param("max_depth", str(made % 10)),
            ],
        )
        client.set_terminated(run_id)
        made += 1
    return made
