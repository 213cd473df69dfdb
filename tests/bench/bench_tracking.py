"""Experiment tracking, Studio beside MLflow: the performance figures of issue 2.

    python tests/bench/bench_tracking.py [--json figures.json] [--quick] [--keep]

Four figures, each measured for Studio and for MLflow (SQLite backend) in this one run, like
for like (the same sizes, the same kind of call, the same SQLite durability, the median of
the same number of runs):
1. per-call `log_metric` from a notebook-like loop: points/s accepted and durably written,
   against MLflow's asynchronous logging, at SQLite synchronous=NORMAL and FULL
   (log_metric.py);
2. a 100,000-point metric history through the REST API, downsampled to 1,000 points, against
   MLflow's sampled history route;
3. `search_runs` over 10,000 runs with a metric filter and ordering, first page of 100;
4. the time a fresh process takes to its first durable point (import, start_run, one
   log_metric, flush), and the bare import time (startup.py).

Every file either tool writes goes into one temporary folder, removed at the end. The script
fails (non-zero exit) only when something breaks; missed targets are reported in the table.
See README.md beside it for what each figure means.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import urllib.parse
from collections.abc import Callable, Sequence
from pathlib import Path

from harness import (
    BenchError,
    Row,
    Sandbox,
    machine_info,
    median,
    render_table,
    write_json,
)
from log_metric import figure_log_metric
from mlflow_side import (
    mlflow_history,
    mlflow_sqlite_pragmas,
    mlflow_store,
    mlflow_version,
    quiet_mlflow,
    seed_mlflow_runs,
)
from startup import figure_first_point
from studio_side import studio_server
from workload import (
    FILTER,
    METRIC,
    Sizes,
    check_downsampled,
    check_page,
    progress,
    series,
    time_calls,
    yes,
)

import studio
from studio.config import StudioConfig
from studio.tracking.entities import RunStatus
from studio.tracking.service import TrackingService

# The issue's targets, all for Studio (log_metric.py and startup.py hold their figures').
TARGET_HISTORY_MS = 100.0
TARGET_SEARCH_MS = 100.0


def studio_service(home: Path) -> TrackingService:
    """The store/service layer of a Studio home, for fast seeding."""
    return TrackingService.from_config(StudioConfig.resolve(home=home))


# Figure 2: metric history through the REST API ----------------------------------------------


def studio_history(
    sandbox: Sandbox, values: Sequence[float], sizes: Sizes
) -> tuple[list[float], str]:
    """Latencies (s) of Studio's REST history route from a real jupyter server; a note."""
    home = sandbox.fresh("studio-history")
    with studio.start_run(experiment="bench", tracking_uri=str(home)) as run:
        for step, value in enumerate(values):
            run.log_metric(METRIC, value, step=step)
        run_id = run.id
    query = urllib.parse.urlencode({"key": METRIC, "max_points": sizes.history_max_points})
    path = f"/studio/api/runs/{run_id}/metrics/history?{query}"
    with studio_server(home, f"sqlite:///{home / 'studio.db'}") as (server, client):
        timings, body = client.time_gets(path, sizes.requests)
        answer = client.get_json(path)
    # The same read in-process, without HTTP: how much of the latency is the store's.
    client_timings, _ = time_calls(
        lambda: studio.Client(str(home)).get_metric_history(
            run_id, METRIC, sizes.history_max_points
        ),
        sizes.requests,
    )
    if answer.get("total") != len(values) or not answer.get("downsampled"):
        raise BenchError(f"Studio's history answer is not a downsampled {len(values)}: {answer}")
    kept_min, kept_max = check_downsampled(
        values, answer["values"], sizes.history_max_points, "Studio"
    )
    note = (
        f"Studio: GET /studio/api/runs/{{id}}/metrics/history?max_points="
        f"{sizes.history_max_points} on a jupyter server (extension loaded, token auth) "
        f"started in {server.startup_s:.1f}s; {len(answer['values'])} points back, global "
        f"min kept: {yes(kept_min)}, max kept: {yes(kept_max)}; {len(body):,} bytes. "
        f"Median of {sizes.requests} requests after 3 warm-ups on one keep-alive "
        "connection, from sending the GET to having read the whole body. The same call "
        f"in-process (studio.Client.get_metric_history): {median(client_timings) * 1000:.1f} ms."
    )
    return timings, note


