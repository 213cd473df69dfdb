"""A run's series of another kind through `TrackingService.series` (issue 8, item 6), at the
debugger's scale: 100 tensors x 10 statistics saved every 10 steps over 100,000 steps.

    PYTHONPATH=. .venv/bin/python tests/bench/bench_run_series.py [--saves N]
        [--per-append K ...] [--postgres URL] [--json PATH]

A save is one step's 1,000 statistics, one point each. `--per-append K` appends K saves in
one call (K points per series), as a writer that buffers between flushes would; K=1 is a
call per save. For each K, on a fresh store: the write time per save (the whole run's write
time divided by its saves) and the slowest single call; then, on the last store, the read
of one statistic downsampled to 1,000 points, a 1,000-step range at full resolution, ten
statistics of one tensor downsampled in one call, and the listing of the run's series
(reads: the median of 15 after 2 warm-ups). Every read is checked against what was written.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from harness import BenchError, Row, machine_info, median, render_table, write_json

from studio.db.engine import Database
from studio.tracking.service import TrackingService
from studio.tracking.store import TrackingStore

TENSORS = 100
STATS = ("count", "mean", "std", "min", "max", "l1", "l2", "zeros", "nan", "inf")
EVERY = 10
KEYS = [f"layer{t}.weight/{stat}" for t in range(TENSORS) for stat in STATS]


@contextmanager
def fresh_service(postgres: str | None, folder: Path, name: str) -> Iterator[TrackingService]:
    if postgres is None:
        database = Database(f"sqlite:///{folder / name}.db")
        try:
            yield TrackingService(TrackingStore(database, str(folder / "artifacts")))
        finally:
            database.dispose()
        return
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.databases import fresh_server_database

    with fresh_server_database(postgres) as url:
        database = Database(url)
        try:
            yield TrackingService(TrackingStore(database, str(folder / "artifacts")))
        finally:
            database.dispose()


def values_at(saves: np.ndarray) -> np.ndarray:
    """Every statistic's value at these saves: (len(KEYS), len(saves)), reproducible."""
    phase = np.arange(len(KEYS))[:, None]
    return np.sin(saves[None, :] / 97.0 + phase) + (saves[None, :] % 7) * 0.01


def measure_writes(service: TrackingService, run_id: str, saves: int, per: int) -> list[float]:
    calls = []
    for first in range(0, saves, per):
        index = np.arange(first, min(first + per, saves))
        steps = index * EVERY
        stamps = 1_700_000_000_000 + steps * 3
        values = values_at(index)
        points = {key: (steps, stamps, values[n]) for n, key in enumerate(KEYS)}
        start = time.perf_counter()
        service.series.append(run_id, "tensor", points)
        calls.append(time.perf_counter() - start)
    return calls


def timed(call: object, repeats: int = 15, warmups: int = 2) -> float:
    assert callable(call)
    for _ in range(warmups):
        call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return median(times)


def measure_reads(service: TrackingService, run_id: str, saves: int, backend: str) -> list[Row]:
    series = service.series
    key = KEYS[3]
    expected = values_at(np.arange(saves))[3]
    shown = series.read(run_id, "tensor", key, 1000)
    if shown.downsampled != (saves > 1000) or len(shown.steps) > 1000 or shown.total != saves:
        raise BenchError(f"bad downsampled read: {len(shown.steps)} of {shown.total}")
    if max(shown.values) != expected.max() or min(shown.values) != expected.min():
        raise BenchError("the downsampled read lost an extreme")
    low = saves // 2 * EVERY
    ranged = series.read(run_id, "tensor", key, min_step=low, max_step=low + 999 * EVERY)
    if ranged.values != expected[saves // 2 : saves // 2 + 1000].tolist():  # fewer at the end
        raise BenchError("the range read is not exact")
    tensor = [k for k in KEYS if k.startswith("layer7.")]
    listed = series.list_series(run_id, "tensor")
    if len(listed) != len(KEYS) or {info.count for info in listed} != {saves}:
        raise BenchError("the listing is wrong")
    return [
        Row(
            f"one statistic of {saves:,} points downsampled to 1,000 ({backend})",
            "ms",
            timed(lambda: series.read(run_id, "tensor", key, 1000)),
            None,
            False,
        ),
        Row(
            f"1,000-step range at full resolution ({backend})",
            "ms",
            timed(lambda: series.read(run_id, "tensor", key, min_step=low, max_step=low + 9990)),
            None,
            False,
        ),
        Row(
            f"10 statistics of one tensor downsampled to 1,000, one call ({backend})",
            "ms",
            timed(lambda: series.read_many(run_id, "tensor", tensor, 1000)),
            None,
            False,
        ),
        Row(
            f"list the run's {len(KEYS):,} series ({backend})",
            "ms",
            timed(lambda: series.list_series(run_id, "tensor")),
            None,
            False,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=100_000 // EVERY)
    parser.add_argument("--per-append", type=int, nargs="+", default=[10, 1])
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a database is made on it)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    backend = "PostgreSQL" if args.postgres else "SQLite"
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="studio-bench-run-series-") as folder:
        for per in args.per_append:
            with fresh_service(args.postgres, Path(folder), f"run-series-{per}") as service:
                run_id = service.create_run(service.create_experiment("bench").id).id
                start = time.perf_counter()
                calls = measure_writes(service, run_id, args.saves, per)
                total = time.perf_counter() - start
                label = f"{per} saves per call" if per > 1 else "a call per save"
                rows.append(
                    Row(
                        f"write one save of {len(KEYS):,} statistics, {label} ({backend})",
                        "ms",
                        total / args.saves * 1000,
                        None,
                        False,
                        notes=[f"slowest call {max(calls) * 1000:.0f} ms, {len(calls)} calls"],
                    )
                )
                if per == args.per_append[-1]:
                    rows += measure_reads(service, run_id, args.saves, backend)
    print(render_table(rows))
    if args.json:
        write_json(args.json, rows, machine_info({"cwd": os.getcwd()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
