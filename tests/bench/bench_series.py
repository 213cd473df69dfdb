"""The series store alone (issue 8): bytes per point on disk, and read times, for one series
of 1,000,000 and of 10,000,000 points.

    PYTHONPATH=. .venv/bin/python tests/bench/bench_series.py [--quick] [--sizes N ...]
        [--postgres URL] [--json PATH]

Each size gets a fresh store (a SQLite file in a temporary folder, or with `--postgres` a
fresh database on that server) holding one series: a noisy decaying curve, one point a step,
timestamps about 37 ms apart, with NaN gaps and spikes, appended through
`studio.tracking.series.store.append` in batches of 10,000 points, one transaction each (the
writer's flushes; the client's writer is not wired to series yet).

Figures (reads: the median of 25 after 3 warm-ups, each in its own session, in-process):
- bytes per point (target at most 24): SQLite, the database file plus its WAL after
  `PRAGMA wal_checkpoint(TRUNCATE)`; PostgreSQL, `pg_total_relation_size` of the series
  tables after `VACUUM`: tables, indexes and TOAST included;
- the whole series downsampled to 1,000 points (target under 20 ms over REST; this is the
  store's share);
- a 1,000-step range at full resolution (target under 10 ms), at random places;
- a 100,000-step range downsampled to 1,000 points;
- the codec: encoding and decoding one 4,096-point chunk.
Every answer is checked (the extremes are kept, a range is exact); a wrong one is an error.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from harness import BenchError, Row, machine_info, median, render_table, write_json
from sqlalchemy import create_engine, text

from studio.db.engine import Database
from studio.tracking.series import store
from studio.tracking.series.codec import decode_points, encode_points

BATCH = 10_000
SERIES_TABLES = ("series", "series_chunks", "series_tail", "series_blocks")


def make_curve(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    steps = np.arange(n, dtype=np.int64)
    stamps = 1_700_000_000_000 + steps * 37 + rng.integers(0, 5, n)
    values = 2.0 * np.exp(-steps / (n / 5)) + rng.normal(0, 0.02, n)
    values[rng.choice(n, max(n // 100_000, 1), replace=False)] += 10.0
    for at in rng.choice(n - 10, max(n // 1_000_000, 1), replace=False):
        values[at : at + 10] = np.nan
    return steps, stamps, values


@contextmanager
def fresh_store(postgres: str | None, folder: Path, name: str) -> Iterator[Database]:
    if postgres is None:
        database = Database(f"sqlite:///{folder / name}.db")
        try:
            yield database
        finally:
            database.dispose()
        return
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.databases import fresh_server_database

    with fresh_server_database(postgres) as url:
        database = Database(url)
        try:
            yield database
        finally:
            database.dispose()


def bytes_on_disk(database: Database) -> int:
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
    includes waiting for a core; this process's CPU time (the database's too, for SQLite,
    which runs in-process) shows what the call itself costs."""

    wall_ms: float
    cpu_ms: float

    @property
    def note(self) -> str:
        return f"median CPU time of this process {self.cpu_ms:.2f} ms"


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


def measure_size(n: int, postgres: str | None, folder: Path) -> list[Row]:
    steps, stamps, values = make_curve(n)
    backend = "PostgreSQL" if postgres else "SQLite"
    label = f"{n:,} points, {backend}"
    with fresh_store(postgres, folder, f"series-{n}") as database:
        database.ensure_schema()
        empty = bytes_on_disk(database)
        with database.session(write=True) as session:
            series_id = store.intern(session, store.Owner.run("bench"), "loss")
        start = time.perf_counter()
        for at in range(0, n, BATCH):
            part = slice(at, at + BATCH)
            with database.session(write=True) as session:
                store.append(session, series_id, steps[part], stamps[part], values[part])
        write_seconds = time.perf_counter() - start
        size = bytes_on_disk(database) - empty

        def read(**kwargs: Any) -> store.SeriesPoints:
            with database.session() as session:
                return store.read(session, series_id, **kwargs)

        whole_ms, whole = timed(lambda: read(max_points=1_000))
        if not (
            whole.downsampled
            and len(whole.steps) <= 1_000
            and np.nanmax(whole.values) == np.nanmax(values)
            and np.nanmin(whole.values) == np.nanmin(values)
            and np.isnan(whole.values).any()
        ):
            raise BenchError(f"{label}: the downsampled series lost its extremes or gaps")
        rng = np.random.default_rng(1)
        starts = iter(rng.integers(0, n - 1_000, 1_000).tolist())

        def window() -> tuple[int, store.SeriesPoints]:
            low = next(starts)
            return low, read(max_points=1_000, min_step=low, max_step=low + 999)

        range_ms, (low, answer) = timed(window)
        if answer.downsampled or answer.steps.tolist() != steps[low : low + 1_000].tolist():
            raise BenchError(f"{label}: a 1,000-step range was not exact")
        zoom_ms, zoom = timed(
            lambda: read(max_points=1_000, min_step=n // 3, max_step=n // 3 + 99_999)
        )
        inside = values[n // 3 : n // 3 + 100_000]
        if np.nanmax(zoom.values) != np.nanmax(inside) or len(zoom.steps) > 1_000:
            raise BenchError(f"{label}: a 100,000-step zoom lost its maximum")

    def row(figure: str, timing: Timing, target: float | None = None) -> Row:
        return Row(f"{figure}, {label}", "ms", timing.wall_ms, None, False, target, [timing.note])

    return [
        Row(f"bytes per point, {label}", "B", size / n, None, False, target=24.0),
        Row(
            f"append rate, {label}",
            "points/s",
            n / write_seconds,
            None,
            True,
            notes=[f"{BATCH:,}-point appends, one transaction each, store library only"],
        ),
        row("whole series to 1,000 points", whole_ms, 20.0),
        row("1,000-step range, full resolution", range_ms, 10.0),
        row("100,000-step range to 1,000 points", zoom_ms),
    ]


def measure_codec() -> list[Row]:
    steps, stamps, values = make_curve(4_096, seed=3)
    payload = encode_points(steps, stamps, values)
    encode_ms, _ = timed(lambda: encode_points(steps, stamps, values), repeats=200)
    decode_ms, decoded = timed(lambda: decode_points(payload), repeats=200)
    if decoded[0].tolist() != steps.tolist():
        raise BenchError("the codec lost points")
    note = f"payload {len(payload) / 4_096:.2f} bytes a point"
    return [
        Row(
            "encode a 4,096-point chunk",
            "ms",
            encode_ms.wall_ms,
            None,
            False,
            target=1.0,
            notes=[note, encode_ms.note],
        ),
        Row(
            "decode a 4,096-point chunk",
            "ms",
            decode_ms.wall_ms,
            None,
            False,
            target=1.0,
            notes=[decode_ms.note],
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--quick", action="store_true", help="100,000 points only (smoke run)")
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a database is made on it)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    sizes = [100_000] if args.quick else args.sizes
    rows = measure_codec()
    with tempfile.TemporaryDirectory(prefix="studio-bench-series-") as folder:
        for n in sizes:
            rows += measure_size(n, args.postgres, Path(folder))
    print(render_table(rows))
    if args.json:
        write_json(args.json, rows, machine_info({"cwd": os.getcwd()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