def figure_metric_history(sandbox: Sandbox, sizes: Sizes) -> list[Row]:
    values = series(sizes.history_points, seed=1)
    studio_timings, studio_note = studio_history(sandbox, values, sizes)
    studio_ms = median(studio_timings) * 1000
    progress(f"history: Studio median {studio_ms:.1f} ms")
    ml = mlflow_history(sandbox, values, sizes)
    progress(f"history: MLflow median {median(ml.full) * 1000:.1f} ms (all points)")
    figure = f"metric history {sizes.history_points:,} -> {sizes.history_max_points:,} (REST)"
    full_ms = median(ml.full) * 1000
    if ml.sampled is None:  # mlflow server did not start: only its in-process full read
        return [
            Row(figure, "ms", studio_ms, full_ms, higher_is_better=False,
                target=TARGET_HISTORY_MS, notes=[studio_note, ml.full_note]),
        ]  # fmt: skip
    sampled_ms = median(ml.sampled) * 1000
    progress(f"history: MLflow sampled route median {sampled_ms:.1f} ms")
    return [
        # The headline: both servers answer with at most max_points points.
        Row(
            figure,
            "ms",
            studio_ms,
            sampled_ms,
            higher_is_better=False,
            target=TARGET_HISTORY_MS,
            notes=[studio_note, ml.sampled_note],
        ),
        Row(
            "  MLflow full history (all points)",
            "ms",
            studio_ms,
            full_ms,
            higher_is_better=False,
            notes=[ml.full_note],
        ),
    ]


# Figure 3: search_runs -----------------------------------------------------------------------


def seed_studio_runs(home: Path, count: int) -> float:
    """`count` finished runs through the service's create_run (one transaction each)."""
    service = studio_service(home)
    experiment = service.create_experiment("bench")
    rng = random.Random(2)
    started = time.perf_counter()
    for index in range(count):
        stamp = int(time.time() * 1000)
        service.create_run(
            experiment.id,
            name=f"run-{index}",
            params={"learning_rate": rng.choice([0.1, 0.01, 0.001]), "max_depth": index % 10},
            metrics=[("accuracy", rng.random(), 0, stamp), ("loss", rng.random(), 0, stamp)],
            status=RunStatus.FINISHED,
        )
    return time.perf_counter() - started


