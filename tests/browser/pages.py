"""The page object of the browser tests: every selector and every way of driving Studio's UI.

Tests talk to `StudioPage` ("open the experiment", "sort by metrics.loss", "read the rows");
only this module knows the data-testid contract of the panels and how JupyterLab is driven
(`window.jupyterapp`, exposed by `--LabApp.expose_app_in_browser=True`).
"""

from __future__ import annotations

import json
import math
import operator
import os
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Error, Locator, Page, Request

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
# The README's screenshots, committed: only `make screenshots` writes here (STUDIO_SCREENSHOTS).
README_SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
SCREENSHOTS_ENV = "STUDIO_SCREENSHOTS"
TIMEOUT_MS = 20_000
DARK_THEME = "JupyterLab Dark"
LIGHT_THEME = "JupyterLab Light"

T = TypeVar("T")


def screenshots_dir() -> Path:
    """Where the browser tests save their screenshots: the folder STUDIO_SCREENSHOTS names, or
    `<tmp>/studio-screenshots`. Outside the work tree by default, so that a test run leaves
    `git status` clean; `make screenshots` points it at README_SCREENSHOTS on purpose."""
    named = os.environ.get(SCREENSHOTS_ENV)
    if named:
        return Path(named).resolve()
    return Path(tempfile.gettempdir()) / "studio-screenshots"


def tid(name: str) -> str:
    """The selector of a data-testid."""
    return f'[data-testid="{name}"]'


class Sel:
    """Selectors of the panels (the frontend's data-testid contract)."""

    SIDEBAR = ".jp-Studio-sidebar"
    EXPERIMENT_SEARCH = tid("studio-experiment-search")
    EXPERIMENT_ITEM = tid("studio-experiment-item")
    EXPERIMENT_RUN_COUNT = tid("studio-experiment-run-count")
    RUNNING_RUNS = tid("studio-running-runs")
    RUNNING_RUN = tid("studio-running-run")

    EXPERIMENT_PANEL = ".jp-Studio-experimentPanel"
    RUNS_FILTER = tid("studio-runs-filter")
    FILTER_ERROR = tid("studio-filter-error")
    RUNS_COUNT = tid("studio-runs-count")
    COLUMN_HEADER = tid("studio-column-header")
    RUN_ROW = tid("studio-run-row")
    CELL = tid("studio-cell")
    RUN_SELECT = tid("studio-run-select")
    COMPARE_BUTTON = tid("studio-compare-button")
    COLUMNS_BUTTON = tid("studio-columns-button")
    COLUMN_OPTION = tid("studio-column-option")

    RUN_PANEL = ".jp-Studio-runPanel"
    RUN_STATUS = tid("studio-run-status")
    SOURCE_LINK = tid("studio-source-link")
    PARAMS = tid("studio-params")
    METRIC_CHART = tid("studio-metric-chart")
    ARTIFACT = tid("studio-artifact")

    COMPARE_PANEL = ".jp-Studio-comparePanel"
    COMPARE_CHART = tid("studio-compare-chart")
    COMPARE_PARAM_ROW = tid("studio-compare-param-row")
    DIFFERS_CLASS = "jp-Studio-differs"
    ONLY_DIFFERENCES = tid("studio-only-differences")
    COMPARE_METRICS = tid("studio-compare-metrics")


@dataclass(frozen=True)
class ConsoleEntry:
    kind: str  # "console" or "pageerror"
    text: str
    url: str

    @property
    def from_studio(self) -> bool:
        """Logged by Studio's code, or about a request to Studio's API or files."""
        return "studio" in f"{self.text} {self.url}".lower()

    def __str__(self) -> str:
        return f"[{self.kind}] {self.text}" + (f" ({self.url})" if self.url else "")


class StudioTimeout(AssertionError):
    """A UI state a test waited for never came; the message says what was seen last."""


