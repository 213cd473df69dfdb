"""What recording costs a serving worker (issue 11, item 4): `Recorder.record` per call on the
event loop, and one flush of 2,000 answers (counters, prediction rows, a Parquet file and its
pointer, waiting labels matched) on SQLite and PostgreSQL.

    PYTHONPATH=. .venv/bin/python tests/bench/bench_recorder.py [--calls N]
        [--postgres URL | --no-postgres]

`record` is timed in one thread with 100% capture and a known task (the dearest path), and
with capture off, as the median of 5 rounds of N calls (default 20,000). The flush is the
median of 7 flushes of 2,000 answers each (a 200-byte body, one prediction), into a fresh
store; every flushed answer is checked in the store and the capture files.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq
from harness import BenchError, postgres_server
from sqlalchemy import func, select

from studio.config import StudioConfig
from studio.db.engine import Database
from studio.serving.entities import EndpointConfig, Task
from studio.serving.orm import SqlEndpoint, SqlEndpointPrediction
from studio.serving.recorder import Recorder

BODY = b'{"dataframe_split": {"columns": ["a", "b", "c"], "data": [[1.5, 2.5, 3.5]]}}' * 2
FLUSH_RECORDS = 2_000


def endpoint(database: Database) -> int:
    now = time.time_ns()
    with database.session(write=True) as session:
        row = SqlEndpoint(
            name=f"bench-{now}", description="", config_version=1, capture=1.0, task=None,
            token_hash=None, proxy_key="k" * 32, host="127.0.0.1", port=None, workers=1,
            evaluation_since=0, created_at=now // 10**6, updated_at=now // 10**6,
        )  # fmt: skip
        session.add(row)
        session.flush()
        return int(row.id)


def recorder_for(database: Database, folder: Path, capture: float) -> Recorder:
    endpoint_id = endpoint(database)
    config = StudioConfig(home=folder, db_url=database.url, artifact_root=str(folder / "art"))
    recorder = Recorder(database, config, endpoint_id, "bench", "w1")
    recorder.set_config(EndpointConfig(endpoint_id, "bench", 1, capture, Task.CLASSIFICATION, None))
    return recorder


def answer(recorder: Recorder, request_id: str) -> None:
    recorder.record(
        request_id=request_id, variant="A", shadow=False, latency_ms=1.3, ok=True, rows=1,
        body=BODY, content_type="application/json", predictions=[1], error=None,
    )  # fmt: skip


def record_cost(url: str, folder: Path, capture: float, calls: int) -> float:
    """Microseconds per `record` call, the median of 5 rounds. Calls come in chunks of 1,000
    with an (untimed) flush between them, as a worker flushes every second: a buffer left to
    grow makes the garbage collector's passes, and so each call, dearer."""
    database = Database(url)
    try:
        rounds = []
        for round_number in range(5):
            recorder = recorder_for(database, folder / f"r{capture}-{round_number}", capture)
            elapsed = 0.0
            for chunk in range(max(1, calls // 1_000)):
                ids = [f"req-{round_number}-{chunk}-{index}" for index in range(1_000)]
                started = time.perf_counter()
                for request_id in ids:
                    answer(recorder, request_id)
                elapsed += time.perf_counter() - started
                recorder.flush()
            rounds.append(elapsed / (max(1, calls // 1_000) * 1_000) * 1e6)
        return statistics.median(rounds)
    finally:
        database.dispose()


def flush_time(url: str, folder: Path) -> float:
    """Milliseconds per flush of FLUSH_RECORDS answers, the median of 7."""
    database = Database(url)
    try:
        recorder = recorder_for(database, folder / "flush", 1.0)
        times = []
        for round_number in range(7):
            for index in range(FLUSH_RECORDS):
                answer(recorder, f"f{round_number}-{index}")
            started = time.perf_counter()
            recorder.flush()
            times.append((time.perf_counter() - started) * 1000)
            if recorder.pending():
                raise BenchError("a flush left records behind")
        with database.session() as session:
            stored = session.scalar(
                select(func.count()).where(
                    SqlEndpointPrediction.endpoint_id == recorder.endpoint_id
                )
            )
        files = sorted((folder / "flush" / "art").rglob("*.parquet"))
        captured = sum(pq.read_metadata(file).num_rows for file in files)
        if stored != 7 * FLUSH_RECORDS or captured != 7 * FLUSH_RECORDS:
            raise BenchError(
                f"{stored} predictions and {captured} captured, not {7 * FLUSH_RECORDS}"
            )
        return statistics.median(times)
    finally:
        database.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--postgres", help="a PostgreSQL server URL (default: a throwaway one)")
    parser.add_argument("--no-postgres", action="store_true")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="studio-bench-recorder-") as scratch:
        folder = Path(scratch)
        sqlite_url = f"sqlite:///{folder / 'studio.db'}"
        full = record_cost(sqlite_url, folder, 1.0, options.calls)
        print(f"record, capture 100%: {full:.2f} us/call")
        bare = record_cost(sqlite_url, folder, 0.0, options.calls)
        print(f"record, capture off:  {bare:.2f} us/call")
        flushed = flush_time(sqlite_url, folder)
        print(f"flush of {FLUSH_RECORDS:,} answers, SQLite: {flushed:.1f} ms")
        with postgres_server(options.postgres, skip=options.no_postgres) as url:
            if url is not None:
                flushed = flush_time(url, folder / "pg")
                print(f"flush of {FLUSH_RECORDS:,} answers, PostgreSQL: {flushed:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
