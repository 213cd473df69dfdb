"""The dark theme: every Studio panel follows JupyterLab's colours (charts included)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.browser.pages import DARK_THEME, LIGHT_THEME
from tests.browser.seed import COMPARED_RUNS

if TYPE_CHECKING:
    from tests.browser.pages import StudioPage
    from tests.browser.seed import Manifest


def test_dark_theme_panels(studio: StudioPage, manifest: Manifest) -> None:
    studio.change_theme(DARK_THEME)
    try:
        sidebar = studio.open_sidebar()
        studio.sidebar_experiments(sidebar, expected=len(manifest.experiments))
        assert studio.is_dark(sidebar)

        table = studio.open_experiment(manifest.experiments["iris"])
        assert studio.is_dark(table)
        studio.screenshot("dark_runs_table")

        run = studio.open_run(manifest.run("logreg-C1").id)
        studio.chart_points(run, "loss")
        assert studio.is_dark(run)
        assert studio.chart_is_dark(studio.chart(run, "loss"))
        studio.screenshot("dark_run")

        compare = studio.compare_runs([manifest.run(name).id for name in COMPARED_RUNS])
        studio.chart_points(compare, "loss", testid="studio-compare-chart")
        assert studio.is_dark(compare)
        assert studio.chart_is_dark(studio.chart(compare, "loss", testid="studio-compare-chart"))
        studio.screenshot("dark_compare")
    finally:
        # The theme is a user setting kept by the server: later tests expect the light one.
        studio.change_theme(LIGHT_THEME)
