"""Figure 4 of the tracking benchmark: how long a fresh process takes to its first durable
point (import, start a run, log one metric, make it durable), for Studio and for MLflow; and
the bare import time, kept beside it.

A notebook pays this once per kernel. The bare import time alone flattered whichever tool
defers more of its work to the first call, so the headline row times the whole path.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from harness import BenchError, Row, Sandbox, child_environment, median, time_python
from mlflow_side import mlflow_metric_count, mlflow_store, mlflow_version
from workload import METRIC, Sizes, count_rows, progress

TARGET_IMPORT_MS = 300.0

# Each child times itself from before its first import: interpreter start-up is the same
# for both and is left out. It prints the seconds and the run's id, which is then checked.
STUDIO_FIRST_POINT = """
    import time
    started = time.perf_counter()
    import studio
    with studio.start_run(experiment="bench", tracking_uri={home!r}) as run:
        run.log_metric({metric!r}, 1.0)
        run.flush()
        elapsed = time.perf_counter() - started
    # The level the store really ran at, from its engine (2 is FULL).
    from sqlalchemy import text
    from studio.tracking.backends import connect
    with connect({home!r}).backend.store.db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA synchronous")).scalar_one() == 2
    print(elapsed, run.id)
"""
MLFLOW_FIRST_POINT = """
    import time
    started = time.perf_counter()
    import mlflow
    mlflow.set_tracking_uri({uri!r})
    with mlflow.start_run(experiment_id={experiment_id!r}) as run:
        mlflow.log_metric({metric!r}, 1.0, synchronous=True)
        elapsed = time.perf_counter() - started
    print(elapsed, run.info.run_id)
"""


def _first_point(code: str, env: dict[str, str], cwd: Path) -> tuple[float, str]:
    completed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise BenchError(f"The first-point script failed:\n{completed.stderr[-2000:]}")
    seconds, run_id = completed.stdout.split()[-2:]
    return float(seconds), run_id


def figure_first_point(sandbox: Sandbox, sizes: Sizes) -> list[Row]:
    folder = sandbox.fresh("first-point")
    studio_home = folder / "studio-home"
    mlflow_home = folder / "mlflow"
    mlflow_home.mkdir()
    mlflow_uri, _, experiment_id = mlflow_store(mlflow_home)
    # Both stores at SQLite's synchronous=FULL, MLflow's default: Studio's NORMAL would
    # skip the fsync that MLflow's commit pays.
    env = child_environment({"STUDIO_HOME": str(studio_home), "STUDIO_SQLITE_SYNCHRONOUS": "FULL"})
    env.pop("MLFLOW_ENABLE_ASYNC_LOGGING", None)
    codes = {
        "studio": STUDIO_FIRST_POINT.format(home=str(studio_home), metric=METRIC),
        "mlflow": MLFLOW_FIRST_POINT.format(
            uri=mlflow_uri, experiment_id=experiment_id, metric=METRIC
        ),
    }
    imports = {"pass": "pass", "studio": "import studio", "mlflow": "import mlflow"}
    first: dict[str, list[float]] = {name: [] for name in codes}
    bare: dict[str, list[float]] = {name: [] for name in imports}
    # A warm-up round (bytecode caches; Studio's store gets its schema, MLflow's was made
    # above), then interleaved rounds, so drift hits both alike.
    for round_number in range(sizes.import_rounds + 1):
        for name, code in codes.items():
            seconds, run_id = _first_point(code, env, folder)
            stored = (
                count_rows(
                    studio_home / "studio.db",
                    "SELECT coalesce(sum(count), 0) FROM series "
                    "WHERE owner_kind = 'run' AND owner_id = ? AND kind = 'metric' AND key = ?",
                    (run_id, METRIC),
                )
                if name == "studio"
                else mlflow_metric_count(mlflow_home, run_id, METRIC)
            )
            if stored != 1:
                raise BenchError(f"{name}'s first point is not in its store ({stored} rows).")
            if round_number:
                first[name].append(seconds)
        for name, code in imports.items():
            elapsed = time_python(code, env, folder)
            if round_number:
                bare[name].append(elapsed)
    studio_ms, mlflow_ms = (median(first[name]) * 1000 for name in ("studio", "mlflow"))
    baseline = median(bare["pass"])
    import_ms = {name: (median(bare[name]) - baseline) * 1000 for name in ("studio", "mlflow")}
    progress(
        f"first point: studio {studio_ms:.0f} ms, mlflow {mlflow_ms:.0f} ms; import: studio "
        f"{import_ms['studio']:.0f} ms, mlflow {import_ms['mlflow']:.0f} ms"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", "import studio, sys; print(','.join(m for m in ('sqlalchemy', "
         "'pydantic', 'jupyter_server', 'tornado', 'numpy', 'sklearn') if m in sys.modules) "
         "or 'none')"],
        env=env, cwd=folder, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    rounds = f"median of {sizes.import_rounds} interleaved rounds after a warm-up round"
    return [
        Row(
            "first durable point in a fresh process",
            "ms",
            studio_ms,
            mlflow_ms,
            higher_is_better=False,
            notes=[
                "From before the first import to the point being committed, timed inside a "
                "new interpreter (its own start-up left out), on an existing store: Studio "
                "`import studio; with studio.start_run(...) as run: run.log_metric(...); "
                "run.flush()`, MLflow `import mlflow; mlflow.set_tracking_uri(...); with "
                "mlflow.start_run(experiment_id=...): mlflow.log_metric(..., "
                "synchronous=True)`; the point is then counted in each SQLite file. Both at "
                "SQLite synchronous=FULL (MLflow's default; Studio through "
                "STUDIO_SQLITE_SYNCHRONOUS=FULL; Studio in WAL mode, MLflow in its default "
                f"rollback journal). {rounds}, each a fresh process; MLflow {mlflow_version()}."
            ],
        ),
        Row(
            "  bare import (client side, no server)",
            "ms",
            import_ms["studio"],
            import_ms["mlflow"],
            higher_is_better=False,
            target=TARGET_IMPORT_MS,
            notes=[
                f'Wall time of `python -c "import studio"` (and "import mlflow") minus '
                f'`python -c "pass"` ({baseline * 1000:.0f} ms), {rounds}. Heavy modules '
                f"loaded by `import studio`: {loaded}."
            ],
        ),
    ]
