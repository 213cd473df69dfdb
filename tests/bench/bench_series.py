"""Metric series at any length (issue 8): one series of 1,000,000 and of 10,000,000 points, on
SQLite and on PostgreSQL, beside MLflow (SQLite) at 1,000,000 points.

    PYTHONPATH=. .venv/bin/python tests/bench/bench_series.py [--quick] [--sizes N ...]
        [--postgres URL | --no-postgres] [--no-mlflow] [--json PATH] [--keep]

Every store holds the same run shape: one run, one metric `loss`, one point a step (a noisy
decaying curve with spikes and NaN gaps, timestamps about 37 ms apart). PostgreSQL is a
throwaway cluster (tests/pg_cluster.sh) unless `--postgres` names a server; each store is a
fresh database on it. Figures (series_studio.py and series_mlflow.py say exactly what each
one times, the table's notes too):
- bytes per point on disk (target at most 24): SQLite, the database file plus its WAL after
  `PRAGMA wal_checkpoint(TRUNCATE)`; PostgreSQL, `pg_total_relation_size` of the series
  tables after `VACUUM`; MLflow's SQLite file as Studio's;
- the whole series downsampled to 1,000 points over REST from a real `jupyter server` with
  Studio (target under 20 ms median), against MLflow's get-history-bulk-interval with
  max_results=1000 from `mlflow server`;
- a 1,000-step range at full resolution over REST (target under 10 ms), at random places;
- the durable write rate of per-call `run.log_metric` plus `flush()`, counted in the database
  afterwards, against MLflow's log_batch (its seeding) and its per-call asynchronous logging;
- the codec: encoding and decoding one 4,096-point chunk.
Seeding 10,000,000 points through 10,000,000 log_metric calls would take minutes a store, so
the stores read and measured are seeded with the series store's own append
(`studio.tracking.series.store.intern/append`, 1,000,000 points a transaction); the write-rate
figure goes through the real client path. Every answer is checked (the number of points, the
extremes and the NaN gaps kept, a range exact to the point); a wrong one is an error.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from harness import (
    Row,
    Sandbox,
    machine_info,
    median,
    postgres_server,
    rate,
    render_table,
    write_json,
)
from log_metric import studio_log_metric
from series_studio import SeriesFigures, make_curve, measure_codec, measure_series
from workload import progress, series

import studio

# The figures before the series store (one row a point), for the notes.
BEFORE = (
    "Before the series store (issue 8's table, one row a point, SQLite): 162 bytes a point "
    "at 1,000,000 points and 184 at 4,000,000; history downsampled to 1,000 points in 591 ms "
    "at 1,000,000 points and 2,426 ms at 4,000,000."
)
SQLITE, POSTGRES = "SQLite", "PostgreSQL"


@dataclass(frozen=True)
class Sizes:
    series: tuple[int, ...] = (1_000_000, 10_000_000)
    mlflow_points: int = 1_000_000
    write_points: int = 1_000_000
    write_repeats: int = 3
    mlflow_write_points: int = 5_000
    requests: int = 25

    @classmethod
    def quick(cls) -> Sizes:
        return cls((100_000,), 20_000, 20_000, 1, 500, 5)


def write_rates(
    sandbox: Sandbox, backend: str, pg_url: str | None, sizes: Sizes
) -> tuple[float, str]:
    """Studio's median durable rate of per-call log_metric + flush on `backend`."""
    from tests.databases import fresh_server_database

    values = series(sizes.write_points, seed=4)
    rates = []
    for attempt in range(sizes.write_repeats):
        home = sandbox.fresh(f"studio-write-{backend.lower()}")
        with fresh_server_database(pg_url) if pg_url else contextlib.nullcontext(None) as db_url:
            _, durable = studio_log_metric(home, values, "NORMAL", db_url)
        rates.append(rate(len(values), durable))
        progress(f"write: Studio on {backend}, run {attempt + 1}: {rates[-1]:,.0f} points/s")
    durability = (
        "SQLite in WAL mode at synchronous=NORMAL (Studio's default)"
        if pg_url is None
        else "PostgreSQL's default durability (the throwaway cluster runs with fsync=off)"
    )
    return median(rates), (
        f"Studio: a loop of run.log_metric('loss', value, step=i) over {len(values):,} points "
        f"then run.flush(), timed to the flush's return; every point then counted in the "
        f"database through a connection of its own. {durability}; median of "
        f"{sizes.write_repeats} runs, each in a fresh store."
    )


def mlflow_rows(
    sandbox: Sandbox, sizes: Sizes, starts: list[int]
) -> tuple[dict[str, float], dict[str, str]]:
    """MLflow's figures at `sizes.mlflow_points` (the same curve and range places as
    Studio's), keyed as the rows they stand beside, and their notes."""
    from mlflow_side import mlflow_log_metric
    from series_mlflow import mlflow_series, mlflow_series_seed_note

    steps, stamps, values = make_curve(sizes.mlflow_points)
    result = mlflow_series(
        sandbox.fresh("mlflow-series"), steps, stamps, values, starts, sizes.requests
    )
    small = series(sizes.mlflow_write_points, seed=4)
    _, durable = mlflow_log_metric(sandbox.fresh("mlflow-per-call"), small, False, "NORMAL")
    per_call = rate(len(small), durable)
    progress(f"write: MLflow per call (async) {per_call:,.0f} points/s")
    return (
        {
            "bytes": result.bytes_per_point,
            "whole": result.whole_ms,
            "range": result.range_ms,
            "write": result.seed_rate,
            "per_call": per_call,
        },
        {
            "bytes": f"MLflow, {sizes.mlflow_points:,} points: its SQLite file plus WAL after a "
            "TRUNCATE checkpoint, less the empty store's, as Studio's (the metrics table, its "
            "primary key and latest_metrics).",
            "whole": result.whole_note,
            "range": result.range_note,
            "write": mlflow_series_seed_note(result),
            "per_call": (
                f"MLflow: mlflow.log_metric(..., synchronous=False) over {len(small):,} points "
                "then mlflow.flush_async_logging(), its SQLite in WAL mode at NORMAL, every "
                "point counted afterwards. Studio column: its durable per-call rate on SQLite."
            ),
        },
    )


