"""Studio as JupyterLab's own: main-area panels with toolbars, the Studio menu, context menus,
no requests for what nobody sees, the application's watcher, and panels restored on reload.

The tests make their own experiments and runs through the REST API and delete them at the end,
so the seeded store the other tests compare with is left as it was. Those that count requests
set a refresh interval of one second (Studio's user settings), and put the default back after.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from tests.browser.pages import poll, tid

if TYPE_CHECKING:
    from tests.browser.lab import LabServer
    from tests.browser.pages import StudioPage
    from tests.browser.seed import Manifest

# The refresh interval the request-counting tests set, in seconds.
INTERVAL_S = 1


@dataclass(frozen=True)
class ShellRuns:
    experiment_id: int
    running: tuple[str, str]  # "train-a", "train-b": RUNNING, with a loss history
    finished: tuple[str, str]  # "done-a", "done-b"


def new_experiment(lab: LabServer, prefix: str) -> dict[str, object]:
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    status, experiment = lab.api("POST", "experiments", {"name": name})
    assert status == 201, experiment
    return experiment


def drop_experiment(lab: LabServer, experiment_id: object) -> None:
    status, answer = lab.api("DELETE", f"experiments/{experiment_id}")
    assert status in (204, 404), answer


@pytest.fixture
def shell_runs(lab: LabServer) -> Iterator[ShellRuns]:
    """Two running and two finished runs in an experiment of their own, deleted afterwards."""
    experiment = new_experiment(lab, "shell")
    try:
        ids = []
        for name in ("train-a", "train-b", "done-a", "done-b"):
            points = [{"key": "loss", "value": 1 / (step + 1), "step": step} for step in range(3)]
            status, run = lab.api(
                "POST",
                "runs",
                {"experiment_id": experiment["id"], "name": name, "metrics": points},
            )
            assert status == 201, run
            ids.append(run["id"])
        for run_id in ids[2:]:
            status, answer = lab.api("PATCH", f"runs/{run_id}", {"status": "FINISHED"})
            assert status == 200, answer
        yield ShellRuns(int(str(experiment["id"])), (ids[0], ids[1]), (ids[2], ids[3]))
    finally:
        drop_experiment(lab, experiment["id"])


@pytest.fixture
def fast_refresh(studio: StudioPage) -> Iterator[None]:
    """Panels and the watcher refresh every INTERVAL_S; the defaults come back afterwards."""
    studio.set_studio_settings({"refreshInterval": INTERVAL_S})
    try:
        studio.reopen_lab()
        yield
    finally:
        studio.set_studio_settings({})


def mentioning(requests: list[str], text: str) -> list[str]:
    return [request for request in requests if text in request]


def test_panels_are_main_area_widgets_with_a_toolbar(
    studio: StudioPage, shell_runs: ShellRuns
) -> None:
    done_a, done_b = shell_runs.finished
    experiment = f"studio-experiment-{shell_runs.experiment_id}"
    studio.open_experiment(shell_runs.experiment_id)
    for testid in ("studio-refresh-button", "studio-compare-button"):
        studio.toolbar_item(experiment, testid).wait_for(state="visible")

    studio.open_run(done_a)
    run = f"studio-run-{done_a}"
    for testid in ("studio-refresh-button", "studio-copy-run-id", "studio-rename-run"):
        studio.toolbar_item(run, testid).wait_for(state="visible")
    studio.toolbar_item(run, "studio-delete-run").wait_for(state="visible")
    studio.screenshot("shell_run_panel_toolbar")

    # The toolbar's refresh reads the run again.
    requests = studio.api_requests_during(
        1.5, lambda: studio.toolbar_item(run, "studio-refresh-button").click()
    )
    assert mentioning(requests, f"/runs/{done_a}"), requests

    compare = f"studio-compare-{done_a}_{done_b}"
    studio.compare_runs([done_a, done_b])
    studio.toolbar_item(compare, "studio-refresh-button").wait_for(state="visible")
    studio.screenshot("shell_compare_panel_toolbar")


def test_closed_panels_make_no_request(
    studio: StudioPage, shell_runs: ShellRuns, fast_refresh: None
) -> None:
    train_a, train_b = shell_runs.running
    studio.open_run(train_a)
    studio.compare_runs([train_a, train_b])
    compare = f"studio-compare-{train_a}_{train_b}"
    # Both runs are running: the compare panel, in front, reads them live.
    live = studio.api_requests_during(3 * INTERVAL_S)
    assert mentioning(live, f"/runs/{train_b}"), live

    studio.close_tab(compare)
    studio.close_tab(f"studio-run-{train_a}")
    after = studio.api_requests_during(4 * INTERVAL_S)
    assert mentioning(after, train_a) == []
    assert mentioning(after, train_b) == []


def test_a_background_panel_waits_and_is_refreshed_when_shown(
    studio: StudioPage, lab: LabServer, shell_runs: ShellRuns, fast_refresh: None
) -> None:
    train_a, train_b = shell_runs.running
    hidden = studio.open_run(train_a)
    # Its first load done (on a loaded machine it can outlast the opening of the next panel,
    # and would be counted below as a hidden panel's polling).
    studio.chart_points(hidden, "loss")
    studio.open_run(train_b)  # in front of train-a's panel, in the same dock area

    requests = studio.api_requests_during(4 * INTERVAL_S)
    assert mentioning(requests, f"/runs/{train_a}") == [], requests
    assert mentioning(requests, f"/runs/{train_b}"), requests  # the one in front polls

    # It ends while nobody sees its panel: the watcher still says so.
    status, answer = lab.api("PATCH", f"runs/{train_a}", {"status": "FAILED"})
    assert status == 200, answer
    toast = studio.notification("Run train-a failed")
    toast.wait_for(state="visible", timeout=10_000)
    assert toast.get_by_role("button", name="Open").count() == 1
    studio.screenshot("shell_run_failed_notification")
    assert "RUNNING" in studio.run_status(hidden).upper()  # not read while hidden

    studio.activate_tab(f"studio-run-{train_a}")
    poll(
        lambda: studio.run_status(hidden).upper(),
        lambda status: "FAILED" in status,
        "the status of the run shown again",
        5,
    )


def test_one_watcher_request_per_interval_with_the_sidebar_shown_or_collapsed(
    studio: StudioPage, shell_runs: ShellRuns, fast_refresh: None
) -> None:
    train_a, _ = shell_runs.running
    sidebar = studio.open_sidebar()
    poll(lambda: studio.running_run_ids(sidebar), lambda ids: train_a in ids, "running runs", 10)
    studio.open_run(train_a)
    studio.open_experiment(shell_runs.experiment_id)

    def watcher_requests() -> int:
        requests = studio.api_requests_during(6 * INTERVAL_S)
        return len(mentioning(mentioning(requests, "/runs/search"), "RUNNING"))

    # The sidebar is shown and a run panel open: still one search for running runs a second.
    assert 4 <= watcher_requests() <= 8
    studio.execute("filebrowser:activate")  # the Studio sidebar is no longer seen
    sidebar.wait_for(state="hidden")
    assert 4 <= watcher_requests() <= 8


def test_run_and_compare_panels_are_restored_after_a_reload(
    studio: StudioPage, shell_runs: ShellRuns
) -> None:
    done_a, done_b = shell_runs.finished
    studio.open_run(done_a)
    studio.compare_runs([done_a, done_b])

    studio.reload(restoring=f"studio-compare:{done_a},{done_b}")

    compare = studio.main_area_widget(f"studio-compare-{done_a}_{done_b}")
    compare.wait_for(state="visible")
    studio.tab(f"studio-run-{done_a}").wait_for(state="visible")
    studio.activate_tab(f"studio-run-{done_a}")
    assert "FINISHED" in studio.run_status(studio.run_panel(done_a)).upper()
    studio.screenshot("shell_restored_panels")


def test_the_studio_menu_opens_studio(studio: StudioPage, shell_runs: ShellRuns) -> None:
    done_a, _ = shell_runs.finished
    menu = studio.open_main_menu("Studio")
    labels = studio.menu_labels(menu)
    for label in (
        "Open Experiments",
        "Show Sidebar",
        "Open Run…",
        "Compare Selected Runs",
        "Refresh Studio",
    ):
        assert label in labels, labels
    studio.screenshot("shell_studio_menu")
    studio.choose(menu, "Show Sidebar")
    studio.page.locator(".jp-Studio-sidebar").wait_for(state="visible")

    studio.choose(studio.open_main_menu("Studio"), "Open Run…")
    studio.answer_dialog("Open", text=done_a)
    studio.run_panel(done_a).wait_for(state="visible")


def test_the_context_menu_of_a_run_opens_compares_copies_renames_and_deletes(
    studio: StudioPage, lab: LabServer, shell_runs: ShellRuns
) -> None:
    done_a, done_b = shell_runs.finished
    experiment = f"studio-experiment-{shell_runs.experiment_id}"
    table = studio.open_experiment(shell_runs.experiment_id)
    row = studio.run_row(table, done_a)

    menu = studio.context_menu(row)
    labels = studio.menu_labels(menu)
    expected = ["Open", "Compare Selected Runs", "Copy Run Id", "Rename Run…", "Delete Run…"]
    assert [label for label in labels if label in expected] == expected, labels
    studio.screenshot("shell_run_context_menu")
    studio.choose(menu, "Open")
    studio.run_panel(done_a).wait_for(state="visible")

    studio.activate_tab(experiment)
    studio.select_runs(table, [done_a, done_b])
    studio.choose(studio.context_menu(row), "Compare Selected Runs")
    studio.page.locator(".jp-Studio-comparePanel:visible").wait_for(state="visible")
    studio.close_tab(f"studio-compare-{done_a}_{done_b}")

    studio.activate_tab(experiment)
    studio.record_copies()
    studio.choose(studio.context_menu(row), "Copy Run Id")
    poll(studio.copied, lambda copied: copied == [done_a], "what was copied", 5)

    studio.choose(studio.context_menu(row), "Rename Run…")
    studio.answer_dialog("Rename", text="renamed-by-a-test")
    poll(
        lambda: studio.cell_text(table, done_a, "name"),
        lambda name: name == "renamed-by-a-test",
        "the renamed run's name in the table",
        10,
    )
    assert lab.api("GET", f"runs/{done_a}")[1]["name"] == "renamed-by-a-test"
    # Its open panel follows.
    poll(
        lambda: studio.tab(f"studio-run-{done_a}").inner_text(),
        lambda title: "renamed-by-a-test" in title,
        "the run panel's title",
        10,
    )

    studio.choose(studio.context_menu(row), "Delete Run…")
    studio.answer_dialog("Delete")
    row.wait_for(state="detached")
    assert lab.api("GET", f"runs/{done_a}")[0] == 404
    assert studio.main_area_widget(f"studio-run-{done_a}").count() == 0  # its panel closed


def test_the_context_menu_of_an_experiment_renames_archives_and_deletes(
    studio: StudioPage, lab: LabServer
) -> None:
    kept = new_experiment(lab, "shell-kept")
    doomed = new_experiment(lab, "shell-doomed")
    try:
        sidebar = studio.open_sidebar()
        item = studio.experiment_item(sidebar, int(str(kept["id"])))
        item.wait_for(state="visible")

        menu = studio.context_menu(item)
        labels = studio.menu_labels(menu)
        expected = ["Rename Experiment…", "Archive Experiment", "Delete Experiment…"]
        assert [label for label in labels if label in expected] == expected, labels
        studio.screenshot("shell_experiment_context_menu")
        new_name = f"renamed-{uuid.uuid4().hex[:6]}"
        studio.choose(menu, "Rename Experiment…")
        studio.answer_dialog("Rename", text=new_name)
        poll(item.inner_text, lambda text: new_name in text, "the renamed experiment", 10)
        assert lab.api("GET", f"experiments/{kept['id']}")[1]["name"] == new_name

        studio.choose(studio.context_menu(item), "Archive Experiment")
        item.wait_for(state="detached")
        assert lab.api("GET", f"experiments/{kept['id']}")[1]["archived"] is True

        gone = studio.experiment_item(sidebar, int(str(doomed["id"])))
        studio.choose(studio.context_menu(gone), "Delete Experiment…")
        studio.answer_dialog("Delete")
        gone.wait_for(state="detached")
        assert lab.api("GET", f"experiments/{doomed['id']}")[0] == 404
    finally:
        drop_experiment(lab, kept["id"])
        drop_experiment(lab, doomed["id"])


def test_an_artifact_opens_in_jupyterlab_from_the_run_panel(
    studio: StudioPage, manifest: Manifest
) -> None:
    run = manifest.run("logreg-C1")
    panel = studio.open_run(run.id)
    notes = panel.locator(f'{tid("studio-artifact")}[data-path="notes.txt"]')
    notes.locator(tid("studio-artifact-open")).click()

    studio.wait_for_tab("notes.txt")
    editor = studio.page.locator(".jp-FileEditor:visible")
    editor.wait_for(state="visible")
    poll(
        editor.inner_text,
        lambda text: "LogisticRegression on iris" in text,
        "the artifact's text in JupyterLab's editor",
        10,
    )
