"""The debugger widget in a real notebook: a cell trains under a `DebugSession` in a real
kernel, storing into the lab's store; the widget under it shows the fired rule, its finding,
and the button that runs `studio:open-debugger`, which opens the run's Debugger tab at the
finding. (Where the command is missing, the button is disabled: the Jest spec covers it.)"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.browser.lab import LabServer
    from tests.browser.pages import StudioPage

NOTEBOOK = "debugger_widget.ipynb"

# Records as a hook makes them, by hand, so that the test needs no torch in the kernel.
CELL = """\
import numpy as np
import studio
from studio.debugger import DebugSession, Rule
from studio.debugger.record import StepRecord
from studio.debugger.stats import STATS


class LossAbove(Rule):
    collections = ("losses",)

    def observe(self, record):
        if record.stat("losses/loss", "mean") > 5:
            return [self.finding(record, ("losses/loss",), "The loss is above 5.")]
        return []


run = studio.start_run(experiment="debugger-widget", name="widget")
session = DebugSession(run, rules=[LossAbove()])
for step, loss in enumerate([2.0, 1.5, 1.2, 1.1, 9.0]):
    stats = np.zeros((2, len(STATS)))
    stats[:, STATS.index("mean")] = loss
    stats[:, STATS.index("l2")] = 1.0 + step
    record = StepRecord(step * 10, "train", 0, ("losses/loss", "gradients/fc.weight"), stats)
    session.submit(record)
session.close()
run.end()
print("run", run.id)
"""


def write_notebook(lab: LabServer) -> None:
    notebook = {
        "cells": [
            {"cell_type": "code", "execution_count": None, "id": "train",
             "metadata": {}, "outputs": [], "source": CELL},
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }  # fmt: skip
    (lab.root_dir / NOTEBOOK).write_text(json.dumps(notebook))


def test_the_widget_shows_the_finding_and_opens_the_debugger(
    studio: StudioPage, lab: LabServer
) -> None:
    # The notebook logs into an experiment of its own, deleted afterwards: the other browser
    # tests compare the sidebar with the seeded store.
    status, created = lab.api("POST", "experiments", {"name": "debugger-widget"})
    assert status == 201, created
    try:
        check_the_widget(studio, lab)
    finally:
        status, deleted = lab.api("DELETE", f"experiments/{created['id']}")
        assert status in (200, 204), deleted


def check_the_widget(studio: StudioPage, lab: LabServer) -> None:
    write_notebook(lab)
    notebook = studio.open_notebook(NOTEBOOK)
    studio.record_command_executions()
    studio.run_all_cells()

    widget = studio.debugger_widget(notebook)
    widget.get_by_text("LossAbove at step 40: The loss is above 5.").wait_for()
    text = widget.inner_text()
    assert "LossAbove: firing" in text
    assert "step 40 (every 10 steps)" in text
    assert "Findings: 1" in text
    assert widget.locator("polyline").count() == 2  # the loss and the gradient norm

    button = notebook.get_by_test_id("studio-open-debugger")
    button.wait_for()
    assert button.inner_text() == "Open in Studio debugger at step 40"
    studio.screenshot("debugger-widget", notebook.locator(".jp-Cell-outputWrapper").first)
    run_id = notebook.locator(".jp-OutputArea-output").filter(has_text="run ").last.inner_text()
    run_id = run_id.split()[-1]

    assert button.is_enabled()
    button.click()
    assert studio.executed_commands("studio:open-debugger") == [
        {
            "id": "studio:open-debugger",
            "args": {"runId": run_id, "step": 40, "tensor": "losses/loss"},
        }
    ]
    panel = studio.run_panel(run_id)
    panel.get_by_test_id("studio-finding").first.wait_for()
    assert studio.debugger_tab_selected(panel)
    assert [(rule, step) for rule, step, _ in studio.findings(panel)] == [("LossAbove", 40)]
    studio.screenshot("debugger-widget-opened")
