"""Studio's side of the series benchmark: a store holding one long series, its size on disk,
and its history read back through the REST API of a real `jupyter server`.

The store is seeded through the series store's own append (`studio.tracking.series.store`,
1,000,000 points a transaction): ten million `log_metric` calls would take minutes a store,
and what is measured here is what the store holds and how fast it answers. The write path
has a figure of its own (bench_series.write_rates).
"""

from __future__ import annotations

import contextlib
import math
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import psutil
from harness import BenchError, HttpClient, Row, Sandbox, ServerProcess, median
from sqlalchemy import create_engine, text
from studio_side import studio_server

from studio.config import StudioConfig
from studio.db.engine import Database
from studio.tracking.series import store
from studio.tracking.series.codec import decode_points, encode_points
from studio.tracking.service import TrackingService

SEED_POINTS = 1_000_000  # points appended per transaction while seeding
SERIES_TABLES = ("series", "series_chunks", "series_tail", "series_blocks")
SPECIAL = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
METRIC = "loss"


def make_curve(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Steps 0..n-1, timestamps about 37 ms apart, a noisy decaying curve with spikes (one
    every 100,000 points) and 10-point NaN gaps (one every 1,000,000 points)."""
    rng = np.random.default_rng(seed)
    steps = np.arange(n, dtype=np.int64)
    stamps = 1_700_000_000_000 + steps * 37 + rng.integers(0, 5, n)
    values = 2.0 * np.exp(-steps / (n / 5)) + rng.normal(0, 0.02, n)
    values[rng.choice(n, max(n // 100_000, 1), replace=False)] += 10.0
    for at in rng.choice(n - 10, max(n // 1_000_000, 1), replace=False):
        values[at : at + 10] = np.nan
    return steps, stamps, values


def bytes_on_disk(database: Database) -> int:
    """SQLite: file plus WAL after a TRUNCATE checkpoint. PostgreSQL: pg_total_relation_size
    (tables, indexes, TOAST) of the series tables after VACUUM."""
    if database.is_sqlite:
        with database.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        path = Path(database.engine.url.database or "")
        wal = Path(f"{path}-wal")
        return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    vacuum = create_engine(database.engine.url, isolation_level="AUTOCOMMIT")
    try:
        with vacuum.connect() as connection:
            for table in SERIES_TABLES:
                connection.execute(text(f"VACUUM ANALYZE {table}"))
            return sum(
                int(connection.execute(text(f"SELECT pg_total_relation_size('{t}')")).scalar())
                for t in SERIES_TABLES
            )
    finally:
        vacuum.dispose()


@dataclass
class Timing:
    """Median wall-clock and CPU milliseconds of a call. On a shared machine the wall time
    includes waiting for a core; this process's CPU time shows what the call itself costs."""

    wall_ms: float
    cpu_ms: float


def timed(call: Callable[[], Any], repeats: int = 25, warmups: int = 3) -> tuple[Timing, Any]:
    """Median times of `call`, and its last answer."""
    answer = None
    for _ in range(warmups):
        answer = call()
    walls, cpus = [], []
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.process_time()
        answer = call()
        walls.append((time.perf_counter() - start) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return Timing(median(walls), median(cpus)), answer


@dataclass
class SeriesFigures:
    """Studio's figures for one series on one database (latencies in ms), with notes."""

    points: int
    backend: str
    bytes_per_point: float
    bytes_note: str
    whole_ms: float
    whole_note: str
    range_ms: float
    range_note: str
    range_starts: list[int] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.points:,} points, {self.backend}"


@contextlib.contextmanager
def fresh_store(home: Path, pg_url: str | None) -> Iterator[str]:
    """A new store's URL: a SQLite file in `home`, or a new database on `pg_url`'s server."""
    if pg_url is None:
        yield f"sqlite:///{home / 'studio.db'}"
        return
    from tests.databases import fresh_server_database

    with fresh_server_database(pg_url) as url:
        yield url


def seed(home: Path, db_url: str, steps: Any, stamps: Any, values: Any) -> tuple[str, float, int]:
    """A run whose metric holds the series: its id, the seconds the appends took, and the
    bytes they added on disk."""
    service = TrackingService.from_config(StudioConfig.resolve(home=home, db_url=db_url))
    try:
        run = service.create_run(service.create_experiment("bench").id, name="series")
        database = service.store.db
        empty = bytes_on_disk(database)
        with database.session(write=True) as session:
            series_id = store.intern(session, store.Owner.run(run.id), METRIC)
        started = time.perf_counter()
        for at in range(0, len(steps), SEED_POINTS):
            part = slice(at, at + SEED_POINTS)
            with database.session(write=True) as session:
                store.append(session, series_id, steps[part], stamps[part], values[part])
        seconds = time.perf_counter() - started
        return run.id, seconds, bytes_on_disk(database) - empty
    finally:
        service.store.db.dispose()


def _floats(received: list[Any]) -> np.ndarray:
    return np.array([SPECIAL[v] if isinstance(v, str) else v for v in received], dtype=float)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


def _time_paths(client: HttpClient, paths: list[str], warmups: int = 3) -> list[float]:
    """Seconds of each GET after the first `warmups` (whose answers are still checked by the
    caller through `answers`)."""
    timings = []
    for index, path in enumerate(paths):
        started = time.perf_counter()
        client.get_json(path)
        if index >= warmups:
            timings.append(time.perf_counter() - started)
    return timings


def measure_series(
    sandbox: Sandbox, n: int, backend: str, pg_url: str | None, requests: int
) -> SeriesFigures:
    steps, stamps, values = make_curve(n)
    label = f"{n:,} points, {backend}"
    home = sandbox.fresh(f"studio-series-{n}-{backend.lower()}")
    with fresh_store(home, pg_url) as db_url:
        run_id, seed_s, size = seed(home, db_url, steps, stamps, values)
        route = f"/studio/api/runs/{run_id}/metrics/history?"

        def path(**query: int) -> str:
            return route + urllib.parse.urlencode({"key": METRIC, "max_points": 1_000, **query})

        rng = np.random.default_rng(1)
        starts = [int(low) for low in rng.integers(0, n - 1_000, requests + 3)]
        ranges = [path(min_step=low, max_step=low + 999) for low in starts]
        with studio_server(home, db_url) as (server, client):
            cpu = server_cpu_ms(server)
            whole, _ = client.time_gets(path(), requests)
            whole_cpu = (server_cpu_ms(server) - cpu) / (requests + 3)
            answer = client.get_json(path())
            cpu = server_cpu_ms(server)
            range_times = _time_paths(client, ranges)
            range_cpu = (server_cpu_ms(server) - cpu) / len(ranges)
            exact = [client.get_json(p) for p in ranges]
        database = Database(db_url)
        try:
            with database.session() as session:
                series_id = store.intern(session, store.Owner.run(run_id), METRIC)
            in_process, _ = timed(lambda: _read(database, series_id), requests)
        finally:
            database.dispose()
    kept = _floats(answer["values"])
    if not (
        answer["total"] == n
        and answer["downsampled"]
        and 0 < len(answer["steps"]) <= 1_000
        and np.nanmax(kept) == np.nanmax(values)
        and np.nanmin(kept) == np.nanmin(values)
        and np.isnan(kept).any()
    ):
        raise BenchError(f"{label}: the history to 1,000 points lost points, extremes or gaps")
    for low, got in zip(starts, exact, strict=True):
        part = slice(low, low + 1_000)
        if got["downsampled"] or not (
            got["steps"] == steps[part].tolist()
            and got["timestamps"] == stamps[part].tolist()
            and _same(_floats(got["values"]), values[part])
        ):
            raise BenchError(f"{label}: the range [{low}, {low + 999}] is not exact")
    where = (
        "the series tables' pg_total_relation_size after VACUUM"
        if pg_url
        else ("the SQLite file plus WAL after a TRUNCATE checkpoint")
    )
    server_note = f"`jupyter server` with Studio (started in {server.startup_s:.1f}s)"
    cpu_note = (
        "The server process's CPU time a request, on average: {:.1f} ms (on a shared machine "
        "the wall time also counts waiting for a core"
        + (")." if pg_url is None else "; PostgreSQL's own processes are not counted).")
    )
    return SeriesFigures(
        points=n,
        backend=backend,
        bytes_per_point=size / n,
        bytes_note=(
            f"Studio, {label}: {size / 1e6:,.1f} MB, {where}, less the empty store's. Seeded "
            f"through the series store's append ({SEED_POINTS:,} points a transaction, "
            f"{n / seed_s:,.0f} points/s), not through log_metric (see the write rate)."
        ),
        whole_ms=median(whole) * 1000,
        whole_note=(
            f"Studio, {label}: GET /studio/api/runs/{{id}}/metrics/history?key=loss&"
            f"max_points=1000 from a {server_note}, token auth, one keep-alive connection; "
            f"median of {len(whole)} requests after 3 warm-ups, to the whole body read. "
            f"Checked: {len(answer['steps'])} points of a total of {n:,}, the global min and "
            f"max and the NaN gaps kept. The store's read in-process: "
            f"{in_process.wall_ms:.1f} ms (CPU {in_process.cpu_ms:.1f} ms). "
            + cpu_note.format(whole_cpu)
        ),
        range_ms=median(range_times) * 1000,
        range_note=(
            f"Studio, {label}: the same route with min_step and max_step 999 apart (and "
            f"max_points=1000) at {len(starts)} random places, the first 3 untimed; every "
            "answer exact: the 1,000 steps, timestamps and values stored, not downsampled. "
            + cpu_note.format(range_cpu)
        ),
        range_starts=starts,
    )


def server_cpu_ms(server: ServerProcess) -> float:
    """The CPU time (user and system) the server's process has used so far, in ms."""
    assert server.process is not None
    times = psutil.Process(server.process.pid).cpu_times()
    return (times.user + times.system) * 1000


def _read(database: Database, series_id: int) -> store.SeriesPoints:
    with database.session() as session:
        return store.read(session, series_id, max_points=1_000)


def measure_codec() -> list[Row]:
    steps, stamps, values = make_curve(4_096, seed=3)
    payload = encode_points(steps, stamps, values)
    encode, _ = timed(lambda: encode_points(steps, stamps, values), repeats=200)
    decode, decoded = timed(lambda: decode_points(payload), repeats=200)
    if decoded[0].tolist() != steps.tolist():
        raise BenchError("the codec lost points")
    note = f"payload {len(payload) / 4_096:.2f} bytes a point; CPU time {encode.cpu_ms:.2f} ms"
    return [
        Row("encode a 4,096-point chunk", "ms", encode.wall_ms, None, False, 1.0, [note]),
        Row("decode a 4,096-point chunk", "ms", decode.wall_ms, None, False, 1.0),
    ]
