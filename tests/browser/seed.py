"""The store the browser tests (and the frontend benchmark) look at, seeded before JupyterLab.

`seed_demo(home)` trains real scikit-learn models on iris and wine and logs them through
Studio's service layer with fixed start times, so that every figure a test checks (a sort
order, a filter count, a chart's number of points, the params that differ) is known here
and written into a `Manifest`. `seed_many(home, count)` writes `count` finished runs fast,
for the 10,000- and 100,000-run benchmarks and the long-table test.

Experiments of the demo store:
- "iris": 11 finished runs, LogisticRegression (warm-started one iteration per epoch) and
  DecisionTreeClassifier (trained on a growing share of the data per epoch), each logging
  `accuracy` and `loss` per epoch; "sgd-long", whose `batch_loss` has 100,000 points; and
  "logreg-live", still RUNNING. Text, JSON and pickle artifacts on "logreg-C1".
- "wine": a grid search, a parent run and one child run per candidate.
- "empty": no runs.
"""

from __future__ import annotations

import json
import math
import pickle
import random
import time
import uuid
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import insert

from studio.config import StudioConfig
from studio.tracking import store_rows as sql_rows
from studio.tracking.entities import RunStatus
from studio.tracking.orm import SqlParam, SqlRun
from studio.tracking.series import store as series_store
from studio.tracking.service import TrackingService

LONG_METRIC = "batch_loss"
LONG_METRIC_POINTS = 100_000
EPOCHS = 15
RUNNING_EPOCHS_DONE = 5
SOURCE_NOTEBOOK = "iris_training.ipynb"
# The three iris runs the compare test opens, and the params that differ between them.
COMPARED_RUNS = ("logreg-C0.1", "logreg-C1", "logreg-C1-newton")
COMPARED_DIFFERING_PARAMS = ("C", "solver")
# Runs start one per ten minutes from this many hours ago, in the order they are seeded;
# the RUNNING one started this long ago.
HOURS_AGO = 6
RUNNING_FOR_MS = 4 * 60_000
# Runs per transaction when seeding many.
SEED_CHUNK = 5_000


@dataclass
class SeededRun:
    id: str
    name: str
    experiment: str
    status: str
    start_time: int
    end_time: int | None
    params: dict[str, str]
    # The last value of each metric, and how many points it has.
    last: dict[str, float] = field(default_factory=dict)
    points: dict[str, int] = field(default_factory=dict)
    artifacts: list[str] = field(default_factory=list)
    parent_run_id: str | None = None
    source: str | None = None


@dataclass
class Manifest:
    """What was seeded: every figure a browser test compares the UI with."""

    experiments: dict[str, int] = field(default_factory=dict)  # name -> id
    runs: list[SeededRun] = field(default_factory=list)

    def run(self, name: str, experiment: str = "iris") -> SeededRun:
        for run in self.runs:
            if run.name == name and run.experiment == experiment:
                return run
        raise KeyError(f"no seeded run {name!r} in {experiment!r}")

    def runs_of(self, experiment: str) -> list[SeededRun]:
        return [run for run in self.runs if run.experiment == experiment]

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1))

    @classmethod
    def load(cls, path: Path) -> Manifest:
        data = json.loads(path.read_text())
        return cls(data["experiments"], [SeededRun(**run) for run in data["runs"]])


def service_for(home: Path, db_url: str | None = None) -> TrackingService:
    """The service of the store under `home` (SQLite and artifacts there, whatever the env says;
    or the database `db_url` names)."""
    config = StudioConfig.resolve(
        home=home,
        db_url=db_url or f"sqlite:///{home / 'studio.db'}",
        artifact_root=str(home / "artifacts"),
    )
    return TrackingService.from_config(config)


