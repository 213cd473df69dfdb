"""Built-in training from the file browser in a real JupyterLab: "Train a Model…" on a CSV
reads its columns (the last one preselected as the target, the task detected, a preview),
offers the catalogue's algorithms with their hyperparameters (a value out of its range is
refused in the dialog), and submits a notebook job; the job succeeds, its tracked run holds a
model and its cross-validated evaluation, and the model is registered under the name given."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.browser.page_automl import ENDED, remove_traces
from tests.browser.pages import tid

if TYPE_CHECKING:
    from tests.browser.lab import LabServer
    from tests.browser.pages import StudioPage

DATA = "train_demo.csv"
EXPERIMENT = "train-dialog"
MODEL = "train-dialog-model"
MODEL_META = "studio-model.json"


def write_data(lab: LabServer) -> None:
    """Iris with the species by name, the target last."""
    from sklearn.datasets import load_iris

    iris = load_iris(as_frame=True)
    frame = iris.frame.drop(columns="target")
    frame["species"] = iris.target_names[iris.target]
    frame.to_csv(lab.root_dir / DATA, index=False)


@pytest.fixture(autouse=True)
def leave_nothing(lab: LabServer) -> Iterator[None]:
    yield
    remove_traces(lab, "train_demo", MODEL, {EXPERIMENT})


def model_folders(lab: LabServer, run_id: str) -> list[str]:
    """The run's top-level artifact folders that hold a saved model."""
    status, listing = lab.api("GET", f"runs/{run_id}/artifacts")
    assert status == 200, listing
    folders = []
    for artifact in listing["artifacts"]:
        if artifact["is_dir"]:
            inner = lab.api("GET", f"runs/{run_id}/artifacts?path={artifact['path']}")[1]
            if any(f["path"].endswith(MODEL_META) for f in inner["artifacts"]):
                folders.append(artifact["path"])
    return folders


def test_train_a_model_from_the_file_browser(studio: StudioPage, lab: LabServer) -> None:
    write_data(lab)
    dialog = studio.data_file_dialog(DATA, "Train a Model…")
    assert studio.field(dialog, "studio-train-target").input_value() == "species"
    assert studio.detected_task(dialog) == "Detected: Multiclass classification"
    assert "setosa" in studio.field(dialog, "studio-train-classes").inner_text()
    assert studio.field(dialog, "studio-train-preview").locator("tbody tr").count() == 5

    studio.field(dialog, "studio-train-algorithm").select_option("logistic_regression")
    c_field = studio.field(dialog, "studio-train-hp-C")
    c_field.fill("-1")
    assert "C must be within" in dialog.get_by_role("alert").inner_text()
    c_field.fill("0.5")
    assert dialog.get_by_role("alert").count() == 0
    studio.field(dialog, "studio-train-validation").select_option("cv")
    studio.field(dialog, "studio-train-folds").fill("3")
    studio.field(dialog, "studio-train-experiment").fill(EXPERIMENT)
    studio.field(dialog, "studio-train-register").fill(MODEL)
    studio.screenshot("train_dialog")
    studio.press_dialog_button(dialog, "Train")

    toast = studio.notification("Training queued")
    toast.wait_for(state="visible")
    assert "logistic_regression on train_demo.csv" in toast.inner_text()
    studio.screenshot("train_queued")
    # "Notebook" opens the template the job runs a copy of, beside the data, to edit.
    toast.get_by_role("button", name="Notebook").click()
    studio.wait_for_tab("train_demo.train-logistic_regression.ipynb")
    panel = studio.open_jobs()
    row = studio.job_run_row(panel, "train_demo")
    assert studio.wait_job_status(row, ENDED, 120) == "SUCCEEDED", lab.log_tail()
    studio.screenshot("train_job_succeeded")

    job_run = lab.api("GET", f"jobs/runs/{row.get_attribute('data-job-run-id')}")[1]
    run_id = job_run["run_id"]
    assert model_folders(lab, run_id), "the job's run holds no model"
    status, versions = lab.api("GET", f"models/{MODEL}/versions")
    assert status == 200, versions
    assert [version["run_id"] for version in versions["versions"]] == [run_id]

    row.locator(tid("studio-job-tracked-run")).click()
    studio.run_panel(run_id).wait_for(state="visible")
    # The run is evaluated as chosen: 3-fold CV, in its Evaluation tab.
    run_panel = studio.open_evaluation(run_id)
    assert list(studio.evaluation_labels(run_panel)) == ["cv"]
    studio.screenshot("train_run_evaluation")
