"""The run panel: overview, params, artifacts, and one chart per metric with the right points."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.browser.seed import LONG_METRIC, LONG_METRIC_POINTS, SOURCE_NOTEBOOK

if TYPE_CHECKING:
    from tests.browser.pages import StudioPage
    from tests.browser.seed import Manifest

# The run panel asks the server for at most this many points of a metric.
MAX_CHART_POINTS = 1000


def test_run_panel_shows_the_run_and_charts_every_point(
    studio: StudioPage, manifest: Manifest
) -> None:
    run = manifest.run("logreg-C1")
    studio.open_sidebar()  # beside the run in the screenshot
    panel = studio.open_run(run.id)

    assert "FINISHED" in studio.run_status(panel).upper()
    params = studio.params_text(panel)
    for key, value in run.params.items():
        assert key in params, params
        assert value in params, (key, value, params)
    for metric, points in run.points.items():
        assert studio.chart_points(panel, metric) == points, metric
        assert studio.chart_drawn(studio.chart(panel, metric)), metric
    assert {"notes.txt", "coefficients.json"} <= set(studio.artifacts(panel))
    assert SOURCE_NOTEBOOK in studio.source_link(panel).inner_text()
    studio.screenshot("run")


def test_a_100000_point_metric_is_charted_downsampled(
    studio: StudioPage, manifest: Manifest
) -> None:
    run = manifest.run("sgd-long")
    assert run.points[LONG_METRIC] == LONG_METRIC_POINTS
    panel = studio.open_run(run.id)

    points = studio.chart_points(panel, LONG_METRIC)

    assert MAX_CHART_POINTS // 2 < points <= MAX_CHART_POINTS
    assert studio.chart_drawn(studio.chart(panel, LONG_METRIC))
    assert studio.chart_points(panel, "accuracy") == run.points["accuracy"]
    studio.screenshot("run_long_metric")


def test_a_running_run_says_so(studio: StudioPage, manifest: Manifest) -> None:
    run = manifest.run("logreg-live")
    panel = studio.open_run(run.id)

    assert "RUNNING" in studio.run_status(panel).upper()
    assert studio.chart_points(panel, "loss") == run.points["loss"]


def test_the_source_link_opens_the_notebook(studio: StudioPage, manifest: Manifest) -> None:
    run = manifest.run("logreg-C1")
    panel = studio.open_run(run.id)

    studio.source_link(panel).click()

    studio.wait_for_tab(SOURCE_NOTEBOOK)
