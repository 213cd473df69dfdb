"""The run panel: overview, params, artifacts, and one chart per metric with the right points."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.browser.pages import format_number, poll
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
        studio.wait_chart_points(panel, metric, points)
    assert {"notes.txt", "coefficients.json"} <= set(studio.artifacts(panel))
    assert SOURCE_NOTEBOOK in studio.source_link(panel).inner_text()
    studio.chart(panel, "accuracy").scroll_into_view_if_needed()
    studio.screenshot("run")


def test_run_charts_say_last_min_max_with_axis_titles_and_a_png_button(
    studio: StudioPage, manifest: Manifest
) -> None:
    run = manifest.run("logreg-C0.1")
    panel = studio.open_run(run.id)
    history = {"loss": run.last["loss"]}
    studio.wait_chart_points(panel, "loss", run.points["loss"])

    stats = studio.chart_stats(panel, "loss")
    assert stats["last"] == format_number(history["loss"]), stats
    assert set(stats) == {"last", "min", "max"}
    assert float(stats["min"]) <= float(stats["last"]) <= float(stats["max"]), stats

    chart = studio.chart(panel, "loss")
    assert studio.chart_axis_titles(chart) == ("step", "loss")
    assert studio.png_button(chart).count() == 1
    studio.screenshot("run_chart_stats", chart)


def test_run_chart_smooths_logs_plots_by_time_hovers_and_downloads_a_png(
    studio: StudioPage, manifest: Manifest
) -> None:
    run = manifest.run("logreg-C1-newton")
    panel = studio.open_run(run.id)
    points = run.points["loss"]
    studio.wait_chart_points(panel, "loss", points)
    chart = studio.chart(panel, "loss")
    assert studio.chart_state(chart) == {"lines": 1, "faint": 0, "x_time": False, "y_log": False}

    # Smoothing: the smoothed line over the faint raw one, every raw point still drawn.
    studio.set_smoothing(panel, 0.6)
    poll(lambda: studio.chart_state(chart), lambda s: s["lines"] == 2, "a smoothed line", 10)
    assert studio.chart_state(chart)["faint"] == 1
    studio.wait_chart_points(panel, "loss", points)

    # Log scale, then x by time: the same points drawn on the new axes.
    panel.locator('[data-testid="studio-logscale-toggle"]').check()
    poll(lambda: studio.chart_state(chart), lambda s: s["y_log"] is True, "a log y axis", 10)
    studio.wait_chart_points(panel, "loss", points)
    panel.locator('[data-testid="studio-xaxis-toggle"]').click()
    poll(lambda: studio.chart_state(chart), lambda s: s["x_time"] is True, "a time x axis", 10)
    studio.wait_chart_points(panel, "loss", points)
    assert studio.chart_axis_titles(chart) == ("time", "loss")
    studio.screenshot("run_chart_options", chart)

    tooltip = studio.chart_tooltip(chart)
    assert tooltip.startswith("time: "), tooltip
    assert run.name in tooltip, tooltip
    studio.screenshot("run_chart_hover", chart)

    png = studio.download_chart_png(chart)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(png) > 2_000, len(png)  # the lines and axes, not an empty canvas


def test_a_metric_logged_once_is_a_number_not_a_chart(
    studio: StudioPage, manifest: Manifest
) -> None:
    parent = manifest.run("grid-search", experiment="wine")
    assert parent.points == {"best_accuracy": 1}
    panel = studio.open_run(parent.id)

    value = studio.metric_value(panel, "best_accuracy")
    value.wait_for(state="visible")

    assert format_number(parent.last["best_accuracy"]) in value.inner_text()
    assert studio.chart(panel, "best_accuracy").count() == 0
    studio.screenshot("run_single_value")


def test_run_charts_follow_the_panel_size(studio: StudioPage, manifest: Manifest) -> None:
    run = manifest.run("logreg-C1")
    panel = studio.open_run(run.id)
    chart = studio.chart(panel, "loss")
    studio.wait_chart_points(panel, "loss", run.points["loss"])
    before = studio.chart_width(chart)
    plot = chart.locator(".jp-Studio-metricChart-plot")

    # The left area opens or closes beside the panel: Lumino resizes the panel, without a
    # window resize event.
    studio.execute("application:toggle-left-area")

    poll(
        lambda: plot.evaluate("node => node.clientWidth"),
        lambda width: abs(width - before) > 50,
        f"the width of the chart's box (was {before:.0f}px)",
        10,
    )
    poll(
        lambda: abs(studio.chart_width(chart) - plot.evaluate("node => node.clientWidth")),
        lambda gap: gap < 2,
        "the gap between uPlot's canvas and the chart's box",
        10,
    )
    studio.screenshot("run_resized")


def test_a_100000_point_metric_is_charted_downsampled(
    studio: StudioPage, manifest: Manifest
) -> None:
    run = manifest.run("sgd-long")
    assert run.points[LONG_METRIC] == LONG_METRIC_POINTS
    panel = studio.open_run(run.id)

    points = studio.chart_points(panel, LONG_METRIC)

    assert MAX_CHART_POINTS // 2 < points <= MAX_CHART_POINTS
    studio.wait_chart_points(panel, "accuracy", run.points["accuracy"])
    studio.screenshot("run_long_metric")


def test_a_running_run_says_so(studio: StudioPage, manifest: Manifest) -> None:
    run = manifest.run("logreg-live")
    panel = studio.open_run(run.id)

    assert "RUNNING" in studio.run_status(panel).upper()
    studio.wait_chart_points(panel, "loss", run.points["loss"])


def test_the_source_link_opens_the_notebook(studio: StudioPage, manifest: Manifest) -> None:
    run = manifest.run("logreg-C1")
    panel = studio.open_run(run.id)

    studio.source_link(panel).click()

    studio.wait_for_tab(SOURCE_NOTEBOOK)