def figure_search_runs(sandbox: Sandbox, sizes: Sizes) -> list[Row]:
    home = sandbox.fresh("studio-search")
    seconds = seed_studio_runs(home, sizes.runs)
    progress(f"search: seeded {sizes.runs:,} Studio runs in {seconds:.0f}s")
    client = studio.Client(str(home))
    studio_timings, page = time_calls(
        lambda: client.search_runs(
            "bench", filter=FILTER, order_by="metrics.accuracy desc", max_results=100
        ),
        sizes.searches,
    )
    check_page([run.metrics["accuracy"].last for run in page], 100, "Studio")
    progress(f"search: Studio median {median(studio_timings) * 1000:.1f} ms")

    mlflow_home = sandbox.fresh("mlflow-search")
    # Seeding is not timed: MLflow's connections skip the fsync of its 30,000 commits
    # (synchronous=OFF, in WAL mode as Studio's store), which leaves the same rows to search.
    with mlflow_sqlite_pragmas("OFF"):
        _, ml_client, experiment_id = mlflow_store(mlflow_home)
        started = time.perf_counter()
        made = seed_mlflow_runs(ml_client, experiment_id, sizes.runs, sizes.mlflow_seed_budget_s)
        mlflow_seed_s = time.perf_counter() - started
    progress(f"search: seeded {made:,} MLflow runs in {mlflow_seed_s:.0f}s")
    mlflow_timings, ml_page = time_calls(
        lambda: ml_client.search_runs(
            [experiment_id],
            filter_string=FILTER,
            order_by=["metrics.accuracy DESC"],
            max_results=100,
        ),
        sizes.searches,
        warmup=1,
        budget_s=sizes.mlflow_search_budget_s,
    )
    check_page([run.data.metrics["accuracy"] for run in ml_page], 100, "MLflow")
    progress(f"search: MLflow median {median(mlflow_timings) * 1000:.1f} ms")
    fewer = (
        f" MLflow had only {made:,} runs: its seeding ({made / mlflow_seed_s:,.0f} runs/s) "
        f"stopped at the {sizes.mlflow_seed_budget_s:.0f}s budget, which favours MLflow."
        if made < sizes.runs
        else ""
    )
    return [
        Row(
            f"search_runs, {sizes.runs:,} runs, first 100",
            "ms",
            median(studio_timings) * 1000,
            median(mlflow_timings) * 1000,
            higher_is_better=False,
            target=TARGET_SEARCH_MS,
            notes=[
                f'filter "{FILTER}", ordered by metrics.accuracy descending, max_results=100, '
                "in-process; each page checked. Studio: studio.Client(home).search_runs, "
                f"median of {len(studio_timings)} after 2 warm-ups; runs seeded with the "
                f"service's create_run(..., metrics=..., status=FINISHED) in {seconds:.0f}s. "
                f"MLflow: MlflowClient.search_runs, median of {len(mlflow_timings)} after a "
                f"warm-up (at most {sizes.mlflow_search_budget_s:.0f}s of searches); "
                f"{made:,} runs seeded with create_run + log_batch + set_terminated in "
                f"{mlflow_seed_s:.0f}s, its SQLite at synchronous=OFF while seeding, in WAL "
                f"mode as Studio's (MLflow {mlflow_version()})." + fewer
            ],
        )
    ]


# Main ----------------------------------------------------------------------------------------

FIGURES: dict[str, Callable[[Sandbox, Sizes], list[Row]]] = {
    "log_metric": figure_log_metric,
    "history": figure_metric_history,
    "search": figure_search_runs,
    "first_point": figure_first_point,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument(
        "--quick", action="store_true", help="small sizes: a smoke run, not figures to report"
    )
    parser.add_argument(
        "--only", choices=sorted(FIGURES), action="append", help="run only this figure"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    json_path = args.json.resolve() if args.json else None
    sizes = Sizes.quick() if args.quick else Sizes()

    started = time.perf_counter()
    rows: list[Row] = []
    # MLflow is imported only inside the sandbox: on import it writes an installation id
    # under the user's config folder unless the sandbox's variables are already set.
    with Sandbox(keep=args.keep) as sandbox:
        quiet_mlflow()
        for name, figure in FIGURES.items():
            if args.only and name not in args.only:
                continue
            progress(f"{name}: measuring")
            rows.extend(figure(sandbox, sizes))
    duration = time.perf_counter() - started
    info = machine_info(
        {
            "studio": studio.__version__,
            "mlflow": mlflow_version(),
            "quick": str(args.quick),
            "duration_s": f"{duration:.0f}",
        }
    )
    title = f"Studio {studio.__version__} vs MLflow {mlflow_version()} (SQLite)"
    print(
        f"\n{title}; {info['cpus']} CPUs, Python {info['python']}, SQLite {info['sqlite']}; "
        f"{duration:.0f}s{' (--quick: sizes too small to judge targets)' if args.quick else ''}"
    )
    print(render_table(rows))
    missed = [row.figure.strip() for row in rows if row.passed is False]
    print(f"\nTargets missed: {', '.join(missed)}" if missed else "\nAll targets met.")
    if json_path is not None:
        write_json(json_path, rows, info)
        print(f"Figures written to {json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
