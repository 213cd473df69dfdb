"""The page object's debugger parts: notebooks and the debugger widget, the run panel's
Debugger tab, the sidebar's Alerts."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page


from tests.browser.page_support import (
    tid,
)


class DebuggerPage:
    """A part of `StudioPage` (tests/browser/pages.py), which mixes it in."""

    page: Page
    base_url: str
    token: str
    screenshots: Path

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
