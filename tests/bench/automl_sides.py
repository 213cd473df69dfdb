"""One AutoML run in a process of its own: FLAML or `studio.automl`, one dataset, one split
seed, one time budget. `bench_automl.py` starts it; it prints its figures as one JSON line.

    python automl_sides.py {flaml|studio} DATASET SEED BUDGET WORKDIR

Both tools get the same training rows and are scored by `automl_datasets.score` on the same
held-out rows, from their own `predict`. FLAML keeps its defaults (`metric="auto"`: roc_auc
for binary, log_loss for multiclass, r2; every estimator it finds installed, LightGBM and
XGBoost among them); Studio keeps its own (the metric it infers: accuracy or r2).

Studio's side also times every call into its tracking service (`TrackingService`, which the
process's runs, the batching writer and the model logging all go through) and attributes
each to the candidates (calls on a child run of the search, and the calls creating them) or
to the rest (the parent run, the model, the evaluation, the notebooks): that is the overhead
of tracking every candidate.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from automl_datasets import DATASETS, TARGET, Split, score, split


@dataclass
class Call:
    """One timed call into the tracking service."""

    method: str
    seconds: float
    main_thread: bool
    run_ids: list[str]
    created: str | None = None
    parent: str | None = None


@dataclass
class TrackingTimer:
    """Times every top-level call of `TrackingService`'s public methods in this process."""

    calls: list[Call] = field(default_factory=list)
    _inside: threading.local = field(default_factory=threading.local)

    def install(self) -> None:
        from studio.tracking.service import TrackingService

        for name, member in list(vars(TrackingService).items()):
            if name.startswith("_") or not callable(member) or isinstance(member, classmethod):
                continue
            setattr(TrackingService, name, self._wrap(name, member))

    def _wrap(self, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def timed(service: Any, *args: Any, **kwargs: Any) -> Any:
            if getattr(self._inside, "busy", False):
                return method(service, *args, **kwargs)
            self._inside.busy = True
            started = time.perf_counter()
            try:
                result = method(service, *args, **kwargs)
            finally:
                self._inside.busy = False
            call = Call(
                name,
                time.perf_counter() - started,
                threading.current_thread() is threading.main_thread(),
                _run_ids(name, args, kwargs),
            )
            if name == "create_run":
                call.created = getattr(result, "id", None)
                call.parent = kwargs.get("parent_run_id")
            self.calls.append(call)
            return result

        return timed

    def summary(self, parent: str, children: set[str]) -> dict[str, Any]:
        """Seconds spent in tracking, for the candidates and for the rest, per thread."""
        figures: dict[str, Any] = {
            "candidate_s": 0.0,
            "candidate_main_s": 0.0,
            "other_s": 0.0,
            "other_main_s": 0.0,
            "candidate_by_method": {},
        }
        for call in self.calls:
            mine = call.parent == parent or (
                bool(call.run_ids) and all(run_id in children for run_id in call.run_ids)
            )
            side = "candidate" if mine else "other"
            figures[f"{side}_s"] += call.seconds
            if call.main_thread:
                figures[f"{side}_main_s"] += call.seconds
            if mine:
                by_method = figures["candidate_by_method"]
                by_method[call.method] = by_method.get(call.method, 0.0) + call.seconds
        return figures


def _run_ids(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[str]:
    if name == "write_metrics":  # rows of (run_id, key, value, step, timestamp)
        return sorted({row[0] for row in (args[0] if args else kwargs["rows"])})
    run_id = kwargs.get("run_id", args[0] if args else None)
    return [run_id] if isinstance(run_id, str) else []


def run_flaml(name: str, data: Split, seed: int, budget: float) -> dict[str, Any]:
    import logging

    from flaml import AutoML

    logging.getLogger("flaml").setLevel(logging.ERROR)
    kind = DATASETS[name].kind
    automl = AutoML()
    started = time.perf_counter()
    automl.fit(data.X_train, data.y_train, task=kind, time_budget=budget, seed=seed, verbose=0)
    wall = time.perf_counter() - started
    return {
        "score": score(kind, data.y_test, automl.predict(data.X_test)),
        "wall_s": wall,
        "search_s": wall,
        "post_s": 0.0,
        "candidates": int(automl.modelcount),  # every trial, not only the improving ones
        "best": automl.best_estimator,
        "metric": str(automl._state.metric),  # what metric="auto" resolved to
    }


def run_studio(name: str, data: Split, seed: int, budget: float, workdir: Path) -> dict[str, Any]:
    os.environ["STUDIO_HOME"] = str(workdir / "home")
    timer = TrackingTimer()
    timer.install()
    import studio

    kind = DATASETS[name].kind
    experiment = f"bench-{name}-{seed}"
    started = time.perf_counter()
    result = studio.automl(
        data.train_frame(),
        TARGET,
        time_budget=budget,
        seed=seed,
        experiment=experiment,
        notebooks_dir=str(workdir / "notebooks"),
    )
    wall = time.perf_counter() - started
    predicted = result.best_model.predict(data.X_test)
    if kind == "classification" and not set(predicted) <= set(data.y_train):
        raise RuntimeError(f"studio.automl's best model predicts {set(predicted)}, not labels")
    client = studio.Client()
    children = _child_runs(client, experiment, result.run_id)
    # Before the search: the data explored, the notebooks written, the workers started.
    exploring = client.get_run(result.run_id).metrics.get("exploration_seconds")
    fit_times = [_fitting_seconds(run, result.metric) for run in children]
    fit_times = [seconds for seconds in fit_times if seconds is not None]
    tracking = timer.summary(result.run_id, {run.id for run in children})
    best = result.leaderboard.iloc[0].to_dict() if len(result.leaderboard) else {}
    return {
        "score": score(kind, data.y_test, predicted),
        "wall_s": wall,
        "search_s": result.search_seconds,
        "post_s": result.post_seconds,
        "explore_s": None if exploring is None else exploring.last,
        "candidates": len(children),
        "best": str(best.get("pipeline", best.get("candidate", ""))),
        "metric": result.metric,
        "task": result.task,
        "fit_s": sum(fit_times),
        "fitted_candidates": len(fit_times),
        **tracking,
    }


def _fitting_seconds(run: Any, metric: str) -> float | None:
    """A candidate's fitting time: its `fit_time` (the mean per fold) times its folds."""
    fit_time = run.metrics.get("fit_time")
    folds = run.metrics.get(f"cv_{metric}")
    if fit_time is None or folds is None:
        return None
    return float(fit_time.last * folds.count)


def _child_runs(client: Any, experiment: str, parent: str) -> list[Any]:
    runs, token = [], None
    while True:
        page = client.search_runs(experiment, max_results=1000, page_token=token)
        runs += [run for run in page if run.parent_run_id == parent]
        token = page.next_page_token
        if not token:
            return runs


def main(argv: list[str]) -> int:
    tool, name, seed, budget, workdir = argv
    warnings.filterwarnings("ignore")
    data = split(name, int(seed))
    if tool == "flaml":
        figures = run_flaml(name, data, int(seed), float(budget))
    else:
        figures = run_studio(name, data, int(seed), float(budget), Path(workdir))
    print(json.dumps({"tool": tool, "dataset": name, "seed": int(seed), **figures}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
