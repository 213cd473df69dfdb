"""AutoML: `studio.automl` beside FLAML, same datasets, splits, time budget and machine.

    PYTHONPATH=. .venv/bin/python tests/bench/bench_automl.py [--quick] [--budget S]
        [--seeds N] [--datasets a,b,...] [--long] [--tools flaml,studio] [--json PATH] [--keep]

The performance figures of issue 12. Seven datasets (`automl_datasets.py`): breast cancer,
wine, digits and diabetes from scikit-learn, the Palmer penguins, and two synthetic frames
with categorical columns and missing values (a classification and a regression). For each
dataset and each seed (0, 1, 2: `--seeds 3`), one held-out split (test_size 0.25, the seed as
random_state) and one run of each tool on its training rows with the same time budget (60 s;
`--long` adds 300 s runs on digits and the synthetic classification frame), each in a fresh
process (`automl_sides.py`), one tool then the other, the order swapped at every run so that
the machine's changing load falls on both alike. FLAML is `AutoML().fit(X, y, task=...,
time_budget=B, seed=s)` with its defaults; Studio is `studio.automl(frame, target,
time_budget=B, seed=s)` into a throwaway store. Both are scored here, the same way: held-out
accuracy, or R² for regression, from each tool's `predict` on the same rows.

Printed: each tool's table (score, wall time, candidates tried, best), then both side by
side per dataset (means over the seeds, the difference in %, the share of the budget each
used: FLAML's whole `fit`, Studio's search and its refit/ensemble/evaluation/registration
apart), and whether the issue's goal holds: Studio's mean held-out score at least FLAML's
and never more than 1% below it on any dataset. Last, the overhead of tracking every
candidate: the seconds Studio's process spent in its tracking service on the candidates'
child runs, per candidate, against the seconds spent fitting one.

The script exits non-zero when a run fails, not when the goal is missed (that is in the
table). `--quick` (10 s, one seed, two datasets) is a smoke run whose scores mean nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from automl_datasets import DATASETS, NAMES
from harness import BenchError, Sandbox, child_environment, machine_info

SIDES = Path(__file__).resolve().parent / "automl_sides.py"
TOOLS = ("flaml", "studio")
LONG_DATASETS = ("digits", "synthetic_classification")
QUICK_DATASETS = ("breast_cancer", "synthetic_regression")
# The goal: never more than this far below FLAML on a dataset.
TOLERANCE = 0.01


@dataclass(frozen=True)
class Job:
    dataset: str
    seed: int
    budget: float


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 s, 1 seed, 2 datasets (smoke)")
    parser.add_argument("--budget", type=float, help="seconds per run (default 60)")
    parser.add_argument("--seeds", type=int, help="split seeds 0..N-1 (default 3)")
    parser.add_argument("--datasets", help=f"comma-separated, of: {', '.join(NAMES)}")
    parser.add_argument(
        "--long", action="store_true", help=f"also 300 s runs on {', '.join(LONG_DATASETS)}"
    )
    parser.add_argument("--long-budget", type=float, default=300.0, help=argparse.SUPPRESS)
    parser.add_argument("--tools", default=",".join(TOOLS), help="flaml,studio (default both)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    args.budget = args.budget or (10.0 if args.quick else 60.0)
    args.seeds = args.seeds or (1 if args.quick else 3)
    chosen = (
        args.datasets.split(",") if args.datasets else (QUICK_DATASETS if args.quick else NAMES)
    )
    unknown = [name for name in chosen if name not in DATASETS]
    if unknown:
        parser.error(f"unknown datasets {unknown}; known: {', '.join(NAMES)}")
    args.datasets = list(chosen)
    args.tools = [tool for tool in args.tools.split(",") if tool]
    if not args.tools or not set(args.tools) <= set(TOOLS):
        parser.error(f"--tools takes {', '.join(TOOLS)}")
    return args


def plan(args: argparse.Namespace) -> list[Job]:
    jobs = [Job(name, seed, args.budget) for name in args.datasets for seed in range(args.seeds)]
    if args.long:
        jobs += [
            Job(name, seed, args.long_budget)
            for name in LONG_DATASETS
            if name in args.datasets
            for seed in range(args.seeds)
        ]
    return jobs


# Running -------------------------------------------------------------------------------------


def run_one(sandbox: Sandbox, tool: str, job: Job) -> dict[str, Any]:
    """One tool on one split, in a process of its own (its own session: a fit it leaves
    behind, or a worker process of the search, is killed with it on a timeout)."""
    folder = sandbox.fresh(f"{tool}-{job.dataset}-{job.seed}-{job.budget:g}")
    command = [sys.executable, str(SIDES), tool, job.dataset, str(job.seed), str(job.budget)]
    log_path = folder / "log.txt"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, str(folder)],
            env=child_environment({}),
            cwd=folder,
            stdout=subprocess.PIPE,
            stderr=log,
            start_new_session=True,
        )
        try:
            out, _ = process.communicate(timeout=2 * job.budget + 300)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            limit = 2 * job.budget + 300
            raise BenchError(f"{tool} on {job.dataset} ran past {limit:.0f} s") from None
    lines = out.decode(errors="replace").strip().splitlines()
    if process.returncode != 0 or not lines:
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-30:])
        raise BenchError(f"{tool} on {job.dataset} seed {job.seed} failed:\n{tail}")
    figures: dict[str, Any] = json.loads(lines[-1])
    figures["budget"] = job.budget
    return figures


def run_all(
    sandbox: Sandbox, jobs: list[Job], tools: list[str]
) -> tuple[list[dict[str, Any]], list[str]]:
    results, errors = [], []
    for index, job in enumerate(jobs):
        order = tools if index % 2 == 0 else tools[::-1]
        for tool in order:
            try:
                figures = run_one(sandbox, tool, job)
            except BenchError as error:
                print(f"  {error}", flush=True)
                errors.append(str(error).splitlines()[0])
                continue
            results.append(figures)
            print(
                f"  {tool:6} {job.dataset:24} seed {job.seed} budget {job.budget:>4g} s: "
                f"score {figures['score']:.4f}  wall {figures['wall_s']:6.1f} s  "
                f"{figures['candidates']:4d} candidates  best {figures['best']}",
                flush=True,
            )
    return results, errors


# Tables --------------------------------------------------------------------------------------


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


def _of(results: list[dict[str, Any]], **match: Any) -> list[dict[str, Any]]:
    return [r for r in results if all(r[key] == value for key, value in match.items())]


def _groups(results: list[dict[str, Any]]) -> list[tuple[str, float]]:
    seen: dict[tuple[str, float], None] = {}
    for result in results:
        seen[(result["dataset"], result["budget"])] = None
    return list(seen)


def render_tool(results: list[dict[str, Any]], tool: str) -> str:
    """One tool's runs, one row each."""
    lines = [
        f"{'FLAML' if tool == 'flaml' else 'Studio'}:",
        "| dataset | seed | budget s | held-out score | wall s | search s | after s "
        "| candidates | best |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in _of(results, tool=tool):
        lines.append(
            f"| {r['dataset']} | {r['seed']} | {r['budget']:g} | {r['score']:.4f} "
            f"| {r['wall_s']:.1f} | {r['search_s']:.1f} | {r['post_s']:.1f} "
            f"| {r['candidates']} | {r['best']} |"
        )
    return "\n".join(lines)


def compare(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per dataset and budget: both tools' mean scores over the seeds both finished."""
    rows = []
    for dataset, budget in _groups(results):
        flaml = {r["seed"]: r for r in _of(results, tool="flaml", dataset=dataset, budget=budget)}
        ours = {r["seed"]: r for r in _of(results, tool="studio", dataset=dataset, budget=budget)}
        seeds = sorted(set(flaml) & set(ours))
        row: dict[str, Any] = {"dataset": dataset, "budget": budget, "seeds": len(seeds)}
        if seeds:
            row["flaml"] = _mean([flaml[s]["score"] for s in seeds])
            row["studio"] = _mean([ours[s]["score"] for s in seeds])
            row["diff_pct"] = (row["studio"] - row["flaml"]) / abs(row["flaml"]) * 100
            row["flaml_used"] = _mean([flaml[s]["wall_s"] for s in seeds]) / budget
            row["studio_search_used"] = _mean([ours[s]["search_s"] for s in seeds]) / budget
            row["studio_post_used"] = _mean([ours[s]["post_s"] for s in seeds]) / budget
            row["studio_wall_used"] = _mean([ours[s]["wall_s"] for s in seeds]) / budget
            exploring = [
                ours[s]["explore_s"] for s in seeds if ours[s].get("explore_s") is not None
            ]
            row["studio_explore_s"] = _mean(exploring) if exploring else None
            row["passed"] = row["diff_pct"] >= -TOLERANCE * 100
        rows.append(row)
    return rows


def verdict(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The goal over rows of one budget: mean at least FLAML's, no dataset 1% below."""
    scored = [row for row in rows if row["seeds"]]
    if not scored:
        return None
    flaml = _mean([row["flaml"] for row in scored])
    studio = _mean([row["studio"] for row in scored])
    below = [row["dataset"] for row in scored if not row["passed"]]
    return {
        "flaml": flaml,
        "studio": studio,
        "diff_pct": (studio - flaml) / abs(flaml) * 100,
        "below": below,
        "passed": studio >= flaml and not below,
    }


def render_comparison(rows: list[dict[str, Any]], kinds: dict[str, str]) -> str:
    lines = [
        "| dataset | score | budget s | seeds | FLAML | Studio | diff % | FLAML used "
        "| Studio search | Studio after | Studio before, s | Studio whole call | within 1% |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for budget in sorted({row["budget"] for row in rows}):
        group = [row for row in rows if row["budget"] == budget]
        for row in group:
            score = "accuracy" if kinds[row["dataset"]] == "classification" else "R²"
            cells = [row["dataset"], score, f"{budget:g}", str(row["seeds"])]
            if row["seeds"]:
                cells += [
                    f"{row['flaml']:.4f}",
                    f"{row['studio']:.4f}",
                    f"{row['diff_pct']:+.2f}",
                    f"{row['flaml_used']:.0%}",
                    f"{row['studio_search_used']:.0%}",
                    f"+{row['studio_post_used']:.0%}",
                    "-" if row["studio_explore_s"] is None else f"{row['studio_explore_s']:.1f}",
                    f"{row['studio_wall_used']:.0%}",
                    "PASS" if row["passed"] else "FAIL",
                ]
            else:
                cells += ["-"] * 9
            lines.append("| " + " | ".join(cells) + " |")
        goal = verdict(group)
        if goal is not None:
            result = "PASS" if goal["passed"] else "FAIL"
            below = f" (below by more than 1%: {', '.join(goal['below'])})" if goal["below"] else ""
            lines.append(
                f"| **mean** | | {budget:g} | | {goal['flaml']:.4f} | {goal['studio']:.4f} "
                f"| {goal['diff_pct']:+.2f} | | | | | | **{result}**{below} |"
            )
    return "\n".join(lines)


def overhead(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per dataset and budget, over the seeds: tracking against fitting, per candidate."""
    rows = []
    for dataset, budget in _groups(results):
        runs = _of(results, tool="studio", dataset=dataset, budget=budget)
        candidates = sum(r["candidates"] for r in runs)
        fitted = sum(r["fitted_candidates"] for r in runs)
        if not runs or not candidates:
            continue
        rows.append(
            {
                "dataset": dataset,
                "budget": budget,
                "candidates": candidates / len(runs),
                "tracking_ms": sum(r["candidate_s"] for r in runs) / candidates * 1000,
                "tracking_main_ms": sum(r["candidate_main_s"] for r in runs) / candidates * 1000,
                "fit_s": sum(r["fit_s"] for r in runs) / fitted if fitted else float("nan"),
                "other_s": _mean([r["other_s"] for r in runs]),
                "share": sum(r["candidate_main_s"] for r in runs)
                / sum(r["search_s"] for r in runs),
            }
        )
    return rows


def render_overhead(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| dataset | budget s | candidates a run | tracking ms a candidate | of it blocking "
        "| fitting s a candidate | tracking / fitting | blocking share of the search "
        "| other tracking s a run |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        ratio = row["tracking_ms"] / 1000 / row["fit_s"] if row["fit_s"] else float("nan")
        lines.append(
            f"| {row['dataset']} | {row['budget']:g} | {row['candidates']:.0f} "
            f"| {row['tracking_ms']:.1f} | {row['tracking_main_ms']:.1f} | {row['fit_s']:.2f} "
            f"| {ratio:.1%} | {row['share']:.2%} | {row['other_s']:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    jobs = plan(args)
    runs = len(jobs) * len(args.tools)
    seconds = sum(job.budget for job in jobs) * len(args.tools)
    print(f"AutoML: {runs} runs, {seconds / 60:.1f} min of budgets", flush=True)
    with Sandbox(keep=args.keep) as sandbox:
        results, errors = run_all(sandbox, jobs, args.tools)
    print()
    for tool in args.tools:
        print(render_tool(results, tool))
        print()
    rows = compare(results)
    kinds = {name: dataset.kind for name, dataset in DATASETS.items()}
    if set(args.tools) == set(TOOLS):
        print(f"Held-out scores, means over {args.seeds} seed(s), on {os.cpu_count()} CPUs:")
        print(render_comparison(rows, kinds))
        print(
            "\nFLAML used: its fit's wall time against the budget. Studio search: the search's"
            " wall time; Studio after: the ensemble, refit, evaluation and registration after it;"
            " Studio before: the seconds before the search (the data explored, the notebooks"
            " written, the worker processes started: its exploration_seconds metric); Studio"
            " whole call: studio.automl from call to return, against the budget."
        )
    extra = overhead(results)
    if extra:
        print("\nStudio, tracking every candidate (its child run: params, per-fold scores, tags):")
        print(render_overhead(extra))
        print(
            "\nTracking: seconds in Studio's tracking service on the candidates' child runs (their"
            " creation and anything logged to them), per candidate; blocking: the part on the"
            " search's own thread, the rest is the background writer. Fitting: the candidates'"
            " fit_time metric (the mean per fold) times its folds. Other tracking: the parent"
            " run, the model, the evaluation, the notebooks."
        )
    if args.json:
        import flaml

        info = machine_info({"flaml": flaml.__version__})
        goals = {
            f"{budget:g}": verdict([r for r in rows if r["budget"] == budget])
            for budget in sorted({r["budget"] for r in rows})
        }
        document = {
            "machine": info,
            "runs": results,
            "comparison": rows,
            "goal": goals,
            "overhead": extra,
            "errors": errors,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(document, indent=2) + "\n")
    if errors:
        print(f"\nerror: {len(errors)} run(s) failed: " + "; ".join(errors), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
