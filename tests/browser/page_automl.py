"""The page object's training and AutoML parts: "Train a Model…" and "Run AutoML…" from the
file browser, their dialogs, and the AutoML panel with its leaderboard."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

    from tests.browser.lab import LabServer


from tests.browser.page_support import poll, tid

TRAIN_DIALOG = ".jp-Dialog:has(.jp-Studio-trainDialog)"
AUTOML_PANEL = ".jp-Studio-automlPanel"
ENDED = {"SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT", "STOPPED_BY_RULE"}


def remove_traces(lab: LabServer, stem: str, model: str, experiments: set[str]) -> None:
    """Leave the lab as the other tests expect it: no job run of the data file `stem`, no
    registered `model`, none of `experiments`, no file named after `stem`."""
    for job_run in lab.api("GET", "jobs/runs")[1]["runs"]:
        if stem not in job_run["notebook_path"]:
            continue
        if job_run["status"] not in ENDED:
            lab.api("POST", f"jobs/runs/{job_run['id']}/cancel")
        poll(lambda: lab.api("DELETE", f"jobs/runs/{job_run['id']}")[0],  # noqa: B023
             lambda status: status in (204, 404), "the job run deleted", 30)  # fmt: skip
    lab.api("DELETE", f"models/{model}")
    for experiment in lab.api("GET", "experiments")[1]["experiments"]:
        if experiment["name"] in experiments:
            lab.api("DELETE", f"experiments/{experiment['id']}")
    for path in lab.root_dir.glob(f"{stem}*"):
        shutil.rmtree(path) if path.is_dir() else path.unlink()


class AutoMLPage:
    """A part of `StudioPage` (tests/browser/pages.py), which mixes it in."""

    page: Page
    screenshots: Path

    if TYPE_CHECKING:

        def execute(self, command: str, args: dict[str, Any] | None = None) -> None: ...
        def context_menu(self, target: Locator) -> Locator: ...
        def choose(self, menu: Locator, label: str) -> None: ...
        def file_item(self, name: str) -> Locator: ...

    # The dialogs -----------------------------------------------------------------------------

    def data_file_dialog(self, name: str, item: str) -> Locator:
        """Right-click the data file `name`, choose `item` ("Train a Model…", "Run AutoML…");
        the dialog, once the file's columns are read and its last column is the target."""
        self.choose(self.context_menu(self.file_item(name)), item)
        dialog = self.page.locator(TRAIN_DIALOG)
        dialog.wait_for(state="visible")
        dialog.locator(f"{tid('studio-train-target')}:not([disabled])").wait_for()
        return dialog

    def detected_task(self, dialog: Locator) -> str:
        """The task select's first option once the target's task is detected ("Detected: …")."""
        option = dialog.locator(f"{tid('studio-train-task')} option").first
        return poll(option.inner_text, lambda text: text.startswith("Detected"),
                    "the detected task", 15)  # fmt: skip

    def field(self, dialog: Locator, testid: str) -> Locator:
        return dialog.locator(tid(testid))

    def press_dialog_button(self, dialog: Locator, button: str) -> None:
        dialog.locator("button.jp-Dialog-button", has_text=button).click()
        dialog.wait_for(state="detached")

    # The AutoML panel ------------------------------------------------------------------------

    def automl_panel(self) -> Locator:
        """The AutoML panel, once it shows."""
        panel = self.page.locator(AUTOML_PANEL)
        panel.wait_for(state="visible")
        return panel

    def open_automl(self, run_id: str | None = None) -> Locator:
        self.execute("studio:open-automl", {"runId": run_id} if run_id else {})
        return self.automl_panel()

    def automl_phase(self, panel: Locator, phases: set[str], timeout_s: float) -> str:
        """The shown search's phase, once it is one of `phases`."""
        phase = panel.locator(tid("studio-automl-phase"))
        return poll(lambda: phase.inner_text() if phase.count() else "",
                    lambda text: text in phases, "the AutoML phase", timeout_s)  # fmt: skip

    def leaderboard(self, panel: Locator) -> list[dict[str, str]]:
        """The leaderboard's rows as shown: run id, rank, score text, state."""
        rows = panel.locator(tid("studio-automl-candidate"))
        return [
            {
                "run_id": str(row.get_attribute("data-run-id")),
                "rank": row.locator(tid("studio-automl-rank")).inner_text(),
                "score": row.locator(tid("studio-automl-score")).inner_text(),
                "state": row.locator(".jp-Studio-automl-state").inner_text(),
            }
            for row in rows.all()
        ]
