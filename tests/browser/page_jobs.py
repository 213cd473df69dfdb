"""The page object's notebook-jobs parts: the file browser's "Create Notebook Job…", the job
dialog, the Jobs panel's Runs and Definitions tabs, the sidebar's Jobs section."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page


from tests.browser.page_support import poll, tid

JOBS_PANEL = ".jp-Studio-jobsPanel"
JOB_DIALOG = ".jp-Dialog:has(.jp-Studio-jobDialog)"


class JobsPage:
    """A part of `StudioPage` (tests/browser/pages.py), which mixes it in."""

    page: Page
    screenshots: Path

    if TYPE_CHECKING:

        def execute(self, command: str, args: dict[str, Any] | None = None) -> None: ...
        def context_menu(self, target: Locator) -> Locator: ...
        def choose(self, menu: Locator, label: str) -> None: ...

    # The file browser ------------------------------------------------------------------------

    def file_item(self, name: str) -> Locator:
        """The file browser's item of `name` (in the folder it shows), once listed."""
        self.execute("filebrowser:activate")
        self.execute("filebrowser:refresh")
        item = self.page.locator(".jp-DirListing-item").filter(
            has=self.page.locator(".jp-DirListing-itemText", has_text=name)
        )
        item.first.wait_for(state="visible")
        return item.first

    def create_job_from_file_browser(self, name: str) -> Locator:
        """Right-click the notebook `name`, choose "Create Notebook Job…"; the dialog."""
        menu = self.context_menu(self.file_item(name))
        self.choose(menu, "Create Notebook Job…")
        dialog = self.page.locator(JOB_DIALOG)
        dialog.wait_for(state="visible")
        return dialog

    def create_job_from_toolbar(self, notebook: Locator) -> Locator:
        """Press the notebook toolbar's "Create Notebook Job"; the dialog."""
        notebook.locator('.jp-Toolbar [data-jp-item-name="studio-create-job"] button').click()
        dialog = self.page.locator(JOB_DIALOG)
        dialog.wait_for(state="visible")
        return dialog

    # The job dialog --------------------------------------------------------------------------

    def job_parameters(self, dialog: Locator) -> dict[str, str]:
        """The detected parameters (name -> text in its field), once read from the notebook."""
        dialog.locator(f'{tid("studio-job-parameters")}[data-loaded="true"]').wait_for()
        fields = dialog.locator(tid("studio-job-parameter"))
        return {
            str(field.get_attribute("data-name")): field.input_value() for field in fields.all()
        }

    def set_job_parameter(self, dialog: Locator, name: str, text: str) -> None:
        dialog.locator(f'{tid("studio-job-parameter")}[data-name="{name}"]').fill(text)

    def schedule_job(self, dialog: Locator, preset: str, time: str | None = None) -> None:
        """Choose "On a schedule" and a preset (hourly, daily, weekdays, weekly, custom)."""
        dialog.locator(tid("studio-job-mode-schedule")).check()
        dialog.locator(tid("studio-job-preset")).select_option(preset)
        if time is not None:
            dialog.locator(tid("studio-job-time")).fill(time)

    def set_job_cron(self, dialog: Locator, cron: str) -> None:
        dialog.locator(tid("studio-job-cron")).fill(cron)

    def set_job_timezone(self, dialog: Locator, timezone: str) -> None:
        dialog.locator(tid("studio-job-timezone")).fill(timezone)

    def schedule_words(self, dialog: Locator, expected: str) -> list[str]:
        """Once the preview says `expected` in words: the next times it lists."""
        words = dialog.locator(tid("studio-job-schedule-words"))
        poll(lambda: words.inner_text() if words.count() else "", lambda t: expected in t,
             "the schedule in words", 10)  # fmt: skip
        return dialog.locator(tid("studio-job-next-time")).all_inner_texts()

    def schedule_error(self, dialog: Locator) -> str:
        error = dialog.locator(tid("studio-job-schedule-error"))
        error.wait_for(state="visible")
        return error.inner_text()

    def job_dialog(self) -> Locator:
        dialog = self.page.locator(JOB_DIALOG)
        dialog.wait_for(state="visible")
        return dialog

    def add_job_variable(self, dialog: Locator, name: str, value: str) -> None:
        """Under "Timeout, retries, environment, experiment", add a plain variable."""
        more = dialog.locator(".jp-Studio-jobForm-more")
        if more.get_attribute("open") is None:
            more.locator("summary").click()
        more.get_by_role("button", name="Add variable").click()
        row = more.locator(".jp-Studio-jobForm-environment .jp-Studio-jobForm-row").last
        row.get_by_label("Name").fill(name)
        row.get_by_label("Value").fill(value)

    def submit_job(self, dialog: Locator, button: str = "Create") -> None:
        dialog.locator("button.jp-Dialog-button", has_text=button).click()
        dialog.wait_for(state="detached")

    # The Jobs panel --------------------------------------------------------------------------

    def jobs_panel(self) -> Locator:
        panel = self.page.locator(JOBS_PANEL)
        panel.wait_for(state="visible")
        return panel

    def open_jobs(self) -> Locator:
        self.execute("studio:open-jobs")
        return self.jobs_panel()

    def jobs_tab(self, panel: Locator, tab: str) -> None:
        panel.locator(tid(f"studio-jobs-tab-{tab}")).click()

    def job_run_rows(self, panel: Locator) -> Locator:
        return panel.locator(tid("studio-job-run"))

    def job_run_row(self, panel: Locator, name: str) -> Locator:
        """The newest run row of the job `name`, once listed."""
        row = self.job_run_rows(panel).filter(has_text=name).first
        row.wait_for(state="visible")
        return row

    def wait_job_status(self, row: Locator, statuses: set[str], timeout_s: float = 30) -> str:
        return poll(lambda: str(row.get_attribute("data-status")), lambda s: s in statuses,
                    "the job run's status", timeout_s)  # fmt: skip

    def job_progress_text(self, row: Locator) -> str:
        progress = row.locator(tid("studio-job-progress-text"))
        return progress.inner_text() if progress.count() else ""

    def open_job_output(self, row: Locator) -> Locator:
        """Press the row's "Notebook"; the executed notebook's panel, once its cells show."""
        button = row.locator(tid("studio-job-open-output"))
        poll(button.is_enabled, bool, "the executed notebook's button", 15)
        button.click()
        notebook = self.page.locator(".jp-NotebookPanel:visible").last
        notebook.locator(".jp-Cell").first.wait_for(state="visible")
        return notebook

    def open_job_log(self, row: Locator) -> str:
        """Press the row's "Log"; the log's text once the view says the run ended."""
        row.locator(tid("studio-job-open-log")).click()
        log = self.page.locator('.jp-Studio-jobLogPanel .jp-Studio-jobLog[data-done="true"]')
        log.wait_for(state="visible")
        return log.locator(tid("studio-job-log")).inner_text()

    def menu_item_disabled(self, menu: Locator, label: str) -> bool:
        label_node = self.page.locator(".lm-Menu-itemLabel", has_text=label)
        item = menu.locator(".lm-Menu-item").filter(has=label_node).first
        return "lm-mod-disabled" in (item.get_attribute("class") or "")

    def job_definition_row(self, panel: Locator, name: str) -> Locator:
        row = panel.locator(tid("studio-job-definition")).filter(has_text=name).first
        row.wait_for(state="visible")
        return row

    def sidebar_jobs(self, sidebar: Locator) -> Locator:
        section = sidebar.locator(tid("studio-jobs-section"))
        section.wait_for(state="visible")
        return section
