"""Studio's JupyterLab panels in headless Chromium: the performance figures of issues 3 and 7.

    python tests/bench/bench_frontend.py [--json figures.json] [--quick] [--repeats N] [--keep]

Timed inside the page (performance.now(), animation frames) against a real JupyterLab serving a
store of two experiments, of 10,000 and of 100,000 finished runs (written in bulk):
1. from executing 'studio:open-experiment' to the first row of the runs table laid out;
2. from a click on a metric's column header to the rows in that order (sorted on the server);
3. from a jump of the scrollbar to its end to the last run's row drawn, and to random places;
4. the JavaScript heap once scrolled (frontend_table.py has these table figures);
5. from executing 'studio:open-run' to the chart of a 100,000-point metric drawn.

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

from frontend_table import SORT_COLUMN, Table, close_panel, heap_mb, table_rows, timed

import studio
from tests.browser.lab import LabServer, running_lab
from tests.browser.pages import CHROMIUM, CHROMIUM_ARGS, Sel, StudioPage
from tests.browser.seed import LONG_METRIC, seed_long_metric, seed_many, service_for

if TYPE_CHECKING:
    from playwright.sync_api import Page

TARGET_CHART_MS = 500.0


@dataclass(frozen=True)
class Sizes:
    runs: tuple[int, ...] = (10_000, 100_000)
    repeats: int = 10

    @classmethod
    def quick(cls) -> Sizes:
        return cls(runs=(500, 5_000), repeats=3)


def figure_chart(page: Page, run_id: str, sizes: Sizes) -> tuple[list[float], int]:
    """Timings of opening the run up to its long metric's chart drawn; the points drawn."""
    widget_id = f"studio-run-{run_id}"
    chart = f'[id="{widget_id}"] {Sel.METRIC_CHART}[data-metric="{LONG_METRIC}"]'
    start = "window.jupyterapp.commands.execute('studio:open-run', {runId: arg.runId});"
    # uPlot's instance (kept on the chart's plot div) has drawn its line: the range it drew
    # (`idxs`) is set as it draws.
    drawn = (
        "const chart = document.querySelector(arg.chart);"
        "const plot = chart && chart.querySelector('.jp-Studio-metricChart-plot');"
        "const u = plot && plot.__uplot;"
        "const line = u && u.series[1];"
    )
    done = drawn + "return !!line && !!line.idxs && u.data[1].some(v => v != null);"
    count = drawn + "return line ? u.data[1].filter(v => v != null).length : 0;"
    timings = []
    points = 0
    for attempt in range(sizes.repeats + 1):
        timings.append(timed(page, start, done, {"runId": run_id, "chart": chart}))
        points = int(page.evaluate(f"arg => {{ {count} }}", {"chart": chart}))
        progress(f"run chart #{attempt}: {timings[-1]:.0f} ms, {points} points")
        if attempt < sizes.repeats:
            close_panel(page, widget_id)
    return timings, points


def table_of(home: Path, experiment_id: int, runs: int) -> Table:
    """The table as the server orders it: the run each sort state puts first, the last run."""
    service = service_for(home)
    try:
        first = service.search_runs([experiment_id], max_results=1).runs[0].id
        firsts = {"": first}
        for direction in ("asc", "desc"):
            page = service.search_runs(
                [experiment_id], order_by=[f"{SORT_COLUMN} {direction}"], max_results=1
            )
            firsts[direction] = page.runs[0].id
        last = service.search_runs([experiment_id], offset=runs - 1, max_results=1).runs[0].id
        return Table(experiment_id, runs, firsts, last)
    finally:
        service.store.db.dispose()


def measure(
    lab: LabServer, home: Path, tables: list[Table], run_id: str, sizes: Sizes
) -> tuple[list[Row], str]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1440, "height": 900})
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            studio_page = StudioPage(page, lab.url, lab.token, home)
            studio_page.open_lab("bench")
            baseline = heap_mb(cdp)
            rows: list[Row] = []
            for table in tables:
                rows += table_rows(studio_page, cdp, table, sizes.repeats)
            charts, points = figure_chart(page, run_id, sizes)
            errors = studio_page.studio_console_errors()
            if errors:
                raise BenchError("Studio logged console errors:\n" + "\n".join(errors))
            version = browser.version
        finally:
            browser.close()

    rows += [
        Row(
            "  JS heap before any panel",
            "MB",
            baseline,
            None,
            higher_is_better=False,
            notes=["The same measure once JupyterLab has loaded, before any Studio panel."],
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
                f"the {LONG_METRIC} chart's uPlot instance has drawn its line "
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
            notes=["The first run panel of the session: includes loading the chart's code."],
        ),
    ]
    return rows, version


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--quick", action="store_true", help="500 and 5,000 runs: a smoke run")
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
        tables = []
        for runs in sizes.runs:
            seed_started = time.perf_counter()
            experiment_id = seed_many(home, runs, f"bench-{runs}")
            progress(f"seeded {runs:,} runs in {time.perf_counter() - seed_started:.0f}s")
            tables.append(table_of(home, experiment_id, runs))
        run_id = seed_long_metric(home, experiment="long-metric")
        with running_lab(base, home) as lab:
            rows, chromium = measure(lab, home, tables, run_id, sizes)
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