class _Seeder:
    def __init__(self, service: TrackingService) -> None:
        self.service = service
        self.manifest = Manifest()
        self.clock = int(time.time() * 1000) - HOURS_AGO * 3_600_000

    def experiment(self, name: str) -> int:
        experiment_id = self.service.create_experiment(name).id
        self.manifest.experiments[name] = experiment_id
        return experiment_id

    def run(
        self,
        experiment: str,
        name: str,
        params: dict[str, Any],
        history: dict[str, list[float]],
        *,
        status: RunStatus = RunStatus.FINISHED,
        parent: SeededRun | None = None,
        source: str | None = None,
        step_ms: int = 1000,
        start: int | None = None,
    ) -> SeededRun:
        """A run whose metric `key` has the points history[key] at steps 0, 1, ..., `step_ms`
        apart, the run ending a second after its last step unless still RUNNING. Runs start
        ten minutes apart unless `start` says otherwise."""
        self.clock += 600_000
        start = self.clock if start is None else start
        steps = max((len(values) for values in history.values()), default=0)
        end = None if status is RunStatus.RUNNING else start + steps * step_ms + 1000
        record = self.service.create_run(
            self.manifest.experiments[experiment],
            name=name,
            params=params,
            tags={"studio.user": "tester", "dataset": experiment},
            status=status,
            start_time=start,
            end_time=end,
            parent_run_id=parent.id if parent else None,
            source=source,
        )
        points = [
            (key, value, step, start + step * step_ms)
            for key, values in history.items()
            for step, value in enumerate(values)
        ]
        for offset in range(0, len(points), 10_000):  # the service's batch limit
            self.service.log_batch(record.id, metrics=points[offset : offset + 10_000])
        seeded = SeededRun(
            id=record.id,
            name=name,
            experiment=experiment,
            status=status.value,
            start_time=start,
            end_time=end,
            params={key: str(value) for key, value in params.items()},
            last={key: values[-1] for key, values in history.items()},
            points={key: len(values) for key, values in history.items()},
            parent_run_id=parent.id if parent else None,
            source=source,
        )
        self.manifest.runs.append(seeded)
        return seeded

    def artifact(self, run: SeededRun, path: str, data: bytes) -> None:
        self.service.upload_artifact(run.id, path, data)
        run.artifacts.append(path)


