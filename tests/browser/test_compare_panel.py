"""Comparing runs: chosen in the runs table, overlaid charts, the params that differ highlighted,
parallel coordinates and a scatter of what the runs have."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.browser.pages import format_number, poll
from tests.browser.seed import COMPARED_DIFFERING_PARAMS, COMPARED_RUNS

if TYPE_CHECKING:
    from tests.browser.pages import StudioPage
    from tests.browser.seed import Manifest


def test_compare_three_runs_highlights_the_params_that_differ(
    studio: StudioPage, manifest: Manifest
) -> None:
    runs = [manifest.run(name) for name in COMPARED_RUNS]
    studio.open_sidebar()  # beside the comparison in the screenshot
    panel = studio.open_experiment(manifest.experiments["iris"])
    studio.wait_runs_count(panel, len(manifest.runs_of("iris")))
    studio.select_runs(panel, [run.id for run in runs])

    compare = studio.compare_selected(panel)

    rows = studio.param_rows(compare)
    assert set(rows) == set(runs[0].params)  # the three share their param keys
    assert {param for param, differs in rows.items() if differs} == set(COMPARED_DIFFERING_PARAMS)
    for metric in ("accuracy", "loss"):
        expected = sum(run.points[metric] for run in runs)
        studio.wait_chart_points(compare, metric, expected, testid="studio-compare-chart")
    # One legend for the panel, none in the charts.
    assert studio.compare_legends(compare) == 1
    studio.screenshot("compare")

    studio.only_differences(compare, True)

    assert studio.visible_param_rows(compare) == set(COMPARED_DIFFERING_PARAMS)


def test_compare_command_opens_the_same_comparison(studio: StudioPage, manifest: Manifest) -> None:
    runs = [manifest.run(name) for name in COMPARED_RUNS]

    compare = studio.compare_runs([run.id for run in runs])

    assert studio.highlighted_params(compare) == set(COMPARED_DIFFERING_PARAMS)
    table = studio.compare_metrics_table(compare)
    table.wait_for(state="visible")
    text = table.inner_text()
    for run in runs:
        assert run.name in text
        # Numbers as the runs table writes them.
        assert format_number(run.last["loss"]) in text, (run.last["loss"], text)


def test_parallel_coordinates_draw_the_differing_params_and_metrics(
    studio: StudioPage, manifest: Manifest
) -> None:
    runs = [manifest.run(name) for name in COMPARED_RUNS]
    compare = studio.compare_runs([run.id for run in runs])

    axes = studio.parallel_axes(compare, count=4)

    assert axes == [*COMPARED_DIFFERING_PARAMS, "accuracy", "loss"]
    # Coloured by the metric to maximise at first, then by the one chosen.
    accuracy = [run.last["accuracy"] for run in runs]
    assert studio.parallel_line_colours(compare) == accuracy
    studio.colour_parallel_by(compare, "loss")
    loss = [run.last["loss"] for run in runs]
    chart = studio.parallel_coordinates(compare)
    poll(
        lambda: studio.parallel_line_colours(compare),
        lambda colours: colours == loss,
        "line colours of the parallel coordinates",
        10,
    )
    studio.screenshot("compare_parallel", chart)


def test_scatter_draws_each_run_on_the_chosen_axes(studio: StudioPage, manifest: Manifest) -> None:
    runs = [manifest.run(name) for name in COMPARED_RUNS]
    compare = studio.compare_runs([run.id for run in runs])

    # At first: the first differing param against the metric to maximise.
    points = studio.scatter_points(compare, count=len(runs))
    assert sorted(points) == sorted(
        (run.name, float(run.params["C"]), run.last["accuracy"]) for run in runs
    )

    studio.scatter_axes(compare, "params.solver", "metrics.loss")
    expected = sorted((run.name, run.params["solver"], run.last["loss"]) for run in runs)
    poll(
        lambda: sorted(studio.scatter_points(compare, count=len(runs))),
        lambda drawn: drawn == expected,
        "the scatter's points after choosing its axes",
        10,
    )
    studio.screenshot("compare_scatter", studio.scatter(compare))
