"""Studio's JupyterLab panels in headless Chromium: the performance figures of issue 3.

    python tests/bench/bench_frontend.py [--json figures.json] [--quick] [--repeats N] [--keep]

Three figures, timed inside the page (performance.now(), animation frames) against a real
JupyterLab serving a store of 10,000 finished runs:
1. from executing 'studio:open-experiment' to the first row of the runs table laid out;
2. from a click on a metric's column header to the rows in that order (sorted on the server);
3. from executing 'studio:open-run' to the chart of a 100,000-point metric drawn.

Everything lives in one temporary folder, removed at the end. The script fails (non-zero
exit) only when something breaks; missed targets are reported in the table. See README.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

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

import studio
from tests.browser.lab import LabServer, running_lab
from tests.browser.pages import CHROMIUM, CHROMIUM_ARGS, Sel, StudioPage
from tests.browser.seed import LONG_METRIC, seed_long_metric, seed_many, service_for

if TYPE_CHECKING:
    from playwright.sync_api import Page

# The targets.
TARGET_OPEN_MS = 1000.0
TARGET_SORT_MS = 300.0
TARGET_CHART_MS = 500.0
SORT_COLUMN = "metrics.accuracy"
TIMEOUT_MS = 30_000

# Resolves with the milliseconds from running `start()` to the first animation frame in
# which `done()` holds; rejects after TIMEOUT_MS.
_TIMED = """
async ([start, done, arg, timeout]) => {
  const startFn = new Function('arg', start);
  const doneFn = new Function('arg', done);
  const t0 = performance.now();
  startFn(arg);
  return await new Promise((resolve, reject) => {
    const check = () => {
      let ok = false;
      try { ok = doneFn(arg); } catch (e) { ok = false; }
      if (ok) { resolve(performance.now() - t0); return; }
      if (performance.now() - t0 > timeout) { reject(new Error('timed out: ' + done)); return; }
      requestAnimationFrame(check);
    };
    check();
  });
}
"""
_CLOSE = """
widgetId => {
  const app = window.jupyterapp;
  const found = Array.from(app.shell.widgets('main')).filter(
    w => w.id === widgetId || w.node.querySelector(`[id="${widgetId}"]`));
  found.forEach(w => w.dispose());
  return found.length;
}
"""


@dataclass(frozen=True)
class Sizes:
    runs: int = 10_000
    repeats: int = 10

    @classmethod
    def quick(cls) -> Sizes:
        return cls(runs=500, repeats=3)


def timed(page: Page, start: str, done: str, arg: object) -> float:
    """Milliseconds from the JavaScript `start` (a function body over `arg`) to the first
    animation frame where `done` returns true."""
    return float(page.evaluate(_TIMED, [start, done, arg, TIMEOUT_MS]))


def close_panel(page: Page, widget_id: str) -> None:
    if not page.evaluate(_CLOSE, widget_id):
        raise BenchError(f"No panel {widget_id} to close.")
    page.wait_for_function("id => !document.getElementById(id)", arg=widget_id)


def figure_open(page: Page, experiment_id: int, sizes: Sizes) -> list[float]:
    """Timings of opening the runs table, the first one cold; the last panel stays open."""
    widget_id = f"studio-experiment-{experiment_id}"
    row = f'[id="{widget_id}"] {Sel.RUN_ROW}'
    start = "window.jupyterapp.commands.execute('studio:open-experiment', {experimentId: arg.id});"
    done = (
        "const row = document.querySelector(arg.row);"
        "return !!row && row.getBoundingClientRect().height > 0;"
    )
    timings = []
    for attempt in range(sizes.repeats + 1):
        timings.append(timed(page, start, done, {"id": experiment_id, "row": row}))
        progress(f"open experiment #{attempt}: {timings[-1]:.0f} ms")
        if attempt < sizes.repeats:
            close_panel(page, widget_id)
    return timings


def figure_sort(
    studio_page: StudioPage, experiment_id: int, firsts: dict[str, str], sizes: Sizes
) -> list[float]:
    """Timings of clicks on the metric's header that end sorted (asc or desc): from the click
    to the first row being the run the server puts first in that order."""
    panel = studio_page.experiment_panel(experiment_id)
    studio_page.show_column(panel, SORT_COLUMN)
    header = (
        f'[id="studio-experiment-{experiment_id}"] {Sel.COLUMN_HEADER}[data-column="{SORT_COLUMN}"]'
    )
    row = f'[id="studio-experiment-{experiment_id}"] {Sel.RUN_ROW}'
    start = (
        "arg.before = document.querySelector(arg.header).getAttribute('data-sort');"
        "document.querySelector(arg.header).click();"
    )
    done = (
        "const sort = document.querySelector(arg.header).getAttribute('data-sort');"
        "if (sort === arg.before || !(sort in arg.firsts)) return false;"
        "const first = document.querySelector(arg.row);"
        "if (!first || first.getAttribute('data-run-id') !== arg.firsts[sort]) return false;"
        "arg.landed = sort; return true;"
    )
    timings: list[float] = []
    clicks = 0
    while len(timings) < sizes.repeats:
        if clicks > sizes.repeats * 3 + 3:
            raise BenchError(f"{clicks} clicks on {SORT_COLUMN} gave {len(timings)} sorts.")
        clicks += 1
        state = studio_page.page.locator(header).get_attribute("data-sort") or ""
        arg = {"header": header, "row": row, "firsts": firsts}
        elapsed = timed(studio_page.page, start, done, arg)
        now = studio_page.page.locator(header).get_attribute("data-sort") or ""
        if now in ("asc", "desc"):
            timings.append(elapsed)
            progress(f"sort {state or 'none'} -> {now}: {elapsed:.0f} ms")
    return timings


def figure_chart(page: Page, run_id: str, sizes: Sizes) -> tuple[list[float], int]:
    """Timings of opening the run up to its long metric's chart drawn; the points drawn."""
    widget_id = f"studio-run-{run_id}"
    chart = f'[id="{widget_id}"] {Sel.METRIC_CHART}[data-metric="{LONG_METRIC}"]'
    start = "window.jupyterapp.commands.execute('studio:open-run', {runId: arg.runId});"
    done = (
        "const chart = document.querySelector(arg.chart);"
        "if (!chart || !(Number(chart.getAttribute('data-points')) > 0)) return false;"
        "const line = chart.querySelector('.scatterlayer .trace path.js-line');"
        "return !!line && (line.getAttribute('d') || '').length > 0;"
    )
    timings = []
    points = 0
    for attempt in range(sizes.repeats + 1):
        timings.append(timed(page, start, done, {"runId": run_id, "chart": chart}))
        points = int(page.locator(chart).get_attribute("data-points") or 0)
        progress(f"run chart #{attempt}: {timings[-1]:.0f} ms, {points} points")
        if attempt < sizes.repeats:
            close_panel(page, widget_id)
    return timings, points