def _logreg_history(data: Any, epochs: int, **params: Any) -> tuple[dict[str, list[float]], Any]:
    """Per-epoch test accuracy and train log loss of a LogisticRegression warm-started one
    solver iteration at a time."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss

    x_train, x_test, y_train, y_test = data
    model = LogisticRegression(max_iter=1, warm_start=True, **params)
    history: dict[str, list[float]] = {"accuracy": [], "loss": []}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(epochs):
            model.fit(x_train, y_train)
            history["accuracy"].append(float(model.score(x_test, y_test)))
            history["loss"].append(float(log_loss(y_train, model.predict_proba(x_train))))
    return history, model


def _tree_history(data: Any, epochs: int, **params: Any) -> dict[str, list[float]]:
    """Per-epoch test accuracy and train log loss of a DecisionTreeClassifier trained on a
    growing share of the training set (a learning curve)."""
    from sklearn.metrics import log_loss
    from sklearn.tree import DecisionTreeClassifier

    x_train, x_test, y_train, y_test = data
    history: dict[str, list[float]] = {"accuracy": [], "loss": []}
    for epoch in range(1, epochs + 1):
        size = max(12, len(x_train) * epoch // epochs)
        model = DecisionTreeClassifier(random_state=0, **params).fit(x_train[:size], y_train[:size])
        history["accuracy"].append(float(model.score(x_test, y_test)))
        proba = model.predict_proba(x_train)
        history["loss"].append(float(log_loss(y_train, proba, labels=model.classes_)))
    return history


def _long_curve(count: int) -> list[float]:
    """A noisy decaying per-batch loss with rare spikes (what a long training logs)."""
    rng = random.Random(7)
    values = []
    for step in range(count):
        value = 1.2 * math.exp(-step / (count / 6)) + 0.05 + rng.gauss(0.0, 0.03)
        if rng.random() < 0.0005:
            value += rng.uniform(0.5, 2.0)
        values.append(value)
    return values


def seed_demo(home: Path) -> Manifest:
    """The browser tests' store under `home`; returns what was seeded."""
    from sklearn.datasets import load_iris, load_wine
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    service = service_for(home)
    try:
        seeder = _Seeder(service)
        seeder.experiment("empty")
        seeder.experiment("iris")
        seeder.experiment("wine")

        x, y = load_iris(return_X_y=True)
        x = StandardScaler().fit_transform(x)
        iris = train_test_split(x, y, test_size=0.4, random_state=3, stratify=y)
        for c, solver in ((0.01, "lbfgs"), (0.1, "lbfgs"), (1.0, "lbfgs"), (10.0, "lbfgs"),
                          (1.0, "newton-cg")):  # fmt: skip
            params = {"model": "LogisticRegression", "C": c, "solver": solver, "epochs": EPOCHS}
            history, model = _logreg_history(iris, EPOCHS, C=c, solver=solver)
            name = f"logreg-C{c:g}" + ("-newton" if solver != "lbfgs" else "")
            run = seeder.run("iris", name, params, history, source=SOURCE_NOTEBOOK)
            if name == "logreg-C1":
                seeder.artifact(run, "notes.txt", b"LogisticRegression on iris, C=1.\n")
                seeder.artifact(run, "coefficients.json", json.dumps(model.coef_.tolist()).encode())
                seeder.artifact(run, "model/model.pkl", pickle.dumps(model))
        for depth, criterion in ((1, "gini"), (2, "gini"), (3, "gini"), (4, "gini"),
                                 (3, "entropy"), (6, "entropy")):  # fmt: skip
            params = {
                "model": "DecisionTreeClassifier",
                "max_depth": depth,
                "criterion": criterion,
                "epochs": EPOCHS,
            }
            history = _tree_history(iris, EPOCHS, max_depth=depth, criterion=criterion)
            seeder.run("iris", f"tree-d{depth}-{criterion}", params, history)

        from sklearn.linear_model import SGDClassifier

        sgd = SGDClassifier(loss="log_loss", random_state=0)
        sgd_history: dict[str, list[float]] = {"accuracy": [], "loss": []}
        x_train, x_test, y_train, y_test = iris
        from sklearn.metrics import log_loss

        for _ in range(EPOCHS):
            sgd.partial_fit(x_train, y_train, classes=[0, 1, 2])
            sgd_history["accuracy"].append(float(sgd.score(x_test, y_test)))
            sgd_history["loss"].append(float(log_loss(y_train, sgd.predict_proba(x_train))))
        sgd_history[LONG_METRIC] = _long_curve(LONG_METRIC_POINTS)
        params = {"model": "SGDClassifier", "loss": "log_loss", "epochs": EPOCHS}
        seeder.run("iris", "sgd-long", params, sgd_history, step_ms=10)

        live, _ = _logreg_history(iris, RUNNING_EPOCHS_DONE, C=100.0, solver="lbfgs")
        params = {"model": "LogisticRegression", "C": 100.0, "solver": "lbfgs", "epochs": EPOCHS}
        started = int(time.time() * 1000) - RUNNING_FOR_MS
        seeder.run("iris", "logreg-live", params, live, status=RunStatus.RUNNING, start=started)

        x, y = load_wine(return_X_y=True)
        wine = train_test_split(x, y, test_size=0.3, random_state=0, stratify=y)
        parent = seeder.run(
            "wine", "grid-search", {"model": "GridSearchCV", "estimator": "RandomForest"}, {}
        )
        best = 0.0
        for trees in (5, 20, 50):
            forest = RandomForestClassifier(n_estimators=trees, random_state=0)
            accuracy = float(forest.fit(wine[0], wine[2]).score(wine[1], wine[3]))
            best = max(best, accuracy)
            seeder.run(
                "wine",
                f"forest-{trees}",
                {"model": "RandomForestClassifier", "n_estimators": trees},
                {"accuracy": [accuracy]},
                parent=parent,
            )
        service.log_batch(parent.id, metrics=[("best_accuracy", best, 0, parent.start_time)])
        parent.last["best_accuracy"] = best
        parent.points["best_accuracy"] = 1
        return seeder.manifest
    finally:
        service.store.db.dispose()


