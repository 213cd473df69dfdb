"""Every example notebook runs top to bottom with papermill, against a throwaway store.

The kernel is the "python3" kernelspec of this environment; it inherits this process's
environment, so each test points STUDIO_HOME (and Jupyter's and IPython's own folders) at its
tmp_path and the notebook never touches the user's store. Afterwards the store must hold what
the notebook logged.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import papermill
import pytest

from studio.config import (
    ARTIFACT_ROOT_ENV,
    DB_URL_ENV,
    HOME_ENV,
    RUN_ID_ENV,
    TOKEN_ENV,
    TRACKING_URI_ENV,
)
from studio.tracking.client import Client
from studio.tracking.entities import RunRecord, RunStatus
from studio.tracking.fluent import EXPERIMENT_ENV

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "examples").glob("*.ipynb"))


def check_quickstart(client: Client) -> None:
    runs = client.search_runs("papermill-quickstart")
    assert all(run.status is RunStatus.FINISHED for run in runs)
    top = {run.name: run for run in runs if run.parent_run_id is None}
    assert sorted(top) == [
        "GridSearchCV",
        "RandomForestClassifier cross_validate",
        "gbr-stages",
        "sgd-by-epoch",
        "softmax-sgd-long",
    ]

    sgd = top["sgd-by-epoch"]
    assert sgd.params["epochs"] == "7"  # the value papermill injected
    for key in ("train_accuracy", "val_accuracy", "val_log_loss"):
        assert client.get_metric_history(sgd.id, key).steps == list(range(7)), key
    assert [artifact.path for artifact in client.list_artifacts(sgd.id)] == ["model"]

    gbr = top["gbr-stages"]
    assert gbr.metrics["val_rmse"].count == gbr.metrics["train_rmse"].count == 120

    search = top["GridSearchCV"]
    assert search.tags["studio.autolog"] == "sklearn"
    assert "best_score" in search.metrics
    children = [run for run in runs if run.parent_run_id == search.id]
    assert len(children) == 8
    assert all("mean_test_score" in child.metrics for child in children)
    assert client.load_model(search.id).predict  # the best estimator, loadable

    folds = client.get_metric_history(
        top["RandomForestClassifier cross_validate"].id, "cv_test_score"
    )
    assert folds.steps == [0, 1, 2, 3, 4]

    long = top["softmax-sgd-long"]
    assert long.params["steps"] == "3000"  # the value papermill injected
    assert long.metrics["batch_loss"].count == 3000
    whole = client.get_metric_history(long.id, "batch_loss", max_points=200)
    assert whole.downsampled
    assert whole.total == 3000
    assert len(whole.steps) <= 200
    assert max(whole.values) == long.metrics["batch_loss"].max


def check_debugger(client: Client) -> None:
    runs = {run.name: run for run in client.search_runs("papermill-debugger")}
    assert sorted(runs) == ["exploding-lr", "healthy", "sklearn-mlp"]
    assert client.get_findings(runs["healthy"].id) == []
    assert client.get_findings(runs["sklearn-mlp"].id) == []
    findings = client.get_findings(runs["exploding-lr"].id)
    assert "ExplodingTensor" in {finding.rule for finding in findings}
    stats = client.get_tensor_stats(runs["healthy"].id, tensor="losses/loss", mode="train")
    assert len(stats) > 5
    assert stats["mean"].iloc[-1] < stats["mean"].iloc[0]  # the healthy training learns


def check_jobs(client: Client) -> None:
    runs = client.search_runs("papermill-jobs")
    assert sorted(run.params["C"] for run in runs) == ["0.01", "10.0"]  # one job run each
    for run in runs:
        assert run.status is RunStatus.FINISHED
        assert run.tags["studio.job.status"] == "SUCCEEDED"
        assert run.params["model"] == "logistic_regression"
        assert {"test_accuracy", "test_f1", "test_roc_auc"} <= set(run.metrics)
        assert client.get_metric_history(run.id, "cv_accuracy").steps == [0, 1, 2, 3, 4]


def check_jobs_outputs(executed: nbformat.NotebookNode) -> None:
    last = executed.cells[-1].outputs
    assert [output.data["text/plain"] for output in last if "data" in output] == ["[]"]
    assert "active: False" in "".join(output.get("text", "") for output in last)


def check_registry(client: Client) -> None:
    runs = client.search_runs("papermill-registry")
    assert sorted(run.name for run in runs) == ["forest", "logistic", "stump"]
    versions = client.list_model_versions("breast-cancer")
    assert [version.status.value for version in versions] == ["APPROVED"] * 3


def check_registry_outputs(executed: nbformat.NotebookNode) -> None:
    text = "".join(
        output.get("text", "")
        for cell in executed.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    assert "B beats A" in text  # the online evaluation called the winner
    assert "running: False" in text  # and the endpoint was stopped


def check_evaluation(client: Client) -> None:
    runs = {run.name: run for run in client.search_runs("papermill-evaluation")}
    for name in ("logistic holdout", "logistic 5-fold", "logistic test"):
        assert runs[name].metrics["accuracy"].last > 0.9, name
        assert "baseline_accuracy" in runs[name].metrics, name
        assert runs[name].tags["studio.evaluation.passed"] == "true", name
        assert [item.path for item in client.list_artifacts(runs[name].id, "evaluation")], name
    folds = client.get_metric_history(runs["logistic 5-fold"].id, "cv_accuracy")
    assert folds.steps == [0, 1, 2, 3, 4]
    jobs = [run for run in runs.values() if "studio.job.status" in run.tags]
    assert [run.tags["studio.job.status"] for run in jobs] == ["SUCCEEDED"]
    assert "accuracy" in jobs[0].metrics  # the template's evaluation, logged to the job's run
    assert client.load_model(jobs[0].id).predict

    automl = client.search_runs("papermill-evaluation-automl")
    parent = next(run for run in automl if run.parent_run_id is None)
    assert parent.tags["studio.automl.phase"] == "done"
    assert any(run.parent_run_id == parent.id for run in automl)  # the candidates
    name, version = parent.tags["studio.automl.model"].split("/")
    assert client.get_model_version(name, version).run_id


def debugger_text(executed: nbformat.NotebookNode) -> str:
    """The widget's text summaries in the saved notebook: what a reader sees where the
    widgets are not rendered."""
    return "\n".join(
        output.data["text/plain"]
        for cell in executed.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "application/vnd.jupyter.widget-view+json" in output.get("data", {})
    )


def check_debugger_outputs(executed: nbformat.NotebookNode) -> None:
    text = debugger_text(executed)
    assert text.count("Studio debugger · run ") == 3  # one widget per training
    assert "Training stopped by a rule." in text
    assert "  firing        ExplodingTensor" in text
    assert "ExplodingTensor at step " in text


# Per notebook: the parameters papermill injects (a Path is a folder inside the test's
# tmp_path, so that files a notebook writes stay out of examples/), and what its store must
# hold afterwards.
EXPECTED: dict[str, tuple[dict[str, Any], Callable[[Client], None]]] = {
    "01_tracking_quickstart.ipynb": (
        {"experiment": "papermill-quickstart", "epochs": 7, "long_steps": 3000},
        check_quickstart,
    ),
    "02_debugger.ipynb": ({"experiment": "papermill-debugger"}, check_debugger),
    "03_jobs.ipynb": ({"experiment": "papermill-jobs"}, check_jobs),
    "04_registry.ipynb": ({"experiment": "papermill-registry", "n_requests": 1200}, check_registry),
    # The limit: an AutoML budget of at most 20 s under make test.
    "05_evaluation_automl.ipynb": (
        {"experiment": "papermill-evaluation", "time_budget": 10, "workdir": Path("work")},
        check_evaluation,
    ),
}
# Per notebook: what its saved outputs must show.
EXPECTED_OUTPUTS: dict[str, Callable[[nbformat.NotebookNode], None]] = {
    "02_debugger.ipynb": check_debugger_outputs,
    # The nightly definition it made is gone: `make lab` users are left with no schedule.
    "03_jobs.ipynb": check_jobs_outputs,
    "04_registry.ipynb": check_registry_outputs,
}


def stop_endpoints(home: Path) -> None:
    """Stop what an example that failed half-way left serving (`studio serve` outlives its
    kernel by design)."""
    if not (home / "studio.db").exists():
        return
    from studio.config import StudioConfig
    from studio.db.engine import Database
    from studio.serving.service import EndpointService

    config = StudioConfig.resolve(home=home)
    database = Database.from_config(config)
    try:
        service = EndpointService.from_database(database, config)
        for endpoint in service.list():
            if endpoint.running:
                service.stop(endpoint.name)
    finally:
        database.dispose()


def no_run_left_running(client: Client) -> None:
    running: list[RunRecord] = client.search_runs(filter="status = 'RUNNING'")
    assert running == []


@pytest.fixture
def studio_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """STUDIO_HOME for the kernel; Jupyter and IPython folders in tmp_path too."""
    for name in (
        DB_URL_ENV,
        ARTIFACT_ROOT_ENV,
        TRACKING_URI_ENV,
        TOKEN_ENV,
        RUN_ID_ENV,
        EXPERIMENT_ENV,
    ):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "studio-home"
    monkeypatch.setenv(HOME_ENV, str(home))
    # The kernelspec is still found: jupyter_path() always includes sys.prefix/share/jupyter.
    for name in ("JUPYTER_RUNTIME_DIR", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "IPYTHONDIR"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    # The kernel imports the studio of this checkout, installed or not.
    path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), path])))
    return home


def test_there_is_an_example_notebook() -> None:
    assert [notebook.name for notebook in NOTEBOOKS][:1] == ["01_tracking_quickstart.ipynb"]


def test_examples_are_stored_without_outputs() -> None:
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [], f"{path.name} keeps outputs"
                assert cell.execution_count is None, f"{path.name} keeps execution counts"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.name for path in NOTEBOOKS])
def test_example_runs_top_to_bottom(path: Path, studio_home: Path, tmp_path: Path) -> None:
    parameters, check = EXPECTED.get(path.name, ({}, no_run_left_running))
    parameters = {
        name: str(tmp_path / value) if isinstance(value, Path) else value
        for name, value in parameters.items()
    }
    output = tmp_path / path.name
    try:
        papermill.execute_notebook(
            str(path),
            str(output),
            parameters=parameters,
            kernel_name="python3",
            cwd=str(path.parent),
            progress_bar=False,
            execution_timeout=120,
        )
    finally:
        stop_endpoints(studio_home)

    executed = nbformat.read(output, as_version=4)
    errors = [
        output
        for cell in executed.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert errors == []
    EXPECTED_OUTPUTS.get(path.name, lambda _: None)(executed)
    assert (studio_home / "studio.db").exists(), "the kernel did not use the test's STUDIO_HOME"
    client = Client(str(studio_home))
    check(client)
    no_run_left_running(client)
