"""The page object of the browser tests: every selector and every way of driving Studio's UI.

Tests talk to `StudioPage` ("open the experiment", "sort by metrics.loss", "read the rows");
only this module knows the data-testid contract of the panels and how JupyterLab is driven
(`window.jupyterapp`, exposed by `--LabApp.expose_app_in_browser=True`).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Error, Locator, Page


from tests.browser.page_automl import AutoMLPage
from tests.browser.page_charts import ChartsPage
from tests.browser.page_debugger import DebuggerPage
from tests.browser.page_evaluation import EvaluationPage
from tests.browser.page_jobs import JobsPage
from tests.browser.page_registry import RegistryPage
from tests.browser.page_shell import ShellPage
from tests.browser.page_support import (
    _COLOURS_JS,
    _DRAWN_POINTS_JS,
    _UPLOT_JS,
    CHROMIUM,
    CHROMIUM_ARGS,
    DARK_THEME,
    LIGHT_THEME,
    README_SCREENSHOTS,
    SCREENSHOTS_ENV,
    TIMEOUT_MS,
    ConsoleEntry,
    Sel,
    StudioTimeout,
    _luminance,
    format_number,
    luminance,
    panel_selector,
    poll,
    screenshots_dir,
    tid,
)

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "DARK_THEME",
    "LIGHT_THEME",
    "README_SCREENSHOTS",
    "SCREENSHOTS_ENV",
    "TIMEOUT_MS",
    "ConsoleEntry",
    "Sel",
    "StudioPage",
    "StudioTimeout",
    "format_number",
    "luminance",
    "panel_selector",
    "poll",
    "screenshots_dir",
    "tid",
]


class StudioPage(
    ShellPage, ChartsPage, DebuggerPage, JobsPage, RegistryPage, EvaluationPage, AutoMLPage
):
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
