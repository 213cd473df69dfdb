"""The runs table of an experiment: every run, server-side sort, the filter box and its errors."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Locator

    from tests.browser.lab import LabServer
    from tests.browser.pages import StudioPage
    from tests.browser.seed import Manifest, SeededRun


def open_iris(studio: StudioPage, manifest: Manifest) -> Locator:
    return studio.open_experiment(manifest.experiments["iris"])


def shown_number(text: str) -> float:
    match = re.search(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", text)
    assert match, f"no number in the cell {text!r}"
    return float(match.group())


def test_experiment_panel_shows_every_run(studio: StudioPage, manifest: Manifest) -> None:
    runs = manifest.runs_of("iris")
    studio.open_sidebar()  # beside the table in the screenshot, as a user would have it
    panel = open_iris(studio, manifest)

    assert studio.wait_runs_count(panel, len(runs)) == len(runs)
    assert re.search(rf"\b{len(runs)}\b", studio.runs_count_text(panel))
    assert set(studio.wait_rows(panel, lambda ids: len(ids) == len(runs), "rows")) == {
        run.id for run in runs
    }
    assert {"status", "name", "start", "duration"} <= set(studio.columns(panel))
    studio.screenshot("runs_table")


@pytest.mark.parametrize(
    ("column", "direction"), [("metrics.accuracy", "desc"), ("metrics.loss", "asc")]
)
def test_sorting_by_a_metric_orders_the_rows(
    studio: StudioPage, manifest: Manifest, column: str, direction: str
) -> None:
    runs = {run.id: run for run in manifest.runs_of("iris")}
    key = column.removeprefix("metrics.")
    studio.open_sidebar()  # beside the table in the screenshot (README)
    panel = open_iris(studio, manifest)
    studio.wait_runs_count(panel, len(runs))

    studio.sort_by(panel, column, direction)

    def ordered(ids: list[str]) -> bool:
        values = [runs[run_id].last[key] for run_id in ids]
        wanted = sorted(values, reverse=direction == "desc")
        return len(ids) == len(runs) and values == wanted

    ids = studio.wait_rows(panel, ordered, f"rows ordered by {column} {direction}")
    assert set(ids) == set(runs)
    # The cells show the seeded values, to the precision they are printed with.
    for run_id in ids:
        text = studio.cell_text(panel, run_id, column)
        decimals = len(text.split(".")[1]) if "." in text else 0
        assert shown_number(text) == pytest.approx(runs[run_id].last[key], abs=10**-decimals), text
    studio.screenshot(f"runs_sorted_by_{key}_{direction}")


def seeded_matches(runs: list[SeededRun], expression: str) -> set[str]:
    """The ids of the runs an expression of this test selects, computed from the seeded values."""
    rules = {
        "metrics.accuracy > 0.9": lambda run: run.last["accuracy"] > 0.9,
        "params.model = 'DecisionTreeClassifier'": lambda run: (
            run.params["model"] == "DecisionTreeClassifier"
        ),
        "metrics.accuracy > 0.9 and params.model = 'LogisticRegression'": lambda run: (
            run.last["accuracy"] > 0.9 and run.params["model"] == "LogisticRegression"
        ),
        "status = 'RUNNING'": lambda run: run.status == "RUNNING",
        "metrics.loss < 0.1 or params.C = '10.0'": lambda run: (
            run.last["loss"] < 0.1 or run.params.get("C") == "10.0"
        ),
    }
    return {run.id for run in runs if rules[expression](run)}


@pytest.mark.parametrize(
    "expression",
    [
        "metrics.accuracy > 0.9",
        "params.model = 'DecisionTreeClassifier'",
        "metrics.accuracy > 0.9 and params.model = 'LogisticRegression'",
        "status = 'RUNNING'",
        "metrics.loss < 0.1 or params.C = '10.0'",
    ],
)
def test_filter_shows_the_matching_runs_and_their_count(
    studio: StudioPage, manifest: Manifest, expression: str
) -> None:
    runs = manifest.runs_of("iris")
    expected = seeded_matches(runs, expression)
    assert 0 < len(expected) < len(runs)  # the filter must select something, not everything
    panel = open_iris(studio, manifest)
    studio.wait_runs_count(panel, len(runs))

    studio.filter_runs(panel, expression)

    assert studio.wait_runs_count(panel, len(expected)) == len(expected)
    ids = studio.wait_rows(panel, lambda ids: set(ids) == expected, f"rows of {expression!r}")
    assert len(ids) == len(expected)
    assert not studio.filter_error(panel).is_visible()
    if expression == "metrics.accuracy > 0.9":
        studio.screenshot("runs_filtered")


def test_bad_filter_shows_the_servers_error_inline(
    studio: StudioPage, lab: LabServer, manifest: Manifest
) -> None:
    runs = manifest.runs_of("iris")
    bad = "metrics.accuracy >"
    status, answer = lab.api(
        "POST", "runs/search", {"experiment_ids": [manifest.experiments["iris"]], "filter": bad}
    )
    assert status == 400, answer
    panel = open_iris(studio, manifest)
    studio.wait_runs_count(panel, len(runs))
    studio.allow_console_error(r"status of 400 .*/studio/api/runs/search")

    studio.filter_runs(panel, bad)

    error = studio.filter_error(panel)
    error.wait_for(state="visible")
    assert answer["message"] in error.inner_text()
    studio.screenshot("filter_error")

    studio.filter_runs(panel, "metrics.accuracy > 0.9")
    error.wait_for(state="hidden")
    studio.wait_runs_count(panel, len(seeded_matches(runs, "metrics.accuracy > 0.9")))


def test_column_choice_is_remembered_and_the_panel_restored(
    studio: StudioPage, manifest: Manifest
) -> None:
    panel = open_iris(studio, manifest)
    assert "metrics.batch_loss" in studio.columns(panel)

    studio.show_column(panel, "metrics.batch_loss", shown=False)
    assert "metrics.batch_loss" not in studio.columns(panel)
    studio.reload(restoring=f"studio-experiment:{manifest.experiments['iris']}")

    panel = studio.experiment_panel(manifest.experiments["iris"])
    studio.wait_runs_count(panel, len(manifest.runs_of("iris")))  # restored with the layout
    assert "metrics.batch_loss" not in studio.columns(panel)
    assert "metrics.accuracy" in studio.columns(panel)
    studio.show_column(panel, "metrics.batch_loss")
