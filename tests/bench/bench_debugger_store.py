"""The debugger's storage at scale (issue 9, item 1): a long run of 100 tensors x 10 statistics
every 10 steps over 100,000 steps (10,000 saves, 10,000,000 points) written and read back.

    PYTHONPATH=. .venv/bin/python tests/bench/bench_debugger_store.py [--quick] [--steps N]
        [--per-call K] [--postgres URL | --no-postgres | --no-sqlite] [--json PATH]

Written through `DebuggerService.save_tensor_stats`, K saves (K x 1,000 points) a call, as a
sink that flushes what a training produced since its last write (default 10 saves: 100 steps
at every=10). On SQLite (WAL, `synchronous=NORMAL`) and on PostgreSQL (a throwaway cluster,
tests/pg_cluster.sh, unless `--postgres` names a server; `--no-postgres`: SQLite only), each
a fresh store. Figures: the write time (and per save), the store's bytes for the run's points
(SQLite: the file and its WAL after a checkpoint; PostgreSQL: the series tables after VACUUM;
each less the empty store's), then reads, the median of 7 after 1 warm-up:

- one statistic of one tensor downsampled to 1,000 points (a chart), through the series read;
- one tensor's ten statistics over a 1,000-step window, as a DataFrame (`get_tensor_stats`
  with `tensor`, `min_step`, `max_step`);
- one tensor's ten statistics over the whole run, as a DataFrame;
- the whole run as a DataFrame (`get_tensor_stats(run_id)`: every point; median of 3).

Last, the same run written as a training writes it: a `StepRecord` a save queued on a
`studio.start_run` run's `RunSink` (`studio.debugger.run_sink`), flushed every 100 saves so
that its bounded queue drops none; its write time, and one tensor read back and checked.

Every read is checked against what was written. `--quick`: 10,000 steps (1,000,000 points).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from bench_run_series import timed
from harness import BenchError, Row, machine_info, postgres_server, render_table, write_json
from sqlalchemy import text

from studio.db.engine import Database
from studio.debugger.service import DebuggerService
from studio.debugger.stats import STATS
from studio.tracking.service import TrackingService
from studio.tracking.store import TrackingStore

TENSORS = [
    f"{collection}/layer{n}.{kind}"
    for n in range(25)
    for collection, kind in (
        ("weights", "weight"),
        ("biases", "bias"),
        ("gradients", "weight"),
        ("gradients", "bias"),
    )
]
EVERY = 10
SERIES_TABLES = ("series", "series_chunks", "series_tail", "series_blocks")


def values_at(saves: np.ndarray) -> np.ndarray:
    """saves x tensors x stats, reproducible from the save index alone."""
    phase = np.arange(len(TENSORS) * len(STATS)).reshape(len(TENSORS), len(STATS))
    wave = np.sin(saves[:, None, None] / 97.0 + phase[None]) * (1 + phase[None] % 5)
    return wave + (saves[:, None, None] % 7) * 0.01


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


def store_bytes(database: Database, folder: Path, name: str) -> int:
    if database.engine.dialect.name == "sqlite":
        path = folder / f"{name}.db"
        with sqlite3.connect(path) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        wal = path.with_name(path.name + "-wal")
        return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    with database.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        for table in SERIES_TABLES:
            connection.execute(text(f"VACUUM ANALYZE {table}"))
        sizes = [
            connection.execute(text(f"SELECT pg_total_relation_size('{table}')")).scalar_one()
            for table in SERIES_TABLES
        ]
    return int(sum(sizes))


def write_run(debugger: DebuggerService, run_id: str, saves: int, per_call: int) -> list[float]:
    calls = []
    for first in range(0, saves, per_call):
        index = np.arange(first, min(first + per_call, saves))
        steps = index * EVERY
        stamps = 1_700_000_000_000 + steps * 3
        values = values_at(index)
        start = time.perf_counter()
        debugger.save_tensor_stats(run_id, "train", steps, TENSORS, values, timestamps=stamps)
        calls.append(time.perf_counter() - start)
    return calls


def write_through_sink(database: Database, folder: Path, saves: int) -> tuple[float, float, str]:
    """The run written as a training's `DebugSession` writes it: a `StepRecord` a save queued
    on the run's `RunSink`, flushed every 100 (so that its bounded queue drops none). Wall and
    CPU seconds, and the run's id."""
    import studio
    from studio.debugger.record import StepRecord
    from studio.debugger.run_sink import RunSink

    os.environ["STUDIO_HOME"] = str(folder / "home")
    url = database.engine.url.render_as_string(hide_password=False)
    with studio.start_run(experiment="bench-sink", name="sink", tracking_uri=url) as run:
        sink = RunSink(run)
        start, cpu = time.perf_counter(), time.process_time()
        for first in range(0, saves, 100):
            index = np.arange(first, min(first + 100, saves))
            values = values_at(index)
            for n, save in enumerate(index):
                step = int(save) * EVERY
                record = StepRecord(step, "train", 1_700_000_000_000 + step * 3, TENSORS, values[n])
                sink.write(record, (), ())
            sink.flush()
        elapsed, used = time.perf_counter() - start, time.process_time() - cpu
        sink.close()
        if sink.dropped:
            raise BenchError(f"the sink dropped {sink.dropped} records")
        return elapsed, used, run.id


