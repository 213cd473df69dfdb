"""Serving a model: `studio serve` beside `mlflow models serve`, same model, same client.

    PYTHONPATH=. .venv/bin/python tests/bench/bench_serving.py [--quick] [--seconds S]
        [--only lr|rf|overhead] [--no-mlflow | --no-studio] [--json PATH] [--keep]

The performance figures of issue 11. Two scikit-learn models fitted on the same 2,000 x 30
synthetic rows (columns f0..f29): a logistic regression and a 100-tree random forest
(`n_jobs=1`). MLflow gets each as `mlflow.sklearn.save_model` (skops, MLflow's default; the
forest with `sklearn.tree._tree.Tree` among `skops_trusted_types`) served by `mlflow models
serve --env-manager local -w N`; Studio gets the same fitted object through `Run.log_model`,
`register_model`, approval and an endpoint of one variant, served by `studio serve NAME
--workers N`. Every point: one server, the lean raw-asyncio keep-alive client of
`serving_load.py` in a process of its own (C connections, each sending its next request as
soon as the answer is read: closed loop), one row per request in MLflow's `dataframe_split`
format, for S seconds after a 0.5 s warm-up; requests/s, p50 and p99 latency. Concurrency 1,
16 and 64, workers 1 and 2 on both sides. Before timing, each server's answers to 20 rows are
checked against `model.predict` (a wrong answer fails the run), and every timed answer must be
200.

Studio and MLflow of the same model and worker count run at once, and each concurrency is
taken on one, then the other, so that the shared machine's changing load falls on both alike.

Then Studio alone, the logistic regression on 1 worker, three endpoints served at once and
measured in turn at each concurrency: the base endpoint of one variant, the same with data
capture at 100% (every request's input and output written as Parquet under the artifact
root), and with a shadow variant (the same version again) that gets a copy of every request;
the overhead is the change in requests/s and p99 against the base.

The issue's target: Studio at least 2x MLflow's requests/s at concurrency 16 and above, with a
lower p99, at the same worker count. A missed target is reported in the table, not as a
failure. The machine is shared: read ratios, not absolute values, and rerun when in doubt.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import (
    BenchError,
    Sandbox,
    ServerProcess,
    child_environment,
    free_port,
    machine_info,
)

BIN = Path(sys.executable).parent
LOAD = Path(__file__).resolve().parent / "serving_load.py"
CONCURRENCY = (1, 16, 64)
WORKERS = (1, 2)
FEATURES = 30
MODELS = ("lr", "rf")
PARTS = ("lr", "rf", "overhead")
OVERHEAD_ENDPOINTS = {"base": "lr-plain", "capture": "lr-capture", "shadow": "lr-shadow"}


@dataclass
class Point:
    """One measured point: a server, a model, a worker count and a concurrency."""

    side: str
    model: str
    workers: int
    concurrency: int
    rps: float
    p50_ms: float
    p99_ms: float
    variant: str = "plain"
    detail: dict[str, Any] = field(default_factory=dict)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 s a point (a smoke run)")
    parser.add_argument("--seconds", type=float, help="timed seconds a point (default 5)")
    parser.add_argument("--only", action="append", choices=PARTS, help="run only these parts")
    parser.add_argument("--no-mlflow", action="store_true", help="Studio's side only")
    parser.add_argument("--no-studio", action="store_true", help="MLflow's side only")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    args.seconds = args.seconds or (2.0 if args.quick else 5.0)
    args.only = args.only or list(PARTS)
    return args


# Models and requests -------------------------------------------------------------------------


def fit_models() -> tuple[Any, dict[str, Any]]:
    import pandas as pd
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    X, y = make_classification(n_samples=2000, n_features=FEATURES, random_state=0)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(FEATURES)])
    models = {
        "lr": LogisticRegression(max_iter=1000).fit(frame, y),
        "rf": RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=1).fit(frame, y),
    }
    return frame, models


def write_requests(frame: Any, path: Path, count: int = 200) -> list[dict[str, Any]]:
    """One row per request, the first `count` rows, in MLflow's `dataframe_split` format."""
    columns = list(frame.columns)
    bodies = [
        {"dataframe_split": {"columns": columns, "data": [frame.iloc[i].tolist()]}}
        for i in range(count)
    ]
    path.write_text(json.dumps(bodies))
    return bodies


def check_answers(name: str, port: int, frame: Any, model: Any) -> None:
    """The server's predictions for 20 rows in one request equal the model's own."""
    rows = frame.iloc[:20]
    body = {"dataframe_split": {"columns": list(rows.columns), "data": rows.values.tolist()}}
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/invocations",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        got = json.loads(answer.read())["predictions"]
    expected = model.predict(rows).tolist()
    if got != expected:
        raise BenchError(f"{name} answered {got}, the model predicts {expected}.")


