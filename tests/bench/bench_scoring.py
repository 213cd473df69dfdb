"""What it costs to turn one `POST /invocations` body into the DataFrame a model predicts on:
Studio's `parse_request` beside what MLflow's scoring server does before `predict` (its JSON
or CSV parsing, then its schema enforcement), for a 1-row request of 30 double features (the
logistic regression of the serving benchmark) in each format.

    PYTHONPATH=. .venv/bin/python tests/bench/bench_scoring.py [--quick] [--json PATH]

Both sides run in this process on the same bodies; the figure is the best of several repeats
(the least disturbed by other load), in microseconds per request. MLflow's side is skipped
when MLflow is not installed.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import timeit
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

from studio.serving.scoring import parse_request
from tests.bench.harness import Row, machine_info, render_table, write_json

FEATURES = 30
TARGET_US = 200.0


def bodies() -> dict[str, tuple[bytes, str]]:
    columns = [f"f{i}" for i in range(FEATURES)]
    generator = random.Random(0)
    row = [generator.random() for _ in range(FEATURES)]
    json_type = "application/json"
    return {
        "dataframe_split": (
            json.dumps({"dataframe_split": {"columns": columns, "data": [row]}}).encode(),
            json_type,
        ),
        "dataframe_records": (
            json.dumps({"dataframe_records": [dict(zip(columns, row, strict=True))]}).encode(),
            json_type,
        ),
        "inputs (columns)": (
            json.dumps({"inputs": {c: [v] for c, v in zip(columns, row, strict=True)}}).encode(),
            json_type,
        ),
        "text/csv": (
            (",".join(columns) + "\n" + ",".join(map(str, row)) + "\n").encode(),
            "text/csv",
        ),
    }


def best_us(call: Callable[[], Any], number: int, repeat: int) -> float:
    return min(timeit.repeat(call, number=number, repeat=repeat)) / number * 1e6


def mlflow_parser() -> Callable[[bytes, str], Any] | None:
    """MLflow's scoring server up to `predict`: parse, then enforce the signature."""
    try:
        from mlflow.models.utils import _enforce_schema
        from mlflow.pyfunc.scoring_server import _parse_json_data, parse_csv_input
        from mlflow.types import ColSpec, Schema
    except ImportError:
        return None
    schema = Schema([ColSpec("double", f"f{i}") for i in range(FEATURES)])

    class Metadata:  # the model's metadata: no type-hint signature, no params schema
        pass

    def parse(body: bytes, content_type: str) -> Any:
        if content_type == "text/csv":
            data = parse_csv_input(StringIO(body.decode()), schema)
        else:
            data = _parse_json_data(body, Metadata(), schema).data
        return _enforce_schema(data, schema)

    return parse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls (a smoke run)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    number, repeat = (200, 3) if args.quick else (5_000, 7)
    signature = {"inputs": [{"name": f"f{i}", "dtype": "double"} for i in range(FEATURES)]}
    mlflow = mlflow_parser()
    rows = []
    for name, (body, content_type) in bodies().items():
        frame = parse_request(body, content_type, signature, max_rows=10_000)
        if frame.shape != (1, FEATURES):
            print(f"{name}: parsed into {frame.shape}", file=sys.stderr)
            return 1
        studio = best_us(
            lambda b=body, c=content_type: parse_request(b, c, signature, max_rows=10_000),
            number,
            repeat,
        )
        peer = None
        if mlflow is not None:
            peer = best_us(
                lambda b=body, c=content_type: mlflow(b, c), max(number // 50, 20), repeat
            )
        rows.append(Row(f"parse {name}, 1 x {FEATURES}", "us", studio, peer, False, TARGET_US))
    print(render_table(rows))
    if args.json:
        write_json(args.json, rows, machine_info({"figures": "bench_scoring"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
