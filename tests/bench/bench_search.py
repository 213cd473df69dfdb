"""The runs table's searches at 100,000 runs, timed in-process on the store (no HTTP, no browser).

Seeds one experiment of N top-level runs (two metrics, two params each; `tests/browser/seed.py`'s
bulk writer) beside another experiment that logs the same keys, then times
`TrackingService.search_runs` as the runs table asks: a tree-mode page of 100 by offset, with
the count once per change. Prints the median of a few repeats per query, in milliseconds.

    PYTHONPATH=. .venv/bin/python tests/bench/bench_search.py                 # SQLite
    PYTHONPATH=. .venv/bin/python tests/bench/bench_search.py --runs 10000
    PYTHONPATH=. .venv/bin/python tests/bench/bench_search.py --db-url postgresql+psycopg://...

A PostgreSQL database must be empty: the script creates the schema, runs ANALYZE after seeding
and leaves its rows there.
Figures only: a slow query is reported, never a failure.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.browser.seed import seed_many, service_for

PAGE = 100
REPEATS = 5


def queries(runs: int) -> list[tuple[str, dict[str, Any]]]:
    """(label, search_runs arguments) for each figure."""
    last_page = max(runs - PAGE, 0)
    return [
        ("first page, unsorted", {}),
        ("first page, unsorted, with count", {"include_total": True}),
        ("metrics.accuracy DESC, with count", {"order_by": ["metrics.accuracy DESC"],
                                               "include_total": True}),
        ("metrics.accuracy DESC", {"order_by": ["metrics.accuracy DESC"]}),
        ("metrics.accuracy ASC", {"order_by": ["metrics.accuracy ASC"]}),
        ("metrics.loss DESC, offset 5,000", {"order_by": ["metrics.loss DESC"], "offset": 5000}),
        ("params.max_depth ASC", {"order_by": ["params.max_depth ASC"]}),
        ("name ASC", {"order_by": ["name ASC"]}),
        (f"unsorted, offset {last_page:,}", {"offset": last_page}),
        (f"metrics.accuracy DESC, offset {last_page:,}",
         {"order_by": ["metrics.accuracy DESC"], "offset": last_page}),
        ("filter metrics.accuracy > 0.5, sorted, with count",
         {"filter": "metrics.accuracy > 0.5", "order_by": ["metrics.accuracy DESC"],
          "include_total": True}),
    ]  # fmt: skip


def time_ms(call: Any) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument(
        "--other-runs",
        type=int,
        default=50_000,
        help="runs of a second experiment that logs the same keys",
    )
    parser.add_argument("--db-url", default=None, help="an empty database (default: SQLite)")
    args = parser.parse_args(argv)  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="studio-bench-search-") as folder:
        home = Path(folder)
        started = time.perf_counter()
        seed_many(home, args.other_runs, "other", db_url=args.db_url)
        experiment_id = seed_many(home, args.runs, "bench", db_url=args.db_url)
        print(f"seeded {args.runs:,} + {args.other_runs:,} runs in "
              f"{time.perf_counter() - started:.1f} s", file=sys.stderr)  # fmt: skip
        service = service_for(home, args.db_url)
        try:
            database = service.store.db.engine.dialect.name
            if database == "postgresql":
                # Statistics as autovacuum keeps them; right after a bulk load they may still
                # describe a table without the new experiment.
                with service.store.db.engine.connect() as connection:
                    connection.exec_driver_sql("ANALYZE")
                    connection.commit()
            print(f"{database}, {args.runs:,} runs, page of {PAGE}, median of {REPEATS} (ms)")
            for label, arguments in queries(args.runs):

                def search(arguments: dict[str, Any] = arguments) -> None:
                    service.search_runs([experiment_id], max_results=PAGE, tree=True, **arguments)

                search()  # warm the cache: the table asks again and again
                timings = [time_ms(search) for _ in range(REPEATS)]
                print(f"  {label:<52} {statistics.median(timings):8.1f}")
        finally:
            service.store.db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
