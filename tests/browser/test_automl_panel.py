"""AutoML in a real JupyterLab: "Run AutoML…" on a CSV with a categorical column and missing
values starts a 5-second search as a notebook job; the AutoML panel opens on it by itself,
follows it without a refresh until it is done, and shows the leaderboard in rank order with
the scores ordered; its notebooks are listed, and "Deploy best" opens the registry's deploy
dialog for the version it registered."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.browser.page_automl import remove_traces
from tests.browser.pages import DARK_THEME, LIGHT_THEME, tid

if TYPE_CHECKING:
    from tests.browser.lab import LabServer
    from tests.browser.pages import StudioPage

DATA = "automl_demo.csv"
MODEL = "automl-panel-model"
EXPERIMENT = "automl-automl_demo"
BUDGET_S = 5


def write_data(lab: LabServer) -> None:
    """200 rows: two numeric columns (one with gaps), a colour, and a label they decide."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    size = rng.normal(size=200)
    weight = rng.normal(size=200)
    colour = rng.choice(["red", "green", "blue"], size=200)
    label = np.where(size + (colour == "red") + 0.3 * rng.normal(size=200) > 0.5, "yes", "no")
    weight[rng.choice(200, size=20, replace=False)] = np.nan
    frame = pd.DataFrame({"size": size, "weight": weight, "colour": colour, "label": label})
    frame.to_csv(lab.root_dir / DATA, index=False)


@pytest.fixture(autouse=True)
def leave_nothing(lab: LabServer) -> Iterator[None]:
    yield
    remove_traces(lab, "automl_demo", MODEL, {EXPERIMENT})


def test_run_automl_and_follow_its_leaderboard(studio: StudioPage, lab: LabServer) -> None:
    write_data(lab)
    dialog = studio.data_file_dialog(DATA, "Run AutoML…")
    assert studio.field(dialog, "studio-train-target").input_value() == "label"
    assert studio.detected_task(dialog) == "Detected: Binary classification"
    studio.field(dialog, "studio-automl-budget").fill(str(BUDGET_S))
    studio.field(dialog, "studio-automl-register").fill(MODEL)
    studio.screenshot("automl_dialog")
    studio.press_dialog_button(dialog, "Start")

    # The panel opens by itself and waits for the job's search.
    panel = studio.automl_panel()
    studio.automl_phase(panel, {"Exploring the data", "Searching", "Refitting the best", "Done"},
                        90)  # fmt: skip
    seen_live = studio.automl_phase(panel, {"Searching", "Refitting the best", "Done"}, 60)
    if seen_live != "Done":
        studio.screenshot("automl_running")
    # No refresh pressed: the panel follows the search to its end.
    assert studio.automl_phase(panel, {"Done", "Failed"}, 90) == "Done", lab.log_tail()

    rows = studio.leaderboard(panel)
    ranked = [row for row in rows if row["rank"]]
    assert len(ranked) >= 2, rows
    assert [int(row["rank"]) for row in ranked] == list(range(1, len(ranked) + 1))
    scores = [float(row["score"].split(" ± ")[0]) for row in ranked]
    assert scores == sorted(scores, reverse=True), rows  # accuracy: greater is better
    assert all(row["state"] == "complete" for row in ranked)
    assert panel.locator(tid("studio-automl-notebook-exploration")).is_visible()
    assert panel.locator(tid("studio-automl-notebook-candidates")).is_visible()
    studio.screenshot("automl_panel")
    studio.change_theme(DARK_THEME)
    try:
        assert studio.is_dark(panel.locator(tid("studio-automl-leaderboard")))
        studio.screenshot("automl_panel_dark")
    finally:
        studio.change_theme(LIGHT_THEME)

    panel.locator(tid("studio-automl-deploy")).click()
    deploy = studio.dialog("studio-deploy-form")
    assert f"Deploy {MODEL} version 1" in deploy.inner_text()
    studio.screenshot("automl_deploy_dialog")
    studio.press_dialog(deploy, "Cancel")
