"""The runs table of an experiment: every run, server-side sort, the filter box and its errors."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.pages import Sel, poll
from tests.browser.seed import seed_many

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


# Columns -----------------------------------------------------------------------------------


def test_value_column_resizes_by_dragging_and_is_remembered(
    studio: StudioPage, manifest: Manifest
) -> None:
    iris = manifest.experiments["iris"]
    panel = open_iris(studio, manifest)
    run_id = manifest.run("logreg-C1").id
    before = studio.column_width(panel, "metrics.accuracy")

    studio.drag_column_edge(panel, "metrics.accuracy", 90)

    poll(
        lambda: studio.column_width(panel, "metrics.accuracy"),
        lambda width: abs(width - (before + 90)) <= 2,
        "the width of metrics.accuracy after the drag",
        10,
    )
    # The rows follow their header, and a drag is not a click that sorts.
    assert studio.cell_width(panel, run_id, "metrics.accuracy") == pytest.approx(
        studio.column_width(panel, "metrics.accuracy"), abs=1
    )
    assert studio.header(panel, "metrics.accuracy").get_attribute("data-sort") == ""
    studio.screenshot("runs_column_resized")

    studio.reload(restoring=f"studio-experiment:{iris}")
    panel = studio.experiment_panel(iris)
    studio.wait_runs_count(panel, len(manifest.runs_of("iris")))
    assert studio.column_width(panel, "metrics.accuracy") == pytest.approx(before + 90, abs=2)


def test_wide_tables_scroll_sideways_instead_of_cutting_columns(
    studio: StudioPage, manifest: Manifest
) -> None:
    panel = open_iris(studio, manifest)
    for column in ("params.C", "params.solver", "params.max_depth", "params.criterion"):
        studio.show_column(panel, column)
    studio.drag_column_edge(panel, "params.criterion", 200)

    scroll = studio.runs_table_scroll(panel)
    assert scroll["scrollWidth"] > scroll["clientWidth"], scroll
    scroll = studio.runs_table_scroll(panel, left=scroll["scrollWidth"])
    last = studio.header(panel, studio.columns(panel)[-1]).bounding_box()
    assert last
    # Scrolled to the end, the last column is whole, inside the table.
    assert last["x"] >= scroll["left"] - 1
    assert last["x"] + last["width"] <= scroll["right"] + 1
    studio.screenshot("runs_scrolled_sideways")


def test_header_marks_params_and_metrics_in_their_own_column(
    studio: StudioPage, manifest: Manifest
) -> None:
    panel = open_iris(studio, manifest)
    value_columns = [c for c in studio.columns(panel) if c.startswith(("metrics.", "params."))]
    assert any(c.startswith("metrics.") for c in value_columns)
    assert any(c.startswith("params.") for c in value_columns)

    for column in value_columns:
        header = studio.header(panel, column).bounding_box()
        chip = studio.column_kind_box(panel, column)
        label = studio.header(panel, column).locator(".jp-Studio-columnLabel").bounding_box()
        assert header
        assert label
        # The chip lies inside its own column's header, just before that column's label.
        assert header["x"] <= chip["x"], column
        assert chip["x"] + chip["width"] <= header["x"] + header["width"], column
        assert 0 <= label["x"] - (chip["x"] + chip["width"]) <= 12, column
        if column.startswith("metrics."):
            assert studio.column_note(panel, column) == "last", column
            assert "last value" in (studio.header(panel, column).get_attribute("title") or "")
        else:
            assert studio.column_note(panel, column) == "", column
    studio.screenshot("runs_table_header", panel.locator(".jp-Studio-runsHeader"))


def test_filter_on_a_param_shows_its_column_at_once(studio: StudioPage, manifest: Manifest) -> None:
    runs = manifest.runs_of("iris")
    expected = {run.id for run in runs if run.params.get("max_depth") == "3"}
    assert expected
    panel = open_iris(studio, manifest)
    studio.wait_runs_count(panel, len(runs))
    assert "params.max_depth" not in studio.columns(panel)

    studio.filter_runs(panel, "params.max_depth = '3'")

    studio.header(panel, "params.max_depth").wait_for(state="visible")
    # In view at once, not past the right edge of the table.
    header = studio.header(panel, "params.max_depth").bounding_box()
    assert header
    assert header["x"] + header["width"] <= studio.runs_table_scroll(panel)["right"]
    ids = studio.wait_rows(panel, lambda ids: set(ids) == expected, "the rows of max_depth 3")
    assert {studio.cell_text(panel, run_id, "params.max_depth") for run_id in ids} == {"3"}
    studio.screenshot("runs_filter_shows_column")

    studio.filter_runs(panel, "metrics.accuracy > 0.9 and params.solver = 'lbfgs'")
    studio.header(panel, "params.solver").wait_for(state="visible")
    assert "metrics.accuracy" in studio.columns(panel)


def test_default_columns_are_the_keys_the_runs_share(
    studio: StudioPage, manifest: Manifest
) -> None:
    runs = manifest.runs_of("iris")
    panel = open_iris(studio, manifest)
    ids = studio.wait_rows(panel, lambda ids: len(ids) == len(runs), "every iris row")
    columns = [c for c in studio.columns(panel) if c.startswith(("metrics.", "params."))]
    params = [c for c in columns if c.startswith("params.")]
    metrics = [c for c in columns if c.startswith("metrics.")]

    # Every default param column has a value in every row: no empty cells for the keys
    # that only the trees (or only the logistic regressions) have.
    assert params
    for column in params:
        assert all(studio.cell_text(panel, run_id, column) for run_id in ids), column
    # Metrics that every run logs come before one that a single run has.
    shared = {key for key in runs[0].last if all(key in run.last for run in runs)}
    assert {m.removeprefix("metrics.") for m in metrics[: len(shared)]} == shared


# Nested runs and long tables -------------------------------------------------------------------


def test_a_grid_search_shows_its_candidates_as_a_tree(
    studio: StudioPage, manifest: Manifest
) -> None:
    parent = manifest.run("grid-search", "wine")
    children = {run.id for run in manifest.runs_of("wine") if run.parent_run_id == parent.id}
    assert len(children) == 3
    panel = studio.open_experiment(manifest.experiments["wine"])

    # Collapsed by default: the table pages top-level runs, the parent says how many children.
    assert studio.wait_runs_count(panel, 1) == 1
    assert studio.wait_tree_rows(panel, lambda rows: len(rows) == 1, "the parent alone") == [
        (parent.id, 0, True)
    ]
    assert studio.expand_toggle(panel, parent.id).inner_text().strip().endswith("3")

    studio.set_expanded(panel, parent.id, True)
    rows = studio.wait_tree_rows(panel, lambda rows: len(rows) == 4, "the candidates")
    assert rows[0] == (parent.id, 0, True)
    assert {run_id for run_id, _, _ in rows[1:]} == children
    assert all(depth == 1 for _, depth, _ in rows[1:])
    studio.screenshot("runs_tree")

    studio.set_expanded(panel, parent.id, False)
    studio.wait_tree_rows(panel, lambda rows: len(rows) == 1, "the candidates hidden")


def test_a_filter_matching_a_candidate_shows_it_under_its_parent_marked(
    studio: StudioPage, manifest: Manifest
) -> None:
    parent = manifest.run("grid-search", "wine")
    match = manifest.run("forest-50", "wine")
    panel = studio.open_experiment(manifest.experiments["wine"])
    studio.wait_runs_count(panel, 1)

    studio.filter_runs(panel, "params.n_estimators = '50'")

    rows = studio.wait_tree_rows(
        panel, lambda rows: len(rows) == 2, "the parent and its matching candidate"
    )
    assert rows == [(parent.id, 0, False), (match.id, 1, True)]
    parent_row = studio.run_row(panel, parent.id)
    assert "does not match the filter" in (parent_row.get_attribute("title") or "")
    dimmed = parent_row.locator('[data-column="name"]').evaluate(
        "cell => Number(getComputedStyle(cell).opacity)"
    )
    assert dimmed < 1
    studio.screenshot("runs_tree_filtered")


@pytest.fixture
def long_experiment(lab: LabServer, lab_base: Path) -> Iterator[tuple[int, int]]:
    """An experiment of 3,000 runs dated 2020 (last in the sidebar), deleted afterwards so that
    the other tests see the demo store alone; (its id, its number of runs)."""
    count = 3_000
    experiment_id = seed_many(
        lab_base / "studio-home", count, "long-table", start_ms=1_577_836_800_000
    )
    yield experiment_id, count
    status, answer = lab.api("DELETE", f"experiments/{experiment_id}")
    assert status == 204, answer


def test_a_long_table_scrolls_to_its_last_run_over_a_full_length_scrollbar(
    studio: StudioPage, long_experiment: tuple[int, int]
) -> None:
    experiment_id, count = long_experiment
    panel = studio.open_experiment(experiment_id)
    assert studio.wait_runs_count(panel, count) == count

    # The scrollbar spans every run from the start, not only the first page loaded.
    extent = studio.runs_scroll(panel)
    row_height = studio.run_row(panel, studio.row_ids(panel)[0]).evaluate("row => row.offsetHeight")
    assert extent["body"] == count * row_height
    assert extent["height"] >= extent["body"]

    studio.scroll_runs_to(panel, 1.0)

    # The oldest run is the last row, drawn once its page comes; few rows are in the page.
    def names() -> list[str]:
        return [
            str(name)
            for name in panel.locator(f'{Sel.RUN_ROW} [data-column="name"]').evaluate_all(
                "cells => cells.map(cell => cell.textContent.trim())"
            )
        ]

    shown = poll(names, lambda names: names[-1:] == ["run-0"], "the last run's row", 15)
    assert len(shown) < 100
    extent = studio.runs_scroll(panel)
    assert extent["top"] + extent["client"] >= extent["height"] - 1
    studio.screenshot("runs_long_table_end")

    studio.scroll_runs_to(panel, 0.5)
    shown = poll(names, lambda names: f"run-{count // 2}" in names, "the middle run's row", 15)
    assert len(shown) < 100
