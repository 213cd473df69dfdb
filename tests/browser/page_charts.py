"""The page object's charts: the run and compare panels' metric charts, their options, zoom."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page


from tests.browser.page_support import (
    _CANVAS_PAPER_JS,
    _LINE_COLOURS_JS,
    _UPLOT_JS,
    poll,
    tid,
)


class ChartsPage:
    """A part of `StudioPage` (tests/browser/pages.py), which mixes it in."""

    page: Page
    base_url: str
    token: str
    screenshots: Path

    # Charts (run and compare panels) -------------------------------------------------------

    def wait_chart_points(
        self,
        panel: Locator,
        metric: str,
        expected: int,
        testid: str = "studio-metric-chart",
        timeout_s: float = 15,
    ) -> int:
        """Wait until uPlot has drawn `expected` points in the metric's chart (scrolled into
        sight: charts out of sight wait to be seen before drawing)."""
        chart = self.chart(panel, metric, testid)
        chart.scroll_into_view_if_needed()
        return poll(
            lambda: self.drawn_points(chart),
            lambda n: n == expected,
            f"points drawn in the {metric} chart",
            timeout_s,
        )

    def chart_stats(self, panel: Locator, metric: str) -> dict[str, str]:
        """{"last"|"min"|"max": the number shown} in the header of a run panel's chart."""
        stats = self.chart(panel, metric).locator(tid("studio-metric-stats"))
        stats.wait_for(state="visible")
        pairs = stats.locator("[data-stat]").evaluate_all(
            "items => items.map(i => [i.dataset.stat, i.querySelector('b').textContent])"
        )
        return {str(stat): str(value) for stat, value in pairs}

    def metric_value(self, panel: Locator, metric: str) -> Locator:
        """A metric logged once, shown as a number instead of a chart."""
        return panel.locator(f'{tid("studio-metric-value")}[data-metric="{metric}"]')

    def chart_axis_titles(self, chart: Locator) -> tuple[str, str]:
        """(x title, y title) of the axes uPlot drew, once drawn."""
        poll(lambda: self.drawn_points(chart), bool, "a drawn line in the chart", 15)
        x, y = chart.first.evaluate(f"chart => ({_UPLOT_JS})(chart).axes.map(a => a.label)")
        return str(x), str(y)

    def png_button(self, chart: Locator) -> Locator:
        """The chart's "Download as PNG" button, in its title row."""
        return chart.locator(tid("studio-chart-download"))

    def chart_width(self, chart: Locator) -> float:
        """The width of uPlot's canvas in the chart."""
        return float(
            chart.locator(".uplot canvas").first.evaluate("c => c.getBoundingClientRect().width")
        )

    def line_colours(self, chart: Locator) -> list[str]:
        """The colour of each run's line uPlot drew in the chart (a smoothed line and its raw
        line are one run's)."""
        return [str(colour) for colour in chart.first.evaluate(_LINE_COLOURS_JS)]

    def chart_paper(self, chart: Locator) -> str:
        """The background the chart is painted with: a pixel of uPlot's canvas, or plotly's
        SVG background (parallel coordinates, scatter)."""
        if chart.locator(".main-svg").count():
            return str(
                chart.locator(".main-svg").first.evaluate(
                    "svg => getComputedStyle(svg).backgroundColor"
                )
            )
        return str(chart.first.evaluate(_CANVAS_PAPER_JS))

    def background(self, locator: Locator) -> str:
        return str(locator.first.evaluate("node => getComputedStyle(node).backgroundColor"))

    def compare_legends(self, compare: Locator) -> int:
        """How many legends the compare panel shows: its own, plus any a chart draws."""
        own = compare.locator(tid("studio-compare-legend")).count()
        charts = compare.locator(".main-svg .legend, .u-legend").count()
        return own + charts

    def parallel_coordinates(self, compare: Locator) -> Locator:
        chart = compare.locator(tid("studio-parallel-coordinates"))
        chart.scroll_into_view_if_needed()
        return chart

    def parallel_axes(self, compare: Locator, count: int) -> list[str]:
        """The axis titles plotly drew in the parallel-coordinates chart, once it drew `count`."""
        chart = self.parallel_coordinates(compare)
        titles = chart.locator(".parcoords .y-axis .axis-title")
        poll(titles.count, lambda n: n == count, "axes of the parallel coordinates", 20)
        return [text or "" for text in titles.all_text_contents()]

    def parallel_line_colours(self, compare: Locator) -> list[float]:
        """The colour value of each run's line as plotly drew it (its computed data)."""
        chart = self.parallel_coordinates(compare)
        return [
            float(value) for value in chart.evaluate("gd => Array.from(gd._fullData[0].line.color)")
        ]

    def colour_parallel_by(self, compare: Locator, metric: str) -> None:
        compare.locator(tid("studio-parallel-color")).select_option(metric)

    def scatter(self, compare: Locator) -> Locator:
        chart = compare.locator(tid("studio-scatter"))
        chart.scroll_into_view_if_needed()
        return chart

    def scatter_points(
        self, compare: Locator, count: int
    ) -> list[tuple[str, float | str, float | str]]:
        """(run name, x, y) of each point plotly drew in the scatter, once it drew `count`."""
        chart = self.scatter(compare)
        markers = chart.locator(".scatterlayer .trace .points path")
        poll(markers.count, lambda n: n == count, "points of the scatter", 20)
        return [
            (str(name), x, y)
            for name, x, y in chart.evaluate(
                """gd => gd.calcdata[0].map(p => [p.tx, gd._fullData[0].x[p.i],
                                                   gd._fullData[0].y[p.i]])"""
            )
        ]

    def scatter_axes(self, compare: Locator, x: str, y: str) -> None:
        """Choose the scatter's axes ("params.<key>" / "metrics.<key>")."""
        compare.locator(tid("studio-scatter-x")).select_option(x)
        compare.locator(tid("studio-scatter-y")).select_option(y)

    # Metric chart options and interaction (uPlot) ----------------------------------------------

    def set_smoothing(self, panel: Locator, value: float) -> None:
        """Move the chart toolbar's smoothing slider to `value`, as a drag would (input event)."""
        panel.locator(tid("studio-smoothing")).first.evaluate(
            """(input, value) => {
              const setter = Object.getOwnPropertyDescriptor(
                HTMLInputElement.prototype, 'value').set;
              setter.call(input, String(value));
              input.dispatchEvent(new Event('input', { bubbles: true }));
            }""",
            value,
        )

    def chart_state(self, chart: Locator) -> dict[str, object]:
        """What the chart's uPlot instance draws now: its lines, how many are faint (raw lines
        under smoothed ones), whether x is time and y logarithmic."""
        return dict(
            chart.first.evaluate(
                f"""chart => {{
                  const u = ({_UPLOT_JS})(chart);
                  if (!u) return {{}};
                  const lines = u.series.slice(1);
                  return {{
                    lines: lines.length,
                    faint: lines.filter(s => s.alpha < 1).length,
                    x_time: u.scales.x.time,
                    y_log: u.scales.y.distr === 3,
                  }};
                }}"""
            )
        )

    def chart_tooltip(self, chart: Locator) -> str:
        """Hover the middle of the chart's plot area: the hover box's text, once shown."""
        over = chart.locator(".u-over")
        box = over.bounding_box()
        assert box is not None
        self.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        tooltip = chart.locator(".jp-Studio-chartTooltip")
        tooltip.wait_for(state="visible", timeout=10_000)
        return tooltip.inner_text()

    def download_chart_png(self, chart: Locator) -> bytes:
        """Click the chart's PNG button; the bytes of the file the browser downloads."""
        with self.page.expect_download(timeout=10_000) as download:
            self.png_button(chart).click()
        path = download.value.path()
        return Path(path).read_bytes()

    def zoom_chart(self, chart: Locator, start: float, end: float) -> None:
        """Drag across the chart's plot area from `start` to `end` (fractions of its width)."""
        over = chart.locator(".u-over")
        over.scroll_into_view_if_needed()
        box = over.bounding_box()
        assert box is not None
        y = box["y"] + box["height"] / 2
        self.page.mouse.move(box["x"] + box["width"] * start, y)
        self.page.mouse.down()
        self.page.mouse.move(box["x"] + box["width"] * end, y, steps=5)
        self.page.mouse.up()

    def chart_x_range(self, chart: Locator) -> tuple[float, float]:
        """The x range uPlot draws now (its x scale)."""
        low, high = chart.first.evaluate(
            f"chart => {{ const x = ({_UPLOT_JS})(chart).scales.x; return [x.min, x.max]; }}"
        )
        return float(low), float(high)

    def chart_x_values(self, chart: Locator) -> int:
        """How many x values the chart's uPlot instance holds (drawn in range or not)."""
        return int(chart.first.evaluate(f"chart => ({_UPLOT_JS})(chart).data[0].length"))

    # Zoom ----------------------------------------------------------------------------------

    def chart_view(self, chart: Locator) -> dict[str, Any]:
        """What the chart says it draws: zoomed in or not, downsampled or every point, how
        many points (its data attributes), the fetch in flight, and its note."""
        first = chart.first
        return {
            "zoomed": first.get_attribute("data-zoomed") == "true",
            "downsampled": first.get_attribute("data-downsampled") == "true",
            "points": int(first.get_attribute("data-points") or 0),
            "pending": first.get_attribute("data-pending") == "true",
            "note": first.locator(tid("studio-chart-view")).inner_text(),
        }

    def wait_chart_view(
        self, chart: Locator, until: Callable[[dict[str, Any]], bool], what: str
    ) -> dict[str, Any]:
        return poll(lambda: self.chart_view(chart), until, what, 20)

    def chart_lines(self, chart: Locator) -> dict[str, Any]:
        """What uPlot holds: its x values, and each raw line's values by label (a smoothed
        line, drawn over its raw one, left out), NaN gaps as None."""
        return dict(
            chart.first.evaluate(
                f"""chart => {{
  const u = ({_UPLOT_JS})(chart);
  const lines = {{}};
  u.series.forEach((series, i) => {{
    if (i > 0 && !(series.label in lines)) lines[series.label] = Array.from(u.data[i]);
  }});
  return {{ x: Array.from(u.data[0]), lines }};
}}"""
            )
        )

    def drag_chart_x(self, chart: Locator, low: float, high: float) -> tuple[float, float]:
        """Drag the mouse across the plot from x value `low` to `high` (steps or epoch ms),
        on whole pixels; returns the x values under the pixels where the drag began and
        ended, as uPlot reads them."""
        over = chart.locator(".u-over")
        over.scroll_into_view_if_needed()
        box = over.bounding_box()
        assert box is not None
        start, end = (
            round(box["x"] + chart.first.evaluate(
                f"(chart, x) => ({_UPLOT_JS})(chart).valToPos(x, 'x')", x
            ))
            for x in (low, high)
        )  # fmt: skip
        y = round(box["y"] + box["height"] / 2)
        # Read before the drag: uPlot zooms (its scale changes) as the mouse is released.
        left = over.evaluate("node => node.getBoundingClientRect().left")
        values = chart.first.evaluate(
            f"""(chart, px) => {{
  const u = ({_UPLOT_JS})(chart);
  return px.map(p => u.posToVal(p, 'x'));
}}""",
            [start - left, end - left],
        )
        self.page.mouse.move(start, y)
        self.page.mouse.down()
        self.page.mouse.move(end, y, steps=5)
        self.page.mouse.up()
        return float(values[0]), float(values[1])

    def double_click_chart(self, chart: Locator) -> None:
        over = chart.locator(".u-over")
        over.scroll_into_view_if_needed()
        over.dblclick()