def poll(read: Callable[[], T], until: Callable[[T], bool], what: str, timeout_s: float) -> T:
    """`read()` until `until(value)`; the last value, or StudioTimeout naming it."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = read()
        if until(value):
            return value
        if time.monotonic() > deadline:
            raise StudioTimeout(f"{what}: still {value!r} after {timeout_s:.0f}s")
        time.sleep(0.1)


def panel_selector(widget_id: str, root_class: str) -> str:
    """A panel by its Lumino widget id, whether the root class is on that node or inside it."""
    return f'[id="{widget_id}"]{root_class}, [id="{widget_id}"] {root_class}'


_COLOURS_JS = """element => {
  const color = getComputedStyle(element).color;
  for (let node = element; node; node = node.parentElement) {
    const background = getComputedStyle(node).backgroundColor;
    if (background && background !== 'transparent' && !background.endsWith(', 0)')) {
      return [color, background];
    }
  }
  return [color, 'rgb(255, 255, 255)'];
}"""


# A metric chart is a uPlot instance, kept on its plot div as the non-enumerable `__uplot`.
# The points it drew: per run (a smoothed line shares its raw line's label and is not counted
# twice) the non-null values within the range uPlot drew (`series.idxs`, set as it draws), and
# only once the canvas holds more than its background.
_UPLOT_JS = """chart => {
  const node = chart.classList.contains('jp-Studio-metricChart-plot')
    ? chart : chart.querySelector('.jp-Studio-metricChart-plot');
  return node ? node.__uplot || null : null;
}"""
_DRAWN_POINTS_JS = f"""chart => {{
  const u = ({_UPLOT_JS})(chart);
  if (!u || !u.ctx) return 0;
  const canvas = u.ctx.canvas;
  if (!canvas.width || !canvas.height) return 0;
  const pixels = u.ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = false;
  for (let i = 4; i < pixels.length && !painted; i += 4) {{
    painted = pixels[i] !== pixels[0] || pixels[i + 1] !== pixels[1]
      || pixels[i + 2] !== pixels[2];
  }}
  if (!painted) return 0;
  const labels = new Set();
  let points = 0;
  u.series.forEach((series, i) => {{
    if (i === 0 || !series.show || labels.has(series.label) || !series.idxs) return;
    labels.add(series.label);
    const values = u.data[i];
    for (let j = series.idxs[0]; j <= series.idxs[1]; j++) {{
      if (values[j] !== null && values[j] !== undefined) points += 1;
    }}
  }});
  return points;
}}"""
# The colour uPlot drew each run's line in (one per label: a smoothed line is its run's
# colour), as the browser computes it.
_LINE_COLOURS_JS = f"""chart => {{
  const u = ({_UPLOT_JS})(chart);
  const probe = document.createElement('span');
  document.body.appendChild(probe);
  const labels = new Set();
  const colours = [];
  u.series.forEach((series, i) => {{
    if (i === 0 || labels.has(series.label)) return;
    labels.add(series.label);
    const stroke = typeof series.stroke === 'function' ? series.stroke(u, i) : series.stroke;
    probe.style.color = stroke;
    colours.push(getComputedStyle(probe).color);
  }});
  probe.remove();
  return colours;
}}"""
# The colour of a pixel uPlot painted in a corner of the canvas (its background), as rgb().
_CANVAS_PAPER_JS = f"""chart => {{
  const u = ({_UPLOT_JS})(chart);
  const [r, g, b] = u.ctx.getImageData(1, 1, 1, 1).data;
  return `rgb(${{r}}, ${{g}}, ${{b}})`;
}}"""


def format_number(value: float) -> str:
    """The runs table's way of writing a metric (runCells.tsx formatNumber)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Inf" if value > 0 else "-Inf"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    if 1e-3 <= abs(value) < 1e6:
        return repr(float(f"{value:.5g}"))
    return f"{float(f'{value:.4g}'):e}"


def luminance(css_colour: str) -> float:
    """0 (black) to 1 (white), from an rgb()/rgba() CSS colour."""
    return _luminance(css_colour)


def _luminance(css_colour: str) -> float:
    """0 (black) to 1 (white), from an rgb()/rgba() CSS colour."""
    channels = [float(part) for part in re.findall(r"[\d.]+", css_colour)[:3]]
    if len(channels) != 3:
        raise AssertionError(f"not an rgb colour: {css_colour!r}")
    red, green, blue = (channel / 255 for channel in channels)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