def load(port: int, requests: Path, concurrency: int, seconds: float) -> dict[str, Any]:
    """One closed-loop load run against a server, from a process of its own."""
    command = [
        sys.executable,
        str(LOAD),
        str(requests),
        f"--port={port}",
        f"--concurrency={concurrency}",
        f"--seconds={seconds}",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120)
    if done.returncode != 0:
        raise BenchError(f"The load client failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    bad = {status: n for status, n in result["statuses"].items() if status != "200"}
    if bad or not result["requests"]:
        raise BenchError(f"Answers other than 200: {bad} {result['error_samples']}")
    return result


def measure_one(
    server: Server, port: int, requests: Path, concurrency: int, seconds: float
) -> Point:
    result = load(port, requests, concurrency, seconds)
    point = Point(
        server.side,
        server.model,
        server.workers,
        concurrency,
        result["rps"],
        result["p50_ms"],
        result["p99_ms"],
        server.variant,
        {"requests": result["requests"], "errors": result["errors"]},
    )
    print(
        f"  {point.side:6} {point.model} {point.variant:8} w={point.workers} "
        f"c={concurrency:<3} {point.rps:8.1f} req/s  p50 {point.p50_ms:7.2f} ms  "
        f"p99 {point.p99_ms:7.2f} ms",
        flush=True,
    )
    return point


@dataclass
class Server:
    """A server to measure: its side, model, variant and worker count, and its start."""

    side: str
    model: str
    workers: int
    variant: str
    start: Callable[[int], ServerProcess]


def measure_together(
    servers: list[Server], frame: Any, models: dict[str, Any], requests: Path, seconds: float
) -> list[Point]:
    """Start every server at once (an idle one costs next to nothing), then take each
    concurrency on each server in turn, so that the machine's changing load falls on all of
    them alike."""
    points = []
    with contextlib.ExitStack() as stack:
        ports = []
        for server in servers:
            port = free_port()
            stack.enter_context(server.start(port))
            label = f"{server.side} ({server.model}, {server.variant})"
            check_answers(label, port, frame, models[server.model])
            ports.append(port)
        for concurrency in CONCURRENCY:
            for server, port in zip(servers, ports, strict=True):
                points.append(measure_one(server, port, requests, concurrency, seconds))
    return points


# MLflow's side -------------------------------------------------------------------------------


def mlflow_model(sandbox: Sandbox, frame: Any, name: str, model: Any) -> Path:
    """The model saved as MLflow saves scikit-learn models (skops, its default)."""
    import mlflow.sklearn
    from mlflow.models import infer_signature

    folder = sandbox.fresh(f"mlflow-{name}") / "model"
    mlflow.sklearn.save_model(
        model,
        str(folder),
        signature=infer_signature(frame.iloc[:5], model.predict(frame.iloc[:5])),
        input_example=frame.iloc[:5],
        skops_trusted_types=["sklearn.tree._tree.Tree"] if name == "rf" else None,
    )
    return folder


def mlflow_server(folder: Path, workers: int, port: int) -> ServerProcess:
    command = [
        str(BIN / "mlflow"),
        "models",
        "serve",
        "-m",
        str(folder),
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "-w",
        str(workers),
        "--env-manager",
        "local",
    ]
    # MLflow runs `uvicorn` from PATH: this environment's.
    env = child_environment({"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"})
    return ServerProcess(
        f"mlflow models serve ({folder.parent.name}, {workers} workers)",
        command,
        port=port,
        env=env,
        log_path=folder.parent / f"serve-{workers}-{port}.log",
        ready_path="/ping",
    )


# Studio's side -------------------------------------------------------------------------------


def studio_endpoints(home: Path, models: dict[str, Any], frame: Any) -> None:
    """In the store at `home`: both models logged, registered and approved, an endpoint of
    one variant for each (`lr-plain`, `rf-plain`), and the logistic regression's endpoints
    with capture at 100% (`lr-capture`) and with a shadow (`lr-shadow`)."""
    os.environ["STUDIO_HOME"] = str(home)
    import studio
    from studio.serving import create_endpoint

    with studio.start_run(experiment="bench-serving") as run:
        for name, model in models.items():
            run.log_model(model, name, input_example=frame.iloc[:5])
    client = studio.Client()
    uris = {}
    for name in models:
        version = studio.register_model(f"runs:/{run.id}/{name}", f"bench-{name}")
        client.approve_model_version(version.name, version.version)
        uris[name] = version.uri
    for name, uri in uris.items():
        create_endpoint(f"{name}-plain", variants={"A": (uri, 1.0)})
    create_endpoint("lr-capture", variants={"A": (uris["lr"], 1.0)}, capture=1.0)
    create_endpoint("lr-shadow", variants={"A": (uris["lr"], 1.0)}, shadows={"S": uris["lr"]})


def studio_server(home: Path, endpoint: str, workers: int, port: int) -> ServerProcess:
    command = [
        str(BIN / "studio"),
        "serve",
        endpoint,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    return ServerProcess(
        f"studio serve {endpoint} ({workers} workers)",
        command,
        port=port,
        env=child_environment({"STUDIO_HOME": str(home)}),
        log_path=home.parent / f"serve-{endpoint}-{workers}-{port}.log",
        ready_path="/ping",
    )


def all_points(
    sandbox: Sandbox, frame: Any, models: dict[str, Any], requests: Path, args: argparse.Namespace
) -> list[Point]:
    home = sandbox.fresh("studio") / "home"
    if not args.no_studio:
        studio_endpoints(home, models, frame)
    points = []
    for name in [m for m in MODELS if m in args.only]:
        folder = None if args.no_mlflow else mlflow_model(sandbox, frame, name, models[name])
        for workers in WORKERS:
            servers = []
            if not args.no_studio:
                start = functools.partial(studio_server, home, f"{name}-plain", workers)
                servers.append(Server("studio", name, workers, "plain", start))
            if folder is not None:
                start = functools.partial(mlflow_server, folder, workers)
                servers.append(Server("mlflow", name, workers, "plain", start))
            print(f"{name.upper()}, {workers} worker(s):", flush=True)
            points += measure_together(servers, frame, models, requests, args.seconds)
    if "overhead" in args.only and not args.no_studio:
        print("Studio's overheads, LR, 1 worker:", flush=True)
        servers = [
            Server(
                "studio",
                "lr",
                1,
                variant,
                functools.partial(studio_server, home, endpoint, 1),
            )
            for variant, endpoint in OVERHEAD_ENDPOINTS.items()
        ]
        points += measure_together(servers, frame, models, requests, args.seconds)
    return points


# The table -----------------------------------------------------------------------------------


def _find(points: list[Point], **match: Any) -> Point | None:
    for point in points:
        if all(getattr(point, key) == value for key, value in match.items()):
            return point
    return None


def render(points: list[Point]) -> str:
    """Studio beside MLflow per (model, workers, concurrency), then Studio's overheads."""
    lines = [
        "| model | workers | c | Studio req/s | p50 ms | p99 ms | MLflow req/s | p50 ms | p99 ms "
        "| Studio x | target (c >= 16: 2x req/s, lower p99) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for model in MODELS:
        for workers in WORKERS:
            for c in CONCURRENCY:
                key = {"model": model, "workers": workers, "concurrency": c}
                ours = _find(points, side="studio", variant="plain", **key)
                theirs = _find(points, side="mlflow", **key)
                if ours is None and theirs is None:
                    continue
                ratio = verdict = "-"
                if ours and theirs and theirs.rps:
                    ratio = f"{ours.rps / theirs.rps:.1f}x"
                    if c >= 16:
                        met = ours.rps >= 2 * theirs.rps and ours.p99_ms < theirs.p99_ms
                        verdict = "PASS" if met else "FAIL"
                cells = [model.upper(), str(workers), str(c)]
                for point in (ours, theirs):
                    cells += (
                        [f"{point.rps:,.0f}", f"{point.p50_ms:.2f}", f"{point.p99_ms:.1f}"]
                        if point
                        else ["-", "-", "-"]
                    )
                lines.append("| " + " | ".join([*cells, ratio, verdict]) + " |")
    overhead = [
        "",
        "| Studio, LR, 1 worker | c | req/s | p50 ms | p99 ms | req/s vs base | p99 vs base |",
        "|---|---|---|---|---|---|---|",
    ]
    labels = {"base": "base", "capture": "capture 100%", "shadow": "one shadow"}
    for variant, label in labels.items():
        for c in CONCURRENCY:
            key = {"side": "studio", "model": "lr", "workers": 1, "concurrency": c}
            point = _find(points, variant=variant, **key)
            base = _find(points, variant="base", **key)
            if point is None:
                continue
            change = p99 = "-"
            if base is not None and variant != "base" and base.rps:
                change = f"{(point.rps / base.rps - 1) * 100:+.0f}%"
                p99 = f"{(point.p99_ms / base.p99_ms - 1) * 100:+.0f}%"
            overhead.append(
                f"| {label} | {c} | {point.rps:,.0f} | {point.p50_ms:.2f} | {point.p99_ms:.1f} "
                f"| {change} | {p99} |"
            )
    if len(overhead) > 3:
        lines += overhead
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    points: list[Point] = []
    with Sandbox(keep=args.keep) as sandbox:
        frame, models = fit_models()
        requests = sandbox.root / "requests.json"
        write_requests(frame, requests)
        points += all_points(sandbox, frame, models, requests, args)
    print()
    print(f"Serving, {args.seconds:g} s a point, one row a request, on {os.cpu_count()} CPUs:")
    print(render(points))
    if args.json:
        import mlflow

        info = machine_info({"mlflow": mlflow.__version__, "seconds_per_point": str(args.seconds)})
        document = {"machine": info, "points": [point.__dict__ for point in points]}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(document, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
