"""Notebook jobs in a real JupyterLab: a parameterised notebook in the server's root becomes a
job from the file browser's context menu; it runs now with a parameter changed, its progress
shows in the Jobs panel's Runs tab, it succeeds, and its executed notebook opens with the
parameter's effect in its output. Then the same notebook on a schedule: the dialog says the
schedule in words (and refuses an invalid one with the server's message), and the Definitions
tab lists it with its next run."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.browser.pages import DARK_THEME, LIGHT_THEME, poll, tid

if TYPE_CHECKING:
    from tests.browser.lab import LabServer
    from tests.browser.pages import StudioPage

NOTEBOOK = "jobs_demo.ipynb"
JOB_NAME = "jobs_demo"  # The job's default name, and so its experiment's.
ENDED = {"SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT", "STOPPED_BY_RULE"}
PARAMETERS = "steps = 2\nlabel = 'light'\n"
STEP = "import time\ntime.sleep(1)\nprint('step', {index}, 'of', steps)"
REPORT = "import os\nprint(f'{label} finished after {steps} steps,', os.environ['DEMO_MODE'])"


def write_notebook(lab: LabServer) -> None:
    """A notebook of about 4 s: a `parameters` cell, four one-second cells, a report."""
    cells: list[dict[str, object]] = [
        {"cell_type": "code", "execution_count": None, "id": "params",
         "metadata": {"tags": ["parameters"]}, "outputs": [], "source": PARAMETERS},
    ] + [
        {"cell_type": "code", "execution_count": None, "id": f"step{index}",
         "metadata": {}, "outputs": [], "source": STEP.format(index=index)}
        for index in range(4)
    ] + [
        {"cell_type": "code", "execution_count": None, "id": "report",
         "metadata": {}, "outputs": [], "source": REPORT},
    ]  # fmt: skip
    notebook = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (lab.root_dir / NOTEBOOK).write_text(json.dumps(notebook))


@pytest.fixture(autouse=True)
def leave_no_job(lab: LabServer) -> Iterator[None]:
    """The session's lab as the other tests expect it: no definition, no job run, no job's
    experiment (the sidebar counts the seeded ones), no notebook of these tests."""
    yield
    for definition in lab.api("GET", "jobs/definitions")[1]["definitions"]:
        lab.api("DELETE", f"jobs/definitions/{definition['id']}")
    for job_run in lab.api("GET", "jobs/runs")[1]["runs"]:
        if job_run["status"] not in ENDED:
            lab.api("POST", f"jobs/runs/{job_run['id']}/cancel")
        poll(lambda: lab.api("DELETE", f"jobs/runs/{job_run['id']}")[0],  # noqa: B023
             lambda status: status in (204, 404), "the job run deleted", 30)  # fmt: skip
    for experiment in lab.api("GET", "experiments")[1]["experiments"]:
        if experiment["name"] == JOB_NAME:
            lab.api("DELETE", f"experiments/{experiment['id']}")
    shutil.rmtree(lab.root_dir / "job-outputs", ignore_errors=True)
    (lab.root_dir / NOTEBOOK).unlink(missing_ok=True)


@pytest.fixture
def fast_jobs(studio: StudioPage) -> Iterator[None]:
    """The Jobs panel refreshes every second while a job runs; the defaults come back after."""
    studio.set_studio_settings({"jobsInterval": 1})
    try:
        studio.reopen_lab()
        yield
    finally:
        studio.set_studio_settings({})


@pytest.mark.usefixtures("fast_jobs")
def test_create_a_job_watch_it_run_and_open_its_output(studio: StudioPage, lab: LabServer) -> None:
    write_notebook(lab)
    dialog = studio.create_job_from_file_browser(NOTEBOOK)
    assert studio.job_parameters(dialog) == {"steps": "2", "label": "'light'"}
    studio.set_job_parameter(dialog, "label", "'heavy'")
    studio.add_job_variable(dialog, "DEMO_MODE", "fast")
    dialog.locator(tid("studio-job-html")).check()
    studio.screenshot("jobs_create_dialog")
    studio.submit_job(dialog)

    panel = studio.jobs_panel()
    row = studio.job_run_row(panel, JOB_NAME)
    assert 'label="heavy"' in row.locator(tid("studio-job-params")).inner_text()
    # Cells done of the total while it runs.
    job_run_id = row.get_attribute("data-job-run-id")
    status, _ = poll(
        lambda: (row.get_attribute("data-status"), studio.job_progress_text(row)),
        lambda seen: bool(re.match(r"[1-9]\d*/\d+ cells", seen[1])) or seen[0] in ENDED,
        "the job's progress",
        60,
    )
    assert status == "RUNNING", lab.api("GET", f"jobs/runs/{job_run_id}")[1]
    studio.screenshot("jobs_running")
    assert studio.wait_job_status(row, {"SUCCEEDED", "FAILED"}) == "SUCCEEDED"
    studio.screenshot("jobs_succeeded")
    assert "heavy finished after 2 steps, fast" in studio.open_job_log(row)
    studio.screenshot("jobs_log")

    notebook = studio.open_job_output(row)
    notebook.locator(
        ".jp-OutputArea-output", has_text="heavy finished after 2 steps, fast"
    ).wait_for()
    studio.screenshot("jobs_output_notebook")

    # The row's context menu has every action; its tracked run holds the job's parameters.
    studio.activate_tab("studio-jobs")
    menu = studio.context_menu(row)
    expected = ["Open Executed Notebook", "View Log", "Open Tracked Run",
                "Re-run with Parameters…", "Cancel Job Run", "Download Outputs"]  # fmt: skip
    assert [label for label in studio.menu_labels(menu) if label in expected] == expected
    # It ended: it can be re-run, not cancelled.
    assert studio.menu_item_disabled(menu, "Cancel Job Run")
    assert not studio.menu_item_disabled(menu, "Re-run with Parameters…")
    studio.choose(menu, "Open Tracked Run")
    job_run = lab.api("GET", f"jobs/runs/{row.get_attribute('data-job-run-id')}")[1]
    assert "output.html" in job_run["outputs"]
    tracked = studio.run_panel(job_run["run_id"])
    tracked.wait_for(state="visible")
    assert "heavy" in studio.params_text(tracked)

    # Re-run offers the run's own parameters, over the notebook's defaults.
    studio.activate_tab("studio-jobs")
    row.locator(tid("studio-job-rerun")).click()
    rerun = studio.job_dialog()
    assert studio.job_parameters(rerun) == {"steps": "2", "label": "heavy"}
    studio.submit_job(rerun, "Cancel")


def test_schedule_a_job_and_see_it_in_words(studio: StudioPage, lab: LabServer) -> None:
    write_notebook(lab)
    dialog = studio.create_job_from_toolbar(studio.open_notebook(NOTEBOOK))
    assert f"Notebook: {NOTEBOOK}" in dialog.inner_text()
    studio.job_parameters(dialog)
    dialog.locator(tid("studio-job-name")).fill("nightly demo")
    studio.schedule_job(dialog, "custom")
    # The server refuses it (400): the dialog shows its message.
    studio.allow_console_error(r"/studio/api/jobs/schedule\?cron=61")
    studio.set_job_cron(dialog, "61 * * * *")
    assert "61" in studio.schedule_error(dialog)
    studio.schedule_job(dialog, "weekdays", "03:00")
    studio.set_job_timezone(dialog, "Europe/Paris")
    next_times = studio.schedule_words(dialog, "At 03:00, Monday through Friday")
    assert len(next_times) == 5
    studio.screenshot("jobs_schedule_dialog")
    studio.submit_job(dialog)

    panel = studio.jobs_panel()
    row = studio.job_definition_row(panel, "nightly demo")
    schedule = row.locator(tid("studio-job-schedule")).inner_text()
    assert "At 03:00, Monday through Friday" in schedule
    assert "Europe/Paris" in schedule
    assert row.locator(tid("studio-job-next-run")).inner_text() != "—"
    studio.screenshot("jobs_definitions")

    # Edit: the same dialog, filled with the definition; saved, the row follows.
    row.locator(tid("studio-job-edit")).click()
    edit = studio.job_dialog()
    assert edit.locator(tid("studio-job-preset")).input_value() == "weekdays"
    assert edit.locator(tid("studio-job-time")).input_value() == "03:00"
    assert edit.locator(tid("studio-job-timezone")).input_value() == "Europe/Paris"
    edit.locator(tid("studio-job-name")).fill("weekday demo")
    studio.submit_job(edit, "Save")
    row = studio.job_definition_row(panel, "weekday demo")
    for action, active in (("pause", "false"), ("resume", "true")):
        row.locator(tid(f"studio-job-{action}")).click()
        poll(lambda: row.get_attribute("data-active"), lambda a: a == active, action, 10)  # noqa: B023

    sidebar = studio.open_sidebar()
    jobs = studio.sidebar_jobs(sidebar)
    jobs.locator(tid("studio-next-job")).filter(has_text="weekday demo").wait_for()
    studio.change_theme(DARK_THEME)
    try:
        studio.activate_tab("studio-jobs")
        assert studio.is_dark(panel.locator(tid("studio-job-definitions")))
        studio.screenshot("jobs_dark")
    finally:
        studio.change_theme(LIGHT_THEME)

    # Delete asks first.
    row.locator(tid("studio-job-delete")).click()
    studio.answer_dialog("Delete")
    panel.locator(tid("studio-job-definitions-empty")).wait_for()
