"""The page object's evaluation parts: the run panel's Evaluation tab (the choice of
evaluations, the metrics beside the baseline with threshold badges, the folds, the figures as
plotly drew them) and the Datasets table of a run's overview."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page


from tests.browser.page_support import poll, tid

# What plotly drew in a figure's div: its SVG, the traces of each kind, its background and
# title's colours, and any error text plotly wrote instead of a chart.
_FIGURE_JS = """gd => {
  const svg = gd.querySelector('.main-svg');
  const title = gd.querySelector('.gtitle');
  return {
    drawn: gd.dataset.drawn === 'true' && svg !== null,
    heatmaps: gd.querySelectorAll('.hm image').length,
    lines: gd.querySelectorAll('.scatterlayer .trace .lines path').length,
    points: gd.querySelectorAll('.scatterlayer .trace .points path').length,
    bars: gd.querySelectorAll('.barlayer .trace .point').length,
    paper: svg ? getComputedStyle(svg).backgroundColor : '',
    title: title ? title.textContent : '',
    titleColour: title ? getComputedStyle(title).fill : '',
    types: (gd._fullData || []).map(trace => trace.type)
  };
}"""


class EvaluationPage:
    """A part of `StudioPage` (tests/browser/pages.py), which mixes it in."""

    page: Page

    if TYPE_CHECKING:

        def open_run(self, run_id: str) -> Locator: ...

    def open_evaluation(self, run_id: str) -> Locator:
        """Open the run's panel on its Evaluation tab; the panel, once the tab has loaded."""
        panel = self.open_run(run_id)
        panel.locator(tid("studio-run-tab-evaluation")).click()
        panel.locator(
            f"{tid('studio-evaluation')}, {tid('studio-evaluation-empty')}"
        ).first.wait_for(state="visible")
        return panel

    def scroll_to_evaluation_top(self, panel: Locator) -> None:
        """Scroll the tab back to its choice of evaluations and its tables."""
        panel.locator(tid("studio-evaluation-label")).first.evaluate(
            "node => node.scrollIntoView({block: 'center'})"
        )

    def evaluation_labels(self, panel: Locator) -> dict[str, bool]:
        """Each evaluation's label, the newest first, and whether it is the one shown."""
        return {
            str(button.get_attribute("data-label")): button.get_attribute("aria-selected") == "true"
            for button in panel.locator(tid("studio-evaluation-label")).all()
        }

    def choose_evaluation(self, panel: Locator, label: str) -> None:
        panel.locator(f'{tid("studio-evaluation-label")}[data-label="{label}"]').click()
        poll(
            lambda: self.evaluation_labels(panel).get(label),
            bool,
            f"the {label} evaluation shown",
            10,
        )

    def evaluation_metrics(self, panel: Locator) -> dict[str, dict[str, str]]:
        """metric -> {"model", "std", "baseline", "threshold"}: each column's text as shown."""
        rows = panel.locator(f"{tid('studio-evaluation-metrics')} tbody tr")
        table: dict[str, dict[str, str]] = {}
        for row in rows.all():
            cells = row.locator("td")
            table[str(row.get_attribute("data-metric"))] = {
                str(cell.get_attribute("data-column")): cell.inner_text().strip()
                for cell in cells.all()
            }
        return table

    def threshold_badges(self, panel: Locator) -> dict[str, bool]:
        """metric -> whether its threshold's badge says it passed."""
        badges: dict[str, bool] = {}
        for row in panel.locator(f"{tid('studio-evaluation-metrics')} tbody tr").all():
            badge = row.locator(tid("studio-evaluation-threshold"))
            if badge.count():
                badges[str(row.get_attribute("data-metric"))] = (
                    badge.get_attribute("data-passed") == "true"
                )
        return badges

    def evaluation_verdict(self, panel: Locator) -> bool | None:
        """Whether every threshold passed, as the tab's badge says; None without one."""
        badge = panel.locator(tid("studio-evaluation-passed"))
        return None if badge.count() == 0 else badge.get_attribute("data-passed") == "true"

    def evaluation_folds(self, panel: Locator) -> list[str]:
        """The fold column of the folds table."""
        rows = panel.locator(f"{tid('studio-evaluation-folds')} tbody tr")
        return [str(row.get_attribute("data-fold")) for row in rows.all()]

    def evaluation_figures(
        self, panel: Locator, names: list[str], paper: str | None = None
    ) -> dict[str, dict[str, Any]]:
        """name -> what plotly drew for it (`_FIGURE_JS`), once each of `names` is drawn (on
        `paper`, when given: a figure out of sight draws a new theme once scrolled to)."""
        figures: dict[str, dict[str, Any]] = {}
        for name in names:
            figure = panel.locator(f'{tid("studio-evaluation-figure")}[data-figure="{name}"]')
            figure.scroll_into_view_if_needed()
            figures[name] = poll(
                lambda figure=figure: figure.evaluate(_FIGURE_JS),  # type: ignore[misc]
                lambda drawn: bool(drawn["drawn"]) and paper in (None, drawn["paper"]),
                f"the {name} figure drawn",
                20,
            )
        return figures

    def figure_names(self, panel: Locator) -> list[str]:
        return [
            str(figure.get_attribute("data-figure"))
            for figure in panel.locator(tid("studio-evaluation-figure")).all()
        ]

    def datasets(self, panel: Locator) -> list[list[str]]:
        """The overview's Datasets table: name, context, shape, digest per row (once the run
        has loaded and the table shows)."""
        panel.locator(tid("studio-datasets")).wait_for(state="visible")
        rows = panel.locator(f"{tid('studio-datasets')} tbody tr")
        return [
            [cell.inner_text().strip() for cell in row.locator("th, td").all()]
            for row in rows.all()
        ]
