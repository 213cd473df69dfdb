"""The dark theme: every Studio panel follows JupyterLab's colours (charts included)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.browser.pages import DARK_THEME, LIGHT_THEME, luminance, poll
from tests.browser.seed import COMPARED_RUNS

if TYPE_CHECKING:
    from tests.browser.pages import StudioPage
    from tests.browser.seed import Manifest

# A line at least this much lighter than the chart's paper reads on a dark background (the
# old run line, #1f77b4 on black, was 0.41 above it).
READABLE_LINE = 0.45


def test_dark_theme_panels(studio: StudioPage, manifest: Manifest) -> None:
    studio.change_theme(DARK_THEME)
    try:
        sidebar = studio.open_sidebar()
        studio.sidebar_experiments(sidebar, expected=len(manifest.experiments))
        assert studio.is_dark(sidebar)

        table = studio.open_experiment(manifest.experiments["iris"])
        assert studio.is_dark(table)
        studio.screenshot("dark_runs_table")
        background = studio.background(table)

        logreg = manifest.run("logreg-C1")
        run = studio.open_run(logreg.id)
        studio.wait_chart_points(run, "loss", logreg.points["loss"])
        chart = studio.chart(run, "loss")
        assert studio.is_dark(run)
        assert studio.chart_is_dark(chart)
        assert studio.background(run) == background
        paper = studio.chart_paper(chart)
        assert paper == background, (paper, background)
        [line] = studio.line_colours(chart)
        assert luminance(line) - luminance(paper) > READABLE_LINE, (line, paper)
        studio.screenshot("dark_run")

        runs = [manifest.run(name) for name in COMPARED_RUNS]
        compare = studio.compare_runs([r.id for r in runs])
        studio.wait_chart_points(
            compare, "loss", sum(r.points["loss"] for r in runs), testid="studio-compare-chart"
        )
        compare_chart = studio.chart(compare, "loss", testid="studio-compare-chart")
        assert studio.is_dark(compare)
        assert studio.chart_is_dark(compare_chart)
        # The same background as the other panels, charts included.
        assert studio.background(compare) == background
        assert studio.chart_paper(compare_chart) == background
        lines = studio.line_colours(compare_chart)
        assert len(set(lines)) == len(runs)
        for line in lines:
            assert luminance(line) - luminance(background) > READABLE_LINE, (line, background)
        compare_chart.scroll_into_view_if_needed()
        studio.screenshot("dark_compare")
        scatter = studio.scatter(compare)
        studio.scatter_points(compare, count=len(runs))
        assert studio.chart_paper(scatter) == background
        studio.screenshot("dark_compare_scatter")
    finally:
        # The theme is a user setting kept by the server: later tests expect the light one.
        studio.change_theme(LIGHT_THEME)
    poll(lambda: studio.background(table), lambda b: b != background, "the light theme", 10)
