"""Comparing runs: chosen in the runs table, overlaid charts, the params that differ highlighted."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
        points = studio.chart_points(compare, metric, testid="studio-compare-chart")
        assert points == sum(run.points[metric] for run in runs), metric
    studio.screenshot("compare")

    studio.only_differences(compare, True)

    assert studio.visible_param_rows(compare) == set(COMPARED_DIFFERING_PARAMS)


def test_compare_command_opens_the_same_comparison(studio: StudioPage, manifest: Manifest) -> None:
    runs = [manifest.run(name) for name in COMPARED_RUNS]

    compare = studio.compare_runs([run.id for run in runs])

    assert studio.highlighted_params(compare) == set(COMPARED_DIFFERING_PARAMS)
    studio.compare_metrics_table(compare).wait_for(state="visible")
    for run in runs:
        assert run.name in studio.compare_metrics_table(compare).inner_text()
