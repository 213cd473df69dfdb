"""What the browser tests' page objects share: Chromium's settings, screenshots, selectors,
waiting, and the scripts that read charts in the page."""

from __future__ import annotations

import math
import os
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

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