def table(
    figures: list[SeriesFigures],
    writes: dict[str, tuple[float, str]],
    ml: dict[str, float],
    ml_notes: dict[str, str],
    first_size: int,
) -> list[Row]:
    """The rows, figure by figure; MLflow beside Studio's SQLite rows of the first size (the
    same size as MLflow's but in --quick, where MLflow's notes give its own)."""

    def beside(key: str, f: SeriesFigures) -> tuple[float | None, list[str]]:
        if key in ml and f.backend == SQLITE and f.points == first_size:
            return ml[key], [ml_notes[key]]
        return None, []

    rows: list[Row] = []
    for f in figures:
        other, notes = beside("bytes", f)
        rows.append(
            Row(f"bytes per point, {f.label}", "B", f.bytes_per_point, other, False, 24.0,
                [f.bytes_note, *notes])
        )  # fmt: skip
    for f in figures:
        other, notes = beside("whole", f)
        rows.append(
            Row(f"history to 1,000 points (REST), {f.label}", "ms", f.whole_ms, other, False,
                20.0, [f.whole_note, *notes])
        )  # fmt: skip
    for f in figures:
        other, notes = beside("range", f)
        rows.append(
            Row(f"1,000-step range, full resolution (REST), {f.label}", "ms", f.range_ms,
                other, False, 10.0, [f.range_note, *notes])
        )  # fmt: skip
    for backend, (studio_rate, note) in writes.items():
        other = ml.get("write") if backend == SQLITE else None
        extra = [ml_notes["write"]] if other is not None else []
        rows.append(
            Row(f"durable write rate, per-call log_metric, {backend}", "points/s", studio_rate,
                other, True, notes=[note, *extra])
        )  # fmt: skip
        if backend == SQLITE and "per_call" in ml:
            rows.append(
                Row("  MLflow per-call log_metric (async)", "points/s", studio_rate,
                    ml["per_call"], True, notes=[ml_notes["per_call"]])
            )  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", help="series lengths (1M and 10M)")
    parser.add_argument("--quick", action="store_true", help="100,000 points only (smoke run)")
    parser.add_argument("--postgres", help="a PostgreSQL server URL (databases are made on it)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-mlflow", action="store_true", help="Studio only")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    sizes = Sizes.quick() if args.quick else Sizes()
    if args.sizes:
        sizes = dataclasses.replace(sizes, series=tuple(args.sizes))
    json_path = args.json.resolve() if args.json else None
    started = time.perf_counter()
    figures: list[SeriesFigures] = []
    writes: dict[str, tuple[float, str]] = {}
    ml: dict[str, float] = {}
    ml_notes: dict[str, str] = {}
    codec_rows = measure_codec()
    with (
        Sandbox(keep=args.keep) as sandbox,
        postgres_server(args.postgres, skip=args.no_postgres) as pg_url,
    ):
        backends = {SQLITE: None, **({POSTGRES: pg_url} if pg_url else {})}
        starts: list[int] = []
        for backend, url in backends.items():
            for n in sizes.series:
                progress(f"series: {n:,} points on {backend}")
                found = measure_series(sandbox, n, backend, url, sizes.requests)
                figures.append(found)
                if n == sizes.mlflow_points:
                    starts = found.range_starts
            writes[backend] = write_rates(sandbox, backend, url, sizes)
        if not args.no_mlflow:
            from mlflow_side import quiet_mlflow

            quiet_mlflow()
            if not starts:
                starts = np.random.default_rng(1).integers(0, sizes.mlflow_points - 1_000, 60)
                starts = [int(s) for s in starts]
            ml, ml_notes = mlflow_rows(sandbox, sizes, starts)
    rows = table(figures, writes, ml, ml_notes, sizes.series[0]) + codec_rows
    rows[0].notes.append(BEFORE)
    duration = time.perf_counter() - started
    info = machine_info(
        {"studio": studio.__version__, "quick": str(args.quick), "duration_s": f"{duration:.0f}"}
    )
    print(
        f"\nStudio {studio.__version__}, series store; {info['cpus']} CPUs, SQLite "
        f"{info['sqlite']}; {duration:.0f}s"
        f"{' (--quick: sizes too small to judge targets)' if args.quick else ''}"
        f"{'' if pg_url else ' (no PostgreSQL)'}"
    )
    print(render_table(rows))
    missed = [row.figure.strip() for row in rows if row.passed is False]
    print(f"\nTargets missed: {', '.join(missed)}" if missed else "\nAll targets met.")
    if json_path is not None:
        write_json(json_path, rows, info)
    return 0


if __name__ == "__main__":
    sys.exit(main())
