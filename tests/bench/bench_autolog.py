"""What autolog adds to one small fit: `studio.autolog()` beside `mlflow.sklearn.autolog()` on
the same pipeline (StandardScaler + LogisticRegression, 426 rows x 30 columns of breast
cancer), each side in a fresh process with its own store in a temporary folder.

    PYTHONPATH=. .venv/bin/python tests/bench/bench_autolog.py [--quick] [--json PATH]

Each side fits once unlogged and once logged to warm up, then times `fits` fits unlogged and
`fits` logged; a figure is the median logged fit minus the median unlogged one: the CPU time
of the process (process_time: every thread, not MLflow's requirement-inference subprocess)
and the wall time the caller waits. Both sides log what they log by default: Studio the
params, training metrics, model with requirements.txt, estimator.html, the training dataset
and the training figures; MLflow the same kinds of record (PNG figures, a LoggedModel). BLAS
runs on one thread on both sides. MLflow's side is skipped when MLflow is not installed.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.bench.harness import Row, machine_info, render_table, write_json

# One side's timing, run as `python -c` in a fresh process: prints {"cpu": s, "wall": s}.
_SIDE = """
import json, os, statistics, sys, time, warnings, logging
side, fits, home = sys.argv[1], int(sys.argv[2]), sys.argv[3]
warnings.simplefilter("ignore")
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
X, y = load_breast_cancer(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
def fit():
    make_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, y_train)
def timed():
    cpu, wall = [], []
    for _ in range(fits):
        c, w = time.process_time(), time.perf_counter()
        fit()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return statistics.median(cpu), statistics.median(wall)
fit()
bare = timed()
if side == "studio":
    import studio
    studio.autolog(tracking_uri=f"sqlite:///{home}/studio.db", experiment="bench")
else:
    import mlflow
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    mlflow.set_tracking_uri(f"sqlite:///{home}/mlflow.db")
    mlflow.sklearn.autolog(silent=True)
fit()
logged = timed()
print(json.dumps({"cpu": logged[0] - bare[0], "wall": logged[1] - bare[1]}))
"""


def measure(side: str, fits: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix=f"bench-autolog-{side}-") as home:
        environment = {
            **{key: value for key, value in os.environ.items() if not key.startswith("STUDIO_")},
            "STUDIO_HOME": home,
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
        }
        done = subprocess.run(
            [sys.executable, "-c", _SIDE, side, str(fits), home],
            capture_output=True,
            text=True,
            env=environment,
            cwd=home,
            check=True,
            timeout=1800,
        )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer fits (a smoke run)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    fits = 3 if args.quick else 10
    studio = measure("studio", fits)
    mlflow = measure("mlflow", fits) if importlib.util.find_spec("mlflow") else None
    rows = [
        Row(
            f"autolog cost per fit, {kind}",
            "ms",
            studio[key] * 1000,
            None if mlflow is None else mlflow[key] * 1000,
            False,
        )
        for kind, key in (("CPU", "cpu"), ("wall", "wall"))
    ]
    print(render_table(rows))
    if args.json:
        write_json(args.json, rows, machine_info({"figures": "bench_autolog"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