def check_frame(frame: object, tensors: list[str], saves: np.ndarray) -> None:
    import pandas as pd

    assert isinstance(frame, pd.DataFrame)
    if len(frame) != len(tensors) * len(saves):
        raise BenchError(f"the frame has {len(frame)} rows, not {len(tensors) * len(saves)}")
    expected = values_at(saves)
    for tensor in {tensors[0], tensors[-1]}:
        rows = frame[frame.tensor == tensor]
        column = TENSORS.index(tensor)
        if not np.array_equal(rows.step.to_numpy(), saves * EVERY):
            raise BenchError(f"{tensor}: wrong steps")
        if not np.array_equal(rows[list(STATS)].to_numpy(), expected[:, column, :]):
            raise BenchError(f"{tensor}: wrong values")


def measure(database: Database, folder: Path, name: str, saves: int, per_call: int) -> list[Row]:
    backend = "PostgreSQL" if database.engine.dialect.name == "postgresql" else "SQLite"
    tracking = TrackingService(TrackingStore(database, str(folder / "artifacts")))
    debugger = DebuggerService(database, None)
    run_id = tracking.create_run(tracking.create_experiment("bench").id).id
    empty = store_bytes(database, folder, name)
    start, cpu = time.perf_counter(), time.process_time()
    calls = write_run(debugger, run_id, saves, per_call)
    written, write_cpu = time.perf_counter() - start, time.process_time() - cpu
    points = saves * len(TENSORS) * len(STATS)
    used = store_bytes(database, folder, name) - empty
    rows = [
        Row(
            f"write {points:,} points, {per_call} saves a call ({backend})",
            "s",
            written,
            None,
            False,
            notes=[
                f"{written / saves * 1000:.2f} ms per save of {len(TENSORS) * len(STATS):,} "
                f"statistics; {len(calls)} calls, the slowest {max(calls) * 1000:.0f} ms; "
                f"{write_cpu:.1f} s of this process's CPU time (the machine's load aside)"
            ],
        ),
        Row(
            f"store size, bytes per point ({backend})",
            "B",
            used / points,
            None,
            False,
            notes=[f"{used / 1e6:.1f} MB for the run's points"],
        ),
    ]
    tensor = TENSORS[42]
    key = f"train/{tensor}/l2"
    every = np.arange(saves)
    chart = debugger.series.read(run_id, "tensor", key, 1000)
    truth = values_at(every)[:, 42, STATS.index("l2")]
    if chart.total != saves or len(chart.steps) > 1000:
        raise BenchError(f"bad chart read: {len(chart.steps)} of {chart.total}")
    if max(chart.values) != truth.max() or min(chart.values) != truth.min():
        raise BenchError("the chart read lost an extreme")
    low = saves // 2 * EVERY
    window = dict(min_step=low, max_step=low + 999)
    check_frame(
        debugger.get_tensor_stats(run_id, tensor, **window), [tensor], every[low // EVERY :][:100]
    )
    check_frame(debugger.get_tensor_stats(run_id, tensor), [tensor], every)
    start, cpu = time.perf_counter(), time.process_time()
    whole = debugger.get_tensor_stats(run_id)
    first, first_cpu = time.perf_counter() - start, time.process_time() - cpu
    check_frame(whole, sorted(TENSORS), every)
    rows += [
        Row(f"one statistic downsampled to 1,000 points ({backend})", "ms",
            timed(lambda: debugger.series.read(run_id, "tensor", key, 1000), 7, 1), None, False),
        Row(f"one tensor, 1,000-step window, DataFrame ({backend})", "ms",
            timed(lambda: debugger.get_tensor_stats(run_id, tensor, **window), 7, 1), None, False),
        Row(f"one tensor, whole run, DataFrame ({backend})", "ms",
            timed(lambda: debugger.get_tensor_stats(run_id, tensor), 7, 1), None, False),
        Row(f"whole run, {points:,} points, DataFrame ({backend})", "s",
            timed(lambda: debugger.get_tensor_stats(run_id), repeats=3, warmups=0) / 1000,
            None, False, notes=[f"first read {first:.2f} s ({first_cpu:.2f} s of CPU); "
                                f"{len(whole):,} rows"]),
    ]  # fmt: skip
    sink_seconds, sink_cpu, sink_run = write_through_sink(database, folder, saves)
    check_frame(debugger.get_tensor_stats(sink_run, tensor), [tensor], every)
    rows.append(
        Row(f"write {points:,} points through the RunSink ({backend})", "s", sink_seconds, None,
            False, notes=[f"{sink_seconds / saves * 1000:.2f} ms per save; {sink_cpu:.1f} s of "
                          "this process's CPU time"])
    )  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="10,000 steps")
    parser.add_argument("--per-call", type=int, default=10, help="saves per save_tensor_stats")
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a database is made on it)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    saves = (10_000 if args.quick else args.steps) // EVERY
    rows: list[Row] = []
    with (
        tempfile.TemporaryDirectory(prefix="studio-bench-debugger-store-") as name,
        postgres_server(args.postgres, skip=args.no_postgres) as postgres,
    ):
        folder = Path(name)
        urls = ([] if args.no_sqlite else [None]) + ([postgres] if postgres else [])
        for url in urls:
            with fresh_store(url, folder, "store") as database:
                rows += measure(database, folder, "store", saves, args.per_call)
            print(render_table(rows), flush=True)
    if args.json:
        write_json(args.json, rows, machine_info({"cwd": os.getcwd()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
