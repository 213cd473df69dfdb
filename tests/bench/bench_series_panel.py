"""The run panel over long series in headless Chromium: issue 8's panel figure.

    python tests/bench/bench_series_panel.py [--json figures.json] [--quick] [--repeats N] [--keep]

One finished run with 10 metrics of 1,000,000 points each (written straight into the series
store, 200,000 points a transaction), served by a real JupyterLab. Timed inside the page
(performance.now(), animation frames, as bench_frontend.py does): from executing
'studio:open-run' to the first frame in which every metric chart in view has drawn its line
(uPlot's instance on the chart has drawn a range of a series with points), the charts below the
fold being drawn only once scrolled to. Then a zoom: from a drag over 200 steps of the first
chart to that chart drawing every point of them.

Everything lives in one temporary folder, removed at the end. The script fails (non-zero exit)
only when something breaks; a missed target is reported in the table. See README.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from harness import (
    REPO_ROOT,
    BenchError,
    Row,
    Sandbox,
    machine_info,
    median,
    render_table,
    write_json,
)
from workload import progress

if str(REPO_ROOT) not in sys.path:  # tests.browser is imported from the checkout
    sys.path.insert(0, str(REPO_ROOT))

from frontend_table import close_panel, timed

import studio
from tests.browser.lab import LabServer, running_lab
from tests.browser.pages import CHROMIUM, CHROMIUM_ARGS, StudioPage
from tests.browser.seed import seed_series_run

if TYPE_CHECKING:
    from playwright.sync_api import Page

TARGET_PANEL_MS = 500.0
ZOOM_STEPS = 200


@dataclass(frozen=True)
class Sizes:
    metrics: int = 10
    points: int = 1_000_000
    repeats: int = 10

    @classmethod
    def quick(cls) -> Sizes:
        return cls(metrics=3, points=100_000, repeats=3)


def seed(home: Path, sizes: Sizes) -> str:
    """The run; each metric a noisy decaying curve of its own, one point a step."""
    steps = np.arange(sizes.points, dtype=np.int64)
    stamps = 1_700_000_000_000 + steps * 37
    rng = np.random.default_rng(8)
    decay = np.exp(-steps / (sizes.points / 3))
    metrics = {
        f"metric_{index:02d}": (steps, stamps, decay + rng.normal(0, 0.05, sizes.points))
        for index in range(sizes.metrics)
    }
    return seed_series_run(home, "series-panel", "ten-long-metrics", metrics)


# The charts of the panel whose card is in the window, each drawn by uPlot: its instance on
# the chart's plot div has drawn a range (`idxs`) of a line that has points.
_IN_VIEW = """
const panel = document.getElementById(arg.widgetId);
const cards = panel ? Array.from(panel.querySelectorAll('.jp-Studio-chartCard')) : [];
const seen = cards.filter(card => {
  const box = card.getBoundingClientRect();
  return box.width > 0 && box.bottom > 0 && box.top < window.innerHeight;
});
const drawn = card => {
  const plot = card.querySelector('.jp-Studio-metricChart-plot');
  const u = plot && plot.__uplot;
  const line = u && u.series[1];
  return !!line && !!line.idxs && u.data[1].some(v => v != null);
};
"""
_ALL_DRAWN = _IN_VIEW + "return seen.length > 0 && seen.every(drawn);"
_ALL_LOADED = """arg => {
  const panel = document.getElementById(arg.widgetId);
  return !!panel && panel.querySelectorAll('.jp-Studio-metricChart').length > 0
    && !panel.querySelector('.jp-Studio-chartPlaceholder');
}"""
_COUNT = _IN_VIEW + (
    "return [seen.length, seen.filter(drawn).map(card => card.querySelector("
    "'.jp-Studio-metricChart-plot').__uplot.data[0].length)];"
)


def figure_open(page: Page, run_id: str, repeats: int) -> tuple[list[float], int, list[int]]:
    """Timings of opening the run up to the charts in view drawn; how many were in view and
    the points each drew."""
    widget_id = f"studio-run-{run_id}"
    start = "window.jupyterapp.commands.execute('studio:open-run', {runId: arg.runId});"
    timings: list[float] = []
    in_view, points = 0, []
    for attempt in range(repeats + 1):
        arg = {"runId": run_id, "widgetId": widget_id}
        timings.append(timed(page, start, _ALL_DRAWN, arg))
        in_view, points = page.evaluate(f"arg => {{ {_COUNT} }}", arg)
        progress(f"open #{attempt}: {timings[-1]:.0f} ms, {in_view} charts in view, {points}")
        if attempt < repeats:
            # Every history loaded before the panel closes: the next open starts on a quiet
            # server, not behind the requests of this one's charts below the fold.
            page.wait_for_function(_ALL_LOADED, arg=arg)
            close_panel(page, widget_id)
    return timings, int(in_view), [int(n) for n in points]


def figure_zoom(studio_page: StudioPage, run_id: str, sizes: Sizes) -> tuple[float, int]:
    """Milliseconds from the end of a drag over ZOOM_STEPS steps of the first chart to that
    chart drawing every point of them; the points drawn."""
    panel = studio_page.run_panel(run_id)
    chart = studio_page.chart(panel, "metric_00")
    centre = sizes.points // 2
    # The same two drags as a user narrowing in: a wide one, then ZOOM_STEPS of it.
    studio_page.drag_chart_x(chart, centre - 10_000, centre + 10_000)
    studio_page.wait_chart_view(chart, lambda v: v["zoomed"] and not v["pending"], "a zoom")
    started = time.perf_counter()
    studio_page.drag_chart_x(chart, centre - ZOOM_STEPS // 2, centre + ZOOM_STEPS // 2)
    view = studio_page.wait_chart_view(
        chart, lambda v: v["zoomed"] and not v["downsampled"] and not v["pending"], "every point"
    )
    return (time.perf_counter() - started) * 1000, int(view["points"])


def measure(lab: LabServer, home: Path, run_id: str, sizes: Sizes) -> tuple[list[Row], str]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1440, "height": 900})
            page = context.new_page()
            studio_page = StudioPage(page, lab.url, lab.token, home)
            studio_page.open_lab("bench")
            timings, in_view, points = figure_open(page, run_id, sizes.repeats)
            zoom_ms, zoom_points = figure_zoom(studio_page, run_id, sizes)
            errors = studio_page.studio_console_errors()
            if errors:
                raise BenchError("Studio logged console errors:\n" + "\n".join(errors))
            version = browser.version
        finally:
            browser.close()
    label = f"{sizes.metrics} metrics x {sizes.points:,} points"
    rows = [
        Row(
            f"run panel, {label}: charts in view drawn (warm)",
            "ms",
            median(timings[1:]),
            None,
            higher_is_better=False,
            target=TARGET_PANEL_MS,
            notes=[
                "From commands.execute('studio:open-run') to the first animation frame in which "
                f"each of the {in_view} charts in the 1440x900 window has drawn its line "
                f"({', '.join(map(str, points))} points, downsampled by the server); median of "
                f"{len(timings) - 1} opens after the first."
            ],
        ),
        Row(
            "  the first open (cold)",
            "ms",
            timings[0],
            None,
            higher_is_better=False,
            target=TARGET_PANEL_MS,
            notes=["The first run panel of the session: includes loading the chart's code."],
        ),
        Row(
            f"  zoom to {ZOOM_STEPS} steps: every point drawn",
            "ms",
            zoom_ms,
            None,
            higher_is_better=False,
            notes=[
                f"From the mouse released over {ZOOM_STEPS} steps of a zoomed chart to its note "
                f"saying every point ({zoom_points} drawn), polled from Python."
            ],
        ),
    ]
    return rows, version


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--quick", action="store_true", help="3 metrics of 100,000: a smoke run")
    parser.add_argument("--repeats", type=int, help="timed opens after the first")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    json_path = args.json.resolve() if args.json else None
    sizes = Sizes.quick() if args.quick else Sizes()
    if args.repeats:
        sizes = Sizes(sizes.metrics, sizes.points, args.repeats)
    if not Path(CHROMIUM).exists():
        raise BenchError(f"No {CHROMIUM}: apt-get install -y chromium")

    started = time.perf_counter()
    with Sandbox(keep=args.keep) as sandbox:
        base = sandbox.fresh("lab")
        home = base / "studio-home"
        seed_started = time.perf_counter()
        run_id = seed(home, sizes)
        progress(
            f"seeded {sizes.metrics} x {sizes.points:,} points in "
            f"{time.perf_counter() - seed_started:.0f}s"
        )
        with running_lab(base, home) as lab:
            rows, chromium = measure(lab, home, run_id, sizes)
    duration = time.perf_counter() - started
    info = machine_info(
        {
            "studio": studio.__version__,
            "chromium": chromium,
            "quick": str(args.quick),
            "duration_s": f"{duration:.0f}",
        }
    )
    print(
        f"\nStudio {studio.__version__} run panel in headless Chromium {chromium}; "
        f"{info['cpus']} CPUs, Python {info['python']}; {duration:.0f}s"
        f"{' (--quick: sizes too small to judge targets)' if args.quick else ''}"
    )
    print(render_table(rows))
    missed = [row.figure.strip() for row in rows if row.passed is False]
    print(f"\nTargets missed: {', '.join(missed)}" if missed else "\nAll targets met.")
    if json_path is not None:
        write_json(json_path, rows, info)
        print(f"Figures written to {json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
