"""The million-point migration (issue 8): a store at revision 0004 (one row a point in
`metrics`) filled with 1,000,000 points, then `studio db upgrade`, on SQLite and PostgreSQL.

    PYTHONPATH=. .venv/bin/python tests/bench/bench_migration.py [--quick] [--points N]
        [--postgres URL | --no-postgres] [--json PATH]

The store is made by Studio's own migrations up to 0004, as `make test`'s migration tests
make theirs (tests/db/test_migration_metrics.py, on a smaller store), and filled straight
into its `metrics` table (not timed): 4 runs x 5 keys, each series in shuffled order with
a repeated step, NaN (NULL on SQLite, as that revision kept it) and the infinities. Then the
`studio db upgrade` command runs in a child process, timed from its start to its exit; its
output must name the revisions it will apply before it applies them. Afterwards every series
is read back through the series store and compared with what was written, point by point
(steps, timestamps and values, every point counted); a difference is an error. PostgreSQL is
a throwaway cluster (tests/pg_cluster.sh) unless `--postgres` names a server.
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from harness import (
    BenchError,
    Row,
    Sandbox,
    child_environment,
    machine_info,
    postgres_server,
    render_table,
    write_json,
)
from series_studio import fresh_store
from workload import progress

from studio.db.engine import SCHEMA_REVISION, Database
from studio.tracking.series import store

BEFORE = "0004"
RUNS, KEYS = 4, 5
COPY_ROWS = 100_000

Series = tuple[np.ndarray, np.ndarray, np.ndarray]  # steps, timestamps, values


def make_points(total: int) -> dict[tuple[str, str], Series]:
    """RUNS x KEYS series sharing `total` points, each with a repeated step, NaN and both
    infinities, in shuffled order (the migration must read them back in step order)."""
    rng = np.random.default_rng(5)
    each = total // (RUNS * KEYS)
    made: dict[tuple[str, str], Series] = {}
    for run in range(RUNS):
        for key in range(KEYS):
            steps = np.arange(each, dtype=np.int64)
            steps[each // 2] = steps[each // 2 - 1]  # a step logged twice
            stamps = 1_700_000_000_000 + steps * 40 + rng.integers(0, 3, each)
            values = np.sin(steps / 500.0) + rng.normal(0, 0.01, each)
            values[rng.choice(each, 3, replace=False)] = [math.nan, math.inf, -math.inf]
            order = rng.permutation(each)
            made[(f"run{run}", f"metric/{key}")] = (steps[order], stamps[order], values[order])
    return made


def fill(db_url: str, points: dict[tuple[str, str], Series]) -> None:
    """The store at revision 0004, with the runs and their points in `metrics`."""
    database = Database(db_url)
    try:
        database.upgrade(BEFORE)
        with database.engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO experiments (id, name, description, tags, archived, created_at, "
                "updated_at) VALUES (1, 'bench', '', '{}', false, 1, 1)"
            )
            for run in sorted({run for run, _ in points}):
                connection.exec_driver_sql(
                    "INSERT INTO runs (id, experiment_id, name, status, start_time, "
                    f"artifact_uri) VALUES ('{run}', 1, '{run}', 'FINISHED', 1, '/unused')"
                )
        raw = database.engine.raw_connection()
        try:
            cursor = raw.cursor()
            if database.is_sqlite:
                # The rows come in no order: a large page cache keeps the index's random
                # inserts from going to disk (only the filling, which is not timed).
                cursor.execute("PRAGMA cache_size = -262144")
            for (run, key), (steps, stamps, values) in points.items():
                rows = [
                    (run, key, int(s), int(t), None if math.isnan(v) else float(v))
                    for s, t, v in zip(steps, stamps, values, strict=True)
                ]
                if database.is_sqlite:
                    cursor.executemany(
                        "INSERT INTO metrics (run_id, key, step, timestamp, value) "
                        "VALUES (?, ?, ?, ?, ?)",
                        rows,
                    )
                else:
                    with cursor.copy(
                        "COPY metrics (run_id, key, step, timestamp, value) FROM STDIN"
                    ) as copy:
                        for row in rows:
                            copy.write_row(row)
            raw.commit()
        finally:
            raw.close()
        if database.current_revision() != BEFORE:
            raise BenchError(f"the store is at {database.current_revision()}, not {BEFORE}")
    finally:
        database.dispose()


def upgrade(db_url: str, folder: Path) -> tuple[float, str]:
    """Seconds `studio db upgrade` took in a child process, and what it printed."""
    command = [
        sys.executable, "-c", "import sys; from studio.cli import main; sys.exit(main())",
        "--db-url", db_url, "db", "upgrade",
    ]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(
        command, env=child_environment({}), cwd=folder, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    output = done.stdout + done.stderr
    if done.returncode != 0:
        raise BenchError(f"studio db upgrade failed ({done.returncode}):\n{output[-3000:]}")
    plan, result = done.stdout.find("will apply 0006"), done.stdout.find(f"-> {SCHEMA_REVISION}")
    if not 0 <= plan < result:
        raise BenchError(f"studio db upgrade did not say what it would do first:\n{output}")
    return seconds, output


def check(db_url: str, points: dict[tuple[str, str], Series]) -> int:
    """Every series as written, point by point; the number of points compared."""
    database = Database(db_url)
    compared = 0
    try:
        if database.current_revision() != SCHEMA_REVISION:
            raise BenchError(f"the store ended at {database.current_revision()}")
        with database.session() as session:
            connection = session.connection()
            ids = {
                (run, key): series_id
                for series_id, run, key in connection.exec_driver_sql(
                    "SELECT id, owner_id, key FROM series "
                    "WHERE owner_kind = 'run' AND kind = 'metric'"
                )
            }
            if set(ids) != set(points):
                raise BenchError("the series are not the (run, key) pairs that metrics held")
            for (run, key), (steps, stamps, values) in points.items():
                read = store.read(session, ids[run, key])
                order = np.lexsort((values, stamps, steps))
                want = (steps[order], stamps[order], values[order])
                got_order = np.lexsort((read.values, read.timestamps, read.steps))
                got = (read.steps[got_order], read.timestamps[got_order], read.values[got_order])
                if not (
                    np.array_equal(got[0], want[0])
                    and np.array_equal(got[1], want[1])
                    and np.array_equal(got[2], want[2], equal_nan=True)
                ):
                    raise BenchError(f"{run}/{key}: the series differs from the rows it was")
                compared += len(read.steps)
    finally:
        database.dispose()
    total = sum(len(series[0]) for series in points.values())
    if compared != total:
        raise BenchError(f"{compared} of {total} points reached their series")
    return compared


def measure(sandbox: Sandbox, backend: str, pg_url: str | None, total: int) -> Row:
    points = make_points(total)
    n = sum(len(series[0]) for series in points.values())
    home = sandbox.fresh(f"migration-{backend.lower()}")
    with fresh_store(home, pg_url) as db_url:
        started = time.perf_counter()
        fill(db_url, points)
        progress(f"migration: {n:,} points into metrics on {backend} in "
                 f"{time.perf_counter() - started:.0f}s")  # fmt: skip
        seconds, output = upgrade(db_url, home)
        progress(f"migration: studio db upgrade on {backend} in {seconds:.1f}s")
        compared = check(db_url, points)
    moved = [line for line in output.splitlines() if "points moved" in line]
    return Row(
        f"studio db upgrade {BEFORE} -> {SCHEMA_REVISION}, {n:,} points, {backend}",
        "s",
        seconds,
        None,
        False,
        notes=[
            f"{len(points)} series ({RUNS} runs x {KEYS} keys) of {n // len(points):,} points "
            f"in `metrics` at revision {BEFORE}; the command's whole run in a child process "
            f"({n / seconds:,.0f} points/s, the interpreter's start included); then all "
            f"{compared:,} points compared with those written, one by one. It printed: "
            f"{'; '.join(moved) or '(no progress line)'}."
        ],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100,000 points (smoke run)")
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a database is made on it)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    total = 100_000 if args.quick else args.points
    json_path = args.json.resolve() if args.json else None
    rows = []
    with (
        Sandbox() as sandbox,
        postgres_server(args.postgres, skip=args.no_postgres) as pg_url,
    ):
        rows.append(measure(sandbox, "SQLite", None, total))
        if pg_url:
            rows.append(measure(sandbox, "PostgreSQL", pg_url, total))
    print(render_table(rows))
    if json_path is not None:
        write_json(json_path, rows, machine_info({"quick": str(args.quick)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