class StudioPage:
    """One browser page with JupyterLab open, and Studio's panels in it."""

    def __init__(self, page: Page, base_url: str, token: str, screenshots: Path) -> None:
        self.page = page
        self.base_url = base_url
        self.token = token
        self.screenshots = screenshots
        self.workspace = "default"
        self.console: list[ConsoleEntry] = []
        self._allowed: list[re.Pattern[str]] = []
        page.set_default_timeout(TIMEOUT_MS)
        page.on("console", self._on_console)
        page.on("pageerror", self._on_page_error)

    # Console -------------------------------------------------------------------------------

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console.append(ConsoleEntry("console", message.text, message.location["url"]))

    def _on_page_error(self, error: Error) -> None:
        self.console.append(ConsoleEntry("pageerror", f"{error.message}\n{error.stack}", ""))

    def allow_console_error(self, pattern: str) -> None:
        """Expect console errors matching `pattern` (the browser logs every 4xx answer, e.g.
        the 400 of a bad filter, as one)."""
        self._allowed.append(re.compile(pattern))

    def studio_console_errors(self) -> list[str]:
        return [
            str(entry)
            for entry in self.console
            if entry.from_studio and not any(p.search(str(entry)) for p in self._allowed)
        ]

    # JupyterLab ----------------------------------------------------------------------------

    def open_lab(self, workspace: str = "default") -> None:
        """Load JupyterLab on a fresh copy of `workspace` and wait until it is restored."""
        self.workspace = re.sub(r"[^A-Za-z0-9_-]", "-", workspace)
        self.page.goto(f"{self.base_url}/lab/workspaces/{self.workspace}?reset&token={self.token}")
        self.wait_ready()

    def reload(self, restoring: str) -> None:
        """Load JupyterLab again on the same workspace, as it was left, once the server has
        the workspace with `restoring` (a layout-restorer key) in it: JupyterLab saves it
        debounced."""
        url = f"{self.base_url}/lab/api/workspaces/{self.workspace}?token={self.token}"
        poll(
            lambda: self.page.request.get(url).text(),
            lambda text: restoring in text,
            f"{restoring} in the saved workspace",
            10,
        )
        self.page.goto(f"{self.base_url}/lab/workspaces/{self.workspace}?token={self.token}")
        self.wait_ready()

    def wait_ready(self) -> None:
        self.page.wait_for_function("() => window.jupyterapp !== undefined", timeout=60_000)
        self.page.evaluate(
            "async () => { await window.jupyterapp.started; await window.jupyterapp.restored; }"
        )
        self.page.locator("#jp-main-dock-panel").wait_for(state="visible")

    def execute(self, command: str, args: dict[str, Any] | None = None) -> None:
        """Run a JupyterLab command as the palette would; its result stays in the page."""
        self.page.evaluate(
            "async ([id, args]) => { await window.jupyterapp.commands.execute(id, args); }",
            [command, args or {}],
        )

    def wait_for_tab(self, title: str) -> Locator:
        """The main-area tab whose label is `title`, once it is there."""
        tab = self.page.locator("#jp-main-dock-panel .lm-TabBar-tab").filter(has_text=title)
        tab.first.wait_for(state="visible")
        return tab.first

    def has_command(self, command: str) -> bool:
        return bool(self.page.evaluate("id => window.jupyterapp.commands.hasCommand(id)", command))

    def screenshot(self, name: str, locator: Locator | None = None) -> Path:
        path = self.screenshots / f"{name}.png"
        self.page.wait_for_timeout(300)  # let charts finish their transitions
        if locator is None:
            self.page.screenshot(path=str(path))
        else:
            locator.screenshot(path=str(path))
        return path

    def change_theme(self, theme: str) -> None:
        self.execute("apputils:change-theme", {"theme": theme})
        light = "false" if "Dark" in theme else "true"
        self.page.wait_for_function(
            "light => document.body.dataset.jpThemeLight === light", arg=light
        )
        self.page.wait_for_timeout(500)  # panels re-read theme colours (charts)

    def is_dark(self, locator: Locator) -> bool:
        """The element's text is lighter than what it is drawn on (its own background, or the
        nearest ancestor's that is not transparent)."""
        text, background = locator.first.evaluate(_COLOURS_JS)
        return _luminance(text) > _luminance(background)

    def chart_is_dark(self, chart: Locator) -> bool:
        """The background uPlot painted is dark and its axis labels light."""
        paper = self.chart_paper(chart)
        label = chart.first.evaluate(
            f"""chart => {{
              const u = ({_UPLOT_JS})(chart);
              const probe = document.createElement('span');
              document.body.appendChild(probe);
              const stroke = u.axes[0].stroke;
              probe.style.color = typeof stroke === 'function' ? stroke(u, 0) : stroke;
              const colour = getComputedStyle(probe).color;
              probe.remove();
              return colour;
            }}"""
        )
        return _luminance(paper) < 0.35 and _luminance(label) > 0.5

    # Sidebar -------------------------------------------------------------------------------

    def open_sidebar(self) -> Locator:
        self.execute("studio:open-sidebar")
        sidebar = self.page.locator(Sel.SIDEBAR)
        sidebar.wait_for(state="visible")
        return sidebar

    def sidebar_experiments(self, sidebar: Locator, expected: int) -> list[tuple[int, str, str]]:
        """(experiment id, item text, run-count text) of each item, in order, once `expected`
        items show."""
        items = sidebar.locator(Sel.EXPERIMENT_ITEM)
        poll(items.count, lambda n: n == expected, "experiment items in the sidebar", 15)
        found = []
        for index in range(items.count()):
            item = items.nth(index)
            found.append(
                (
                    int(item.get_attribute("data-experiment-id") or -1),
                    item.inner_text(),
                    item.locator(Sel.EXPERIMENT_RUN_COUNT).inner_text().strip(),
                )
            )
        return found

    def click_experiment(self, sidebar: Locator, experiment_id: int) -> Locator:
        """Click an experiment in the sidebar; its panel, once visible."""
        sidebar.locator(f'{Sel.EXPERIMENT_ITEM}[data-experiment-id="{experiment_id}"]').click()
        panel = self.experiment_panel(experiment_id)
        panel.wait_for(state="visible")
        return panel

    def search_experiments(self, sidebar: Locator, text: str) -> None:
        sidebar.locator(Sel.EXPERIMENT_SEARCH).fill(text)

    def running_runs(self, sidebar: Locator) -> list[str]:
        """The run ids the running-runs section lists, once it lists some."""
        sidebar.locator(Sel.RUNNING_RUNS).wait_for(state="visible")
        return poll(lambda: self.running_run_ids(sidebar), bool, "running runs in the sidebar", 15)

    def running_run_ids(self, sidebar: Locator) -> list[str]:
        """The run ids the running-runs section lists now."""
        return [
            run_id or ""
            for run_id in sidebar.locator(Sel.RUNNING_RUN).evaluate_all(
                "runs => runs.map(run => run.getAttribute('data-run-id'))"
            )
        ]

    # Experiment panel ----------------------------------------------------------------------

    def experiment_panel(self, experiment_id: int) -> Locator:
        return self.page.locator(
            panel_selector(f"studio-experiment-{experiment_id}", Sel.EXPERIMENT_PANEL)
        )

    def open_experiment(self, experiment_id: int, *, rows: bool = True) -> Locator:
        """Open an experiment through its command; wait for its panel (and its first row)."""
        self.execute("studio:open-experiment", {"experimentId": experiment_id})
        panel = self.experiment_panel(experiment_id)
        panel.wait_for(state="visible")
        if rows:
            panel.locator(Sel.RUN_ROW).first.wait_for(state="visible")
        return panel

    def row_ids(self, panel: Locator) -> list[str]:
        """The run ids of the rows the table shows, top to bottom."""
        return [
            row_id or ""
            for row_id in panel.locator(Sel.RUN_ROW).evaluate_all(
                "rows => rows.map(row => row.getAttribute('data-run-id'))"
            )
        ]

    def wait_rows(
        self, panel: Locator, until: Callable[[list[str]], bool], what: str, timeout_s: float = 15
    ) -> list[str]:
        return poll(lambda: self.row_ids(panel), until, what, timeout_s)

    def runs_count(self, panel: Locator) -> int:
        count = panel.locator(Sel.RUNS_COUNT)
        count.wait_for(state="visible")
        return int(count.get_attribute("data-count") or -1)

    def runs_count_text(self, panel: Locator) -> str:
        return panel.locator(Sel.RUNS_COUNT).inner_text()

    def wait_runs_count(self, panel: Locator, expected: int, timeout_s: float = 15) -> int:
        return poll(
            lambda: self.runs_count(panel), lambda n: n == expected, "the runs count", timeout_s
        )

    def header(self, panel: Locator, column: str) -> Locator:
        return panel.locator(f'{Sel.COLUMN_HEADER}[data-column="{column}"]')

    def columns(self, panel: Locator) -> list[str]:
        return [
            column or ""
            for column in panel.locator(Sel.COLUMN_HEADER).evaluate_all(
                "cells => cells.map(cell => cell.getAttribute('data-column'))"
            )
        ]

    def show_column(self, panel: Locator, column: str, shown: bool = True) -> None:
        """Show (or hide) `column` in the table, through the column chooser if need be."""
        if bool(self.header(panel, column).count()) == shown:
            return
        panel.locator(Sel.COLUMNS_BUTTON).click()
        self.page.locator(f'{Sel.COLUMN_OPTION}[data-column="{column}"]').set_checked(shown)
        self.page.keyboard.press("Escape")
        self.header(panel, column).wait_for(state="visible" if shown else "detached")

    def sort_by(self, panel: Locator, column: str, direction: str) -> None:
        """Click the column's header until the table says it sorts `direction` (asc|desc)."""
        self.show_column(panel, column)
        header = self.header(panel, column)
        for _ in range(3):
            before = header.get_attribute("data-sort")
            if before == direction:
                return
            header.click()
            poll(
                lambda: header.get_attribute("data-sort"),
                partial(operator.ne, before),
                f"data-sort of {column} after a click",
                10,
            )
        raise StudioTimeout(
            f"{column}: data-sort is {header.get_attribute('data-sort')!r} after 3 clicks, "
            f"never {direction!r}"
        )

    def cell_text(self, panel: Locator, run_id: str, column: str) -> str:
        row = panel.locator(f'{Sel.RUN_ROW}[data-run-id="{run_id}"]')
        return row.locator(f'{Sel.CELL}[data-column="{column}"]').inner_text().strip()

    def filter_runs(self, panel: Locator, text: str) -> None:
        box = panel.locator(Sel.RUNS_FILTER)
        box.fill(text)
        box.press("Enter")

    def filter_error(self, panel: Locator) -> Locator:
        return panel.locator(Sel.FILTER_ERROR)

    def select_runs(self, panel: Locator, run_ids: list[str]) -> None:
        for run_id in run_ids:
            row = panel.locator(f'{Sel.RUN_ROW}[data-run-id="{run_id}"]')
            row.locator(Sel.RUN_SELECT).check()

    def is_selected(self, panel: Locator, run_id: str) -> bool:
        row = panel.locator(f'{Sel.RUN_ROW}[data-run-id="{run_id}"]')
        return row.locator(Sel.RUN_SELECT).is_checked()

    def compare_selected(self, panel: Locator) -> Locator:
        # The compare button sits in the panel's JupyterLab toolbar, beside the panel's content.
        panel.locator("xpath=..").locator(Sel.COMPARE_BUTTON).click()
        compare = self.page.locator(f"{Sel.COMPARE_PANEL}:visible")
        compare.wait_for(state="visible")
        return compare

    # Run panel -----------------------------------------------------------------------------

    def run_panel(self, run_id: str) -> Locator:
        return self.page.locator(panel_selector(f"studio-run-{run_id}", Sel.RUN_PANEL))

    def open_run(self, run_id: str) -> Locator:
        self.execute("studio:open-run", {"runId": run_id})
        panel = self.run_panel(run_id)
        panel.wait_for(state="visible")
        return panel

    def open_run_by_typing(self, sidebar: Locator, text: str) -> None:
        """The sidebar's "Open run…": type an id or a name into its dialog and open."""
        sidebar.get_by_text("Open run…").click()
        dialog = self.page.locator(".jp-Dialog")
        dialog.locator("input").fill(text)
        dialog.get_by_role("button", name="Open").click()
        dialog.wait_for(state="detached")

    def run_status(self, panel: Locator) -> str:
        return panel.locator(Sel.RUN_STATUS).inner_text()

    def params_text(self, panel: Locator) -> str:
        return panel.locator(Sel.PARAMS).inner_text()

    def source_link(self, panel: Locator) -> Locator:
        return panel.locator(Sel.SOURCE_LINK)

    def chart(self, panel: Locator, metric: str, testid: str = "studio-metric-chart") -> Locator:
        return panel.locator(f'{tid(testid)}[data-metric="{metric}"]')

    def chart_points(self, panel: Locator, metric: str, testid: str = "studio-metric-chart") -> int:
        """The points uPlot drew in a chart (one line per series, smoothed lines not counted
        twice), once it has drawn some; not what the chart's props say."""
        chart = self.chart(panel, metric, testid)
        chart.wait_for(state="visible")
        return poll(
            lambda: self.drawn_points(chart), lambda n: n > 0, f"points drawn in {metric}", 15
        )

    def drawn_points(self, chart: Locator) -> int:
        """The points in the range uPlot drew of each line, once its canvas holds more than
        the background; 0 before it has drawn."""
        return int(chart.first.evaluate(_DRAWN_POINTS_JS))

    def chart_drawn(self, chart: Locator) -> bool:
        """uPlot drew points of a line on the chart's canvas, waited for."""
        try:
            poll(lambda: self.drawn_points(chart), bool, "a drawn line in the chart", 15)
        except StudioTimeout:
            return False
        return True

    def artifacts(self, panel: Locator) -> list[str]:
        items = panel.locator(Sel.ARTIFACT)
        poll(items.count, lambda n: n > 0, "artifacts of the run", 15)
        return [items.nth(i).get_attribute("data-path") or "" for i in range(items.count())]

    # Compare panel -------------------------------------------------------------------------

    def compare_runs(self, run_ids: list[str]) -> Locator:
        self.execute("studio:compare-runs", {"runIds": run_ids})
        compare = self.page.locator(
            panel_selector(f"studio-compare-{'_'.join(run_ids)}", Sel.COMPARE_PANEL)
        )
        compare.wait_for(state="visible")
        return compare

    def param_rows(self, compare: Locator) -> dict[str, bool]:
        """{param: differs} for each row of the params table, once it has rows."""
        rows = compare.locator(Sel.COMPARE_PARAM_ROW)
        poll(rows.count, lambda n: n > 0, "rows of the compare params table", 15)
        pairs = rows.evaluate_all(
            f"""rows => rows.map(row => [row.getAttribute('data-param'),
                                      row.classList.contains('{Sel.DIFFERS_CLASS}')])"""
        )
        return {str(param): bool(differs) for param, differs in pairs}

    def highlighted_params(self, compare: Locator) -> set[str]:
        return {param for param, differs in self.param_rows(compare).items() if differs}

    def only_differences(self, compare: Locator, on: bool) -> None:
        compare.locator(Sel.ONLY_DIFFERENCES).set_checked(on)

    def compare_metrics_table(self, compare: Locator) -> Locator:
        return compare.locator(Sel.COMPARE_METRICS)

    def visible_param_rows(self, compare: Locator) -> set[str]:
        rows = compare.locator(f"{Sel.COMPARE_PARAM_ROW}:visible")
        return {rows.nth(i).get_attribute("data-param") or "" for i in range(rows.count())}

    # Runs-table columns ----------------------------------------------------------------------

    def column_width(self, panel: Locator, column: str) -> float:
        """The rendered width of a column's header, in CSS pixels."""
        box = self.header(panel, column).bounding_box()
        assert box, f"the header of {column} is not rendered"
        return box["width"]

    def cell_width(self, panel: Locator, run_id: str, column: str) -> float:
        row = panel.locator(f'{Sel.RUN_ROW}[data-run-id="{run_id}"]')
        box = row.locator(f'{Sel.CELL}[data-column="{column}"]').bounding_box()
        assert box, f"the {column} cell of {run_id} is not rendered"
        return box["width"]

    def drag_column_edge(self, panel: Locator, column: str, dx: float) -> None:
        """Drag the right edge of a value column's header `dx` pixels, as a user would."""
        edge = self.header(panel, column).locator(tid("studio-column-resizer"))
        edge.scroll_into_view_if_needed()
        box = edge.bounding_box()
        assert box, f"the resize edge of {column} is not rendered"
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        self.page.mouse.move(x, y)
        self.page.mouse.down()
        for step in range(1, 5):
            self.page.mouse.move(x + dx * step / 4, y)
        self.page.mouse.up()

    def column_kind_box(self, panel: Locator, column: str) -> dict[str, float]:
        """Where the param/metric chip of a column's header is drawn."""
        box = self.header(panel, column).locator(tid("studio-column-kind")).bounding_box()
        assert box, f"{column} has no param/metric chip"
        return box

    def column_note(self, panel: Locator, column: str) -> str:
        """The note under a header's label ("last" for metrics), or ""."""
        note = self.header(panel, column).locator(tid("studio-column-note"))
        return note.inner_text().strip() if note.count() else ""

    def runs_table_scroll(self, panel: Locator, left: float | None = None) -> dict[str, float]:
        """The runs table's horizontal scroll (scrollLeft, scrollWidth, clientWidth, and its
        box's left/right); with `left`, scroll there first."""
        return dict(
            panel.locator(".jp-Studio-runsTable").evaluate(
                """(table, left) => {
                  if (left !== null) { table.scrollLeft = left; }
                  const box = table.getBoundingClientRect();
                  return { scrollLeft: table.scrollLeft, scrollWidth: table.scrollWidth,
                           clientWidth: table.clientWidth, left: box.left,
                           right: box.left + table.clientWidth };
                }""",
                left,
            )
        )

    # Runs table: nested runs and long tables ------------------------------------------------

    def tree_rows(self, panel: Locator) -> list[tuple[str, int, bool]]:
        """(run id, depth, matches the filter) of each run row shown, top to bottom."""
        rows = panel.locator(Sel.RUN_ROW).evaluate_all(
            """rows => rows.map(row => [row.getAttribute('data-run-id'),
                Number(row.getAttribute('data-depth')), row.getAttribute('data-matched')])"""
        )
        return [(str(run_id), int(depth), matched == "true") for run_id, depth, matched in rows]

    def wait_tree_rows(
        self,
        panel: Locator,
        until: Callable[[list[tuple[str, int, bool]]], bool],
        what: str,
        timeout_s: float = 15,
    ) -> list[tuple[str, int, bool]]:
        return poll(lambda: self.tree_rows(panel), until, what, timeout_s)

    # JupyterLab's own parts: main-area panels, toolbars, menus, requests (test_shell.py) ------

    def set_studio_settings(self, values: dict[str, Any]) -> None:
        """Save Studio's user settings on the server (`{}`: the defaults); a page loaded after
        this reads them."""
        answer = self.page.request.put(
            f"{self.base_url}/lab/api/settings/jupyter-studio:plugin",
            headers={"Authorization": f"token {self.token}"},
            data=json.dumps({"raw": json.dumps(values)}),
        )
        assert answer.ok, answer.text()

    def reopen_lab(self) -> None:
        """Load JupyterLab again on this test's workspace as it was left (settings read anew)."""
        self.page.goto(f"{self.base_url}/lab/workspaces/{self.workspace}?token={self.token}")
        self.wait_ready()

    def main_area_widget(self, widget_id: str) -> Locator:
        """The MainAreaWidget whose id is `widget_id` (its toolbar and its content)."""
        return self.page.locator(f'[id="{widget_id}"].jp-MainAreaWidget')

    def toolbar_item(self, widget_id: str, testid: str) -> Locator:
        """An item of a panel's JupyterLab toolbar, by its data-testid."""
        return self.main_area_widget(widget_id).locator(f".jp-Toolbar {tid(testid)}")

    def tab(self, widget_id: str) -> Locator:
        return self.page.locator(f'#jp-main-dock-panel .lm-TabBar-tab[data-id="{widget_id}"]')

    def activate_tab(self, widget_id: str) -> None:
        self.tab(widget_id).click()
        self.main_area_widget(widget_id).wait_for(state="visible")

    def close_tab(self, widget_id: str) -> None:
        self.tab(widget_id).locator(".lm-TabBar-tabCloseIcon").click()
        self.main_area_widget(widget_id).wait_for(state="detached")

    def api_requests_during(
        self, seconds: float, action: Callable[[], None] | None = None
    ) -> list[str]:
        """The requests to Studio's API the page makes in the next `seconds` (after doing
        `action`, if given), each as "METHOD URL BODY"."""
        seen: list[str] = []

        def on_request(request: Request) -> None:
            if "/studio/api/" in request.url:
                seen.append(f"{request.method} {request.url} {request.post_data or ''}")

        self.page.on("request", on_request)
        try:
            if action is not None:
                action()
            self.page.wait_for_timeout(seconds * 1000)
        finally:
            self.page.remove_listener("request", on_request)
        return seen

    def open_main_menu(self, label: str) -> Locator:
        """Open a menu of the main menu bar; the open menu."""
        self.page.locator("#jp-menu-panel .lm-MenuBar-itemLabel", has_text=label).click()
        menu = self.page.locator(".lm-Menu").last
        menu.wait_for(state="visible")
        return menu

    def menu_labels(self, menu: Locator) -> list[str]:
        return [text.strip() for text in menu.locator(".lm-Menu-itemLabel").all_inner_texts()]

    def choose(self, menu: Locator, label: str) -> None:
        """Click the item of an open menu whose label is `label`."""
        exact = re.compile(f"^{re.escape(label)}$")
        label_node = self.page.locator(".lm-Menu-itemLabel", has_text=exact)
        menu.locator(".lm-Menu-item").filter(has=label_node).click()

    def context_menu(self, target: Locator) -> Locator:
        """Right-click `target`; JupyterLab's context menu, once open."""
        target.click(button="right")
        menu = self.page.locator(".lm-Menu").last
        menu.wait_for(state="visible")
        return menu

    def run_row(self, panel: Locator, run_id: str) -> Locator:
        return panel.locator(f'{Sel.RUN_ROW}[data-run-id="{run_id}"]')

    def expand_toggle(self, panel: Locator, run_id: str) -> Locator:
        """The toggle that shows or hides a run's children (it shows their count)."""
        return self.run_row(panel, run_id).locator(tid("studio-run-expand"))

    def set_expanded(self, panel: Locator, run_id: str, expanded: bool) -> None:
        toggle = self.expand_toggle(panel, run_id)
        if toggle.get_attribute("aria-expanded") != str(expanded).lower():
            toggle.click()
        poll(
            lambda: toggle.get_attribute("aria-expanded"),
            lambda state: state == str(expanded).lower(),
            f"aria-expanded of {run_id}",
            10,
        )

    def runs_scroll(self, panel: Locator) -> dict[str, float]:
        """The runs table's scroller: scrollTop, scrollHeight, clientHeight, and the height of
        its body (every row, loaded or not)."""
        return dict(
            panel.locator(".jp-Studio-runsTable").evaluate(
                """table => ({top: table.scrollTop, height: table.scrollHeight,
                    client: table.clientHeight,
                    body: table.querySelector('.jp-Studio-runsBody').offsetHeight})"""
            )
        )

    def scroll_runs_to(self, panel: Locator, fraction: float) -> None:
        """Drag the runs table's scrollbar: to a fraction of its range (1: the end)."""
        panel.locator(".jp-Studio-runsTable").evaluate(
            """(table, fraction) => {
                table.scrollTop = (table.scrollHeight - table.clientHeight) * fraction;
                table.dispatchEvent(new Event('scroll'));
            }""",
            fraction,
        )

    def experiment_item(self, sidebar: Locator, experiment_id: int) -> Locator:
        return sidebar.locator(f'{Sel.EXPERIMENT_ITEM}[data-experiment-id="{experiment_id}"]')

    def answer_dialog(self, button: str, text: str | None = None) -> None:
        """Type `text` into the open dialog's input (if given) and press `button`."""
        dialog = self.page.locator(".jp-Dialog")
        dialog.wait_for(state="visible")
        if text is not None:
            dialog.locator("input").fill(text)
        dialog.locator("button.jp-Dialog-button", has_text=button).click()
        dialog.wait_for(state="detached")

    def record_copies(self) -> None:
        """From now on, remember what is copied to the clipboard (`copied()`)."""
        self.page.evaluate(
            """() => {
              window.studioCopied = [];
              window.addEventListener('copy', event =>
                window.studioCopied.push(event.clipboardData.getData('text')));
            }"""
        )

    def copied(self) -> list[str]:
        return list(self.page.evaluate("() => window.studioCopied"))

    def notification(self, text: str) -> Locator:
        """A JupyterLab notification (toast) showing `text`."""
        return self.page.locator(".Toastify__toast").filter(has_text=text)

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

    # Notebooks (the debugger widget) -------------------------------------------------------

    def open_notebook(self, path: str) -> Locator:
        """Open the notebook at `path` (relative to the server root); answer its panel once its
        kernel is ready."""
        widget_id = self.page.evaluate(
            """async path => {
              const widget = await window.jupyterapp.commands.execute(
                'docmanager:open', { path, factory: 'Notebook' });
              await widget.context.ready;
              await widget.sessionContext.ready;
              return widget.id;
            }""",
            path,
        )
        return self.page.locator(f"#{widget_id}")

    def run_all_cells(self) -> None:
        self.execute("notebook:run-all-cells")

    def debugger_widget(self, notebook: Locator) -> Locator:
        """The debugger widget under a cell, once it is drawn."""
        widget = notebook.locator(".studio-DebuggerWidget")
        widget.first.wait_for(state="visible", timeout=60_000)
        return widget.first

    def record_command_executions(self) -> None:
        """From now on, remember the commands JupyterLab runs (`executed_commands()`)."""
        self.page.evaluate(
            """() => {
              window.studioExecuted = [];
              window.jupyterapp.commands.commandExecuted.connect((_, executed) =>
                window.studioExecuted.push({ id: executed.id, args: executed.args }));
            }"""
        )

    def executed_commands(self, prefix: str = "studio:") -> list[dict[str, Any]]:
        executed = self.page.evaluate("() => window.studioExecuted")
        return [entry for entry in executed if str(entry["id"]).startswith(prefix)]

    # Debugger (the run panel's Debugger tab, the sidebar's Alerts) ---------------------------

    def open_debugger(
        self, run_id: str, step: int | None = None, tensor: str | None = None
    ) -> Locator:
        """Run `studio:open-debugger`; the run panel, once its Debugger tab shows tensors."""
        args: dict[str, Any] = {"runId": run_id}
        if step is not None:
            args["step"] = step
        if tensor is not None:
            args["tensor"] = tensor
        self.execute("studio:open-debugger", args)
        panel = self.run_panel(run_id)
        panel.locator(tid("studio-tensor-item")).first.wait_for(state="visible")
        return panel

    def debugger_tab_selected(self, panel: Locator) -> bool:
        return (
            panel.locator(tid("studio-run-tab-debugger")).get_attribute("aria-selected") == "true"
        )

    def tensor_items(self, panel: Locator) -> dict[str, bool]:
        """Each listed tensor's name, and whether it is on the chart."""
        items = panel.locator(tid("studio-tensor-item"))
        return {
            str(item.get_attribute("data-tensor")): item.get_attribute("data-selected") == "true"
            for item in items.all()
        }

    def rule_states(self, panel: Locator) -> dict[str, str]:
        rows = panel.locator(tid("studio-rule"))
        return {
            str(row.get_attribute("data-rule")): str(row.get_attribute("data-status"))
            for row in rows.all()
        }

    def findings(self, panel: Locator) -> list[tuple[str, int, str]]:
        """(rule, step, text) of each finding listed, the newest first."""
        return [
            (str(item.get_attribute("data-rule")), int(item.get_attribute("data-step") or -1),
             item.inner_text())
            for item in panel.locator(tid("studio-finding")).all()
        ]  # fmt: skip

    def click_finding(self, panel: Locator, rule: str, step: int) -> None:
        panel.locator(f'{tid("studio-finding")}[data-rule="{rule}"][data-step="{step}"]').click()

    def debugger_chart(self, panel: Locator) -> Locator:
        return panel.locator(tid("studio-debugger-chart"))

    def chart_markers(self, chart: Locator) -> list[float]:
        """The steps a chart marks with a dashed line (a finding's)."""
        text = chart.first.get_attribute("data-markers") or ""
        return [float(x) for x in text.split(",") if x]

    def heatmap(self, panel: Locator) -> Locator:
        return panel.locator(tid("studio-debugger-heatmap"))

    def heatmap_drawn(self, heatmap: Locator) -> dict[str, Any]:
        """What plotly drew of a heatmap (waited for): its steps, bins, x range and marked step."""
        plot = heatmap.locator(".jp-Studio-heatmap-plot[data-drawn]")
        plot.wait_for(state="attached")
        return dict(
            plot.evaluate(
                """node => ({
  steps: node.data[0].x.length,
  bins: node.data[0].y.length,
  range: node._fullLayout.xaxis.range,
  marker: (node.layout.shapes || []).map(s => s.x0),
  cells: node.querySelectorAll('.hm image, .heatmaplayer image').length
})"""
            )
        )

    def alerts(self, sidebar: Locator) -> Locator:
        """The sidebar's Alerts section, once its first check answered."""
        section = sidebar.locator(f'{tid("studio-alerts")}[data-loaded="true"]')
        section.wait_for(state="visible")
        return section

    def alert_items(self, sidebar: Locator) -> list[tuple[str, str, int]]:
        """(rule, run id, step) of each alert listed, the newest first."""
        return [
            (str(item.get_attribute("data-rule")), str(item.get_attribute("data-run-id")),
             int(item.get_attribute("data-step") or -1))
            for item in sidebar.locator(tid("studio-alert")).all()
        ]  # fmt: skip

    def click_alert(self, sidebar: Locator, rule: str, run_id: str) -> None:
        sidebar.locator(
            f'{tid("studio-alert")}[data-rule="{rule}"][data-run-id="{run_id}"]'
        ).first.click()