def sorted_firsts(home: Path, experiment_id: int, default_first: str) -> dict[str, str]:
    """The run each sort state puts first: by the server's own search."""
    service = service_for(home)
    try:
        firsts = {"": default_first}
        for direction in ("asc", "desc"):
            page = service.search_runs(
                [experiment_id], order_by=[f"{SORT_COLUMN} {direction}"], max_results=1
            )
            firsts[direction] = page.runs[0].id
        return firsts
    finally:
        service.store.db.dispose()


def measure(
    lab: LabServer, home: Path, experiment_id: int, run_id: str, sizes: Sizes
) -> tuple[list[Row], str]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1440, "height": 900})
            page = context.new_page()
            studio_page = StudioPage(page, lab.url, lab.token, home)
            studio_page.open_lab("bench")

            opens = figure_open(page, experiment_id, sizes)
            panel = studio_page.experiment_panel(experiment_id)
            shown = studio_page.wait_runs_count(panel, sizes.runs)
            default_first = studio_page.row_ids(panel)[0]
            rows_in_dom = len(studio_page.row_ids(panel))
            sorts = figure_sort(
                studio_page, experiment_id, sorted_firsts(home, experiment_id, default_first), sizes
            )
            charts, points = figure_chart(page, run_id, sizes)
            errors = studio_page.studio_console_errors()
            if errors:
                raise BenchError("Studio logged console errors:\n" + "\n".join(errors))
            version = browser.version
        finally:
            browser.close()

    rows = [
        Row(
            f"open experiment, {sizes.runs:,} runs: first rows (warm)",
            "ms",
            median(opens[1:]),
            None,
            higher_is_better=False,
            target=TARGET_OPEN_MS,
            notes=[
                "From commands.execute('studio:open-experiment') to the first animation frame "
                "in which a row of the runs table is laid out; median of "
                f"{len(opens) - 1} opens after the first, each panel disposed before the next. "
                f"The table then says {shown:,} runs and holds {rows_in_dom} row elements."
            ],
        ),
        Row(
            "  the first open (cold)",
            "ms",
            opens[0],
            None,
            higher_is_better=False,
            target=TARGET_OPEN_MS,
            notes=["The first open after JupyterLab loaded: includes loading the panel's code."],
        ),
        Row(
            f"sort by a metric, {sizes.runs:,} runs: re-render",
            "ms",
            median(sorts),
            None,
            higher_is_better=False,
            target=TARGET_SORT_MS,
            notes=[
                f"A click on the {SORT_COLUMN} header, to the first animation frame in which the "
                "first row is the run the server's own search puts first in the new order "
                f"(asc or desc; clicks that clear the sort are not timed); median of {len(sorts)}"
                f", max {max(sorts):.0f} ms."
            ],
        ),
        Row(
            "run chart, 100,000-point metric: drawn (warm)",
            "ms",
            median(charts[1:]),
            None,
            higher_is_better=False,
            target=TARGET_CHART_MS,
            notes=[
                "From commands.execute('studio:open-run') to the first animation frame in which "
                f"the {LONG_METRIC} chart has data-points set and plotly's line path drawn "
                f"({points} points, downsampled by the server from 100,000); median of "
                f"{len(charts) - 1} opens after the first."
            ],
        ),
        Row(
            "  the first run opened (cold)",
            "ms",
            charts[0],
            None,
            higher_is_better=False,
            target=TARGET_CHART_MS,
            notes=["The first run panel of the session: includes loading plotly.js."],
        ),
    ]
    return rows, version


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--quick", action="store_true", help="500 runs: a smoke run")
    parser.add_argument("--repeats", type=int, help="timed repeats of each figure")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    json_path = args.json.resolve() if args.json else None
    sizes = Sizes.quick() if args.quick else Sizes()
    if args.repeats:
        sizes = Sizes(sizes.runs, args.repeats)
    if not Path(CHROMIUM).exists():
        raise BenchError(f"No {CHROMIUM}: apt-get install -y chromium")

    started = time.perf_counter()
    with Sandbox(keep=args.keep) as sandbox:
        base = sandbox.fresh("lab")
        home = base / "studio-home"
        seed_started = time.perf_counter()
        experiment_id = seed_many(home, sizes.runs)
        run_id = seed_long_metric(home, experiment="long-metric")
        progress(f"seeded {sizes.runs:,} runs in {time.perf_counter() - seed_started:.0f}s")
        with running_lab(base, home) as lab:
            rows, chromium = measure(lab, home, experiment_id, run_id, sizes)
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
        f"\nStudio {studio.__version__} panels in headless Chromium {chromium}; {info['cpus']} "
        f"CPUs, Python {info['python']}; {duration:.0f}s"
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