def seed_many(
    home: Path,
    count: int,
    experiment: str = "bench",
    *,
    start_ms: int | None = None,
    db_url: str | None = None,
) -> int:
    """`count` finished runs with two metrics and two params each, one second apart from
    `start_ms` (default: ending now); returns the experiment id. The store is SQLite under
    `home`, or the database `db_url` names.

    The rows go in bulk, a few thousand runs per transaction through the store's own row
    writers (100,000 runs in seconds, where one `create_run` each would take minutes)."""
    service = service_for(home, db_url)
    try:
        experiment_id = service.create_experiment(experiment).id
        rng = random.Random(2)
        start = int(time.time() * 1000) - count * 1000 if start_ms is None else start_ms
        root = service.store.artifact_root
        for first in range(0, count, SEED_CHUNK):
            runs, params, metrics = [], [], []
            for index in range(first, min(first + SEED_CHUNK, count)):
                stamp = start + index * 1000
                run_id = uuid.uuid4().hex
                runs.append(
                    {
                        "id": run_id,
                        "experiment_id": experiment_id,
                        "name": f"run-{index}",
                        "status": RunStatus.FINISHED.value,
                        "start_time": stamp,
                        "end_time": stamp + 500,
                        "artifact_uri": f"{root}/{experiment_id}/{run_id}/artifacts",
                    }
                )
                rate = rng.choice([0.1, 0.01, 0.001])
                params += [
                    {"run_id": run_id, "key": "learning_rate", "value": str(rate)},
                    {"run_id": run_id, "key": "max_depth", "value": str(index % 10)},
                ]
                metrics += [
                    (run_id, "accuracy", rng.random(), 0, stamp),
                    (run_id, "loss", rng.random(), 0, stamp),
                ]
            with service.store.db.session(write=True) as session:
                session.execute(insert(SqlRun), runs)
                session.execute(insert(SqlParam), params)
                sql_rows.write_metrics(session, metrics)
        return experiment_id
    finally:
        service.store.db.dispose()


def seed_long_metric(home: Path, experiment: str = "bench") -> str:
    """One run in `experiment` with a 100,000-point `batch_loss`; returns its id."""
    service = service_for(home)
    try:
        found = service.get_experiment_by_name(experiment)
        experiment_id = found.id if found else service.create_experiment(experiment).id
        stamp = int(time.time() * 1000)
        record = service.create_run(
            experiment_id, name="long", status=RunStatus.FINISHED, start_time=stamp,
            end_time=stamp + LONG_METRIC_POINTS,
        )  # fmt: skip
        points = [
            (LONG_METRIC, value, step, stamp + step)
            for step, value in enumerate(_long_curve(LONG_METRIC_POINTS))
        ]
        for offset in range(0, len(points), 10_000):
            service.log_batch(record.id, metrics=points[offset : offset + 10_000])
        return record.id
    finally:
        service.store.db.dispose()


def seed_series_run(
    home: Path,
    experiment: str,
    name: str,
    metrics: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
    batch: int = 200_000,
) -> str:
    """One finished run in `experiment` whose metrics are `(steps, timestamps, values)` arrays
    of any length; returns its id. The points go straight into the series store, `batch` a
    transaction (ten million in seconds, where `log_batch` would take minutes), and each
    metric's summary is written once."""
    service = service_for(home)
    try:
        found = service.get_experiment_by_name(experiment)
        experiment_id = found.id if found else service.create_experiment(experiment).id
        stamp = int(time.time() * 1000)
        record = service.create_run(
            experiment_id, name=name, status=RunStatus.FINISHED, start_time=stamp,
            end_time=stamp + 1,
        )  # fmt: skip
        database = service.store.db
        for key, (steps, stamps, values) in metrics.items():
            with database.session(write=True) as session:
                series_id = series_store.intern(session, series_store.Owner.run(record.id), key)
            for at in range(0, len(steps), batch):
                part = slice(at, at + batch)
                with database.session(write=True) as session:
                    series_store.append(session, series_id, steps[part], stamps[part], values[part])
            last = int(np.lexsort((stamps, steps))[-1])
            summary = [
                float(values[last]), int(steps[last]), int(stamps[last]),
                sql_rows.or_none(float(np.nanmin(values))),
                sql_rows.or_none(float(np.nanmax(values))), len(steps),
            ]  # fmt: skip
            with database.session(write=True) as session:
                sql_rows.merge_summaries(session, {(record.id, key): summary})
        return record.id
    finally:
        service.store.db.dispose()
