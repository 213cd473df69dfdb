"""A live comparison of 20 running runs x 10 metrics in headless Chromium: the redraw figures of
issue 7.

    python tests/bench/bench_compare_live.py [--json figures.json] [--quick] [--repeats N] [--keep]

Against a real JupyterLab (tests/browser/lab.py) over a store of 20 RUNNING runs, each with 10
metrics of POINTS points, a compare panel of the 20 runs is opened and timed inside the page
(performance.now(), uPlot's `draw` hook on each chart, animation frames):
1. a live tick: every run logs more points to every metric, then the model's live refresh runs
   (the one the poll runs: `refreshRunning()`); timed from the model having the new data to
   the frame after the last chart's redraw, and in all, requests included;
2. one step of the smoothing slider: from the input event to the frame after the last chart's
   redraw.
Charts out of sight wait until they are seen (useUPlot), so each figure is measured twice: in
an ordinary 1440x900 window (the charts in sight redraw) and in a window tall enough for all
10 charts to be in sight at once (every chart redraws).

The panels' own poll is set to an hour (user settings), so that only the timed refreshes run.
Everything lives in one temporary folder, removed at the end. The script fails only when
something breaks; a missed target is reported in the table. See README.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from workload import progress, series

if str(REPO_ROOT) not in sys.path:  # tests.browser is imported from the checkout
    sys.path.insert(0, str(REPO_ROOT))

import studio
from studio.tracking.entities import RunStatus
from tests.browser.lab import LabServer, running_lab
from tests.browser.pages import CHROMIUM, CHROMIUM_ARGS, StudioPage
from tests.browser.seed import service_for

if TYPE_CHECKING:
    from playwright.sync_api import Page

TARGET_REDRAW_MS = 50.0
RUNS = 20
METRICS = 10
TIMEOUT_MS = 30_000
TALL_VIEWPORT = {"width": 1440, "height": 4000}
WINDOW_VIEWPORT = {"width": 1440, "height": 900}
# The compare panel's charts, and its model (the panel may be wrapped by a MainAreaWidget).
CHART = '[data-testid="studio-compare-chart"] .jp-Studio-metricChart-plot'
_FIND_MODEL = """
widgetId => {
  const app = window.jupyterapp;
  for (const widget of app.shell.widgets('main')) {
    if (widget.id !== widgetId) continue;
    for (const candidate of [widget, widget.content]) {
      const model = candidate && (candidate.model || candidate._model);
      if (model) { window.__studioBenchModel = model; return true; }
    }
  }
  return false;
}
"""
# Adds a hook to uPlot's `draw` on every metric chart (the instance each chart keeps as
# `__uplot`; a chart that makes a new instance, a change of its series, is watched through its
# div's children); `start` (a function body) triggers the redraw and returns a promise; resolves
# with [ms to the frame after the last redraw, charts redrawn, ms of `start` itself, ms from
# the start to that frame] once no chart redrew for `quiet` ms.
_TIMED_REDRAW = """
async ([selector, start, quiet, timeout]) => {
  const nodes = Array.from(document.querySelectorAll(selector));
  const redrawn = new Set();
  let painted = 0;
  const hooked = [];
  const hook = node => {
    const u = node.__uplot;
    if (!u || hooked.some(([plot]) => plot === u)) return;
    const onDraw = () => {
      redrawn.add(node);
      requestAnimationFrame(() => { painted = performance.now(); });
    };
    (u.hooks.draw = u.hooks.draw || []).push(onDraw);
    hooked.push([u, onDraw]);
  };
  nodes.forEach(hook);
  const observer = new MutationObserver(records => records.forEach(r => hook(r.target)));
  nodes.forEach(node => observer.observe(node, { childList: true }));
  try {
    const t0 = performance.now();
    const startFn = new Function(start);
    await startFn();
    const t1 = performance.now();
    const deadline = t0 + timeout;
    let seen = -1;
    let since = performance.now();
    while (true) {
      await new Promise(resolve => setTimeout(resolve, 20));
      const now = performance.now();
      if (painted !== seen) { seen = painted; since = now; }
      if (painted > 0 && now - since >= quiet) break;
      if (now > deadline) throw new Error('no chart redrew');
    }
    return [painted - t1, redrawn.size, t1 - t0, painted - t0];
  } finally {
    observer.disconnect();
    hooked.forEach(([u, onDraw]) => {
      const i = u.hooks.draw.indexOf(onDraw);
      if (i >= 0) u.hooks.draw.splice(i, 1);
    });
  }
}
"""
_TICK = "return window.__studioBenchModel.refreshRunning();"
_SMOOTH_STEP = """
const input = document.querySelector('[data-testid="studio-smoothing"]');
const next = (Number(input.value) + 0.01) % 0.99;
const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
setter.call(input, next.toFixed(2));
input.dispatchEvent(new Event('input', { bubbles: true }));
return Promise.resolve();
"""


@dataclass(frozen=True)
class Sizes:
    points: int = 1000
    step_points: int = 5
    repeats: int = 10

    @classmethod
    def quick(cls) -> Sizes:
        return cls(points=200, step_points=5, repeats=3)


@dataclass
class Seeded:
    experiment_id: int
    run_ids: list[str]
    keys: list[str]
    steps: int


def seed_running(home: Path, sizes: Sizes) -> Seeded:
    """20 RUNNING runs, each with 10 metrics of `sizes.points` points."""
    service = service_for(home)
    try:
        experiment_id = service.create_experiment("live-compare").id
        keys = [f"metric_{index:02d}" for index in range(METRICS)]
        start = int(time.time() * 1000) - sizes.points * 1000
        run_ids = []
        for index in range(RUNS):
            record = service.create_run(
                experiment_id,
                name=f"live-{index:02d}",
                params={"lr": 10 ** -(1 + index % 4), "seed": index},
                status=RunStatus.RUNNING,
                start_time=start,
            )
            points = [
                (key, value, step, start + step * 1000)
                for k, key in enumerate(keys)
                for step, value in enumerate(series(sizes.points, seed=index * METRICS + k))
            ]
            for offset in range(0, len(points), 10_000):
                service.log_batch(record.id, metrics=points[offset : offset + 10_000])
            run_ids.append(record.id)
        return Seeded(experiment_id, run_ids, keys, sizes.points)
    finally:
        service.store.db.dispose()


def log_step(home: Path, seeded: Seeded, sizes: Sizes) -> None:
    """Every run logs `sizes.step_points` more points to every metric (what a tick picks up)."""
    service = service_for(home)
    try:
        now = int(time.time() * 1000)
        first = seeded.steps
        seeded.steps += sizes.step_points
        for index, run_id in enumerate(seeded.run_ids):
            points = [
                (key, 1.0 / (step + index + k + 1), step, now)
                for k, key in enumerate(seeded.keys)
                for step in range(first, seeded.steps)
            ]
            service.log_batch(run_id, metrics=points)
    finally:
        service.store.db.dispose()


def quiet_settings(base: Path) -> None:
    """The panels' poll every hour: only the benchmark's own refreshes run."""
    folder = base / "user-settings" / "jupyter-studio"
    folder.mkdir(parents=True)
    (folder / "plugin.jupyterlab-settings").write_text(json.dumps({"refreshInterval": 3600}))


def timed_redraw(page: Page, start: str) -> tuple[float, int, float, float]:
    redraw, charts, trigger, total = page.evaluate(_TIMED_REDRAW, [CHART, start, 300, TIMEOUT_MS])
    return float(redraw), int(charts), float(trigger), float(total)


def open_compare(studio_page: StudioPage, seeded: Seeded) -> str:
    widget_id = f"studio-compare-{'_'.join(seeded.run_ids)}"
    compare = studio_page.compare_runs(seeded.run_ids)
    for key in seeded.keys:
        chart = studio_page.chart(compare, key, testid="studio-compare-chart")
        chart.wait_for(state="attached")
    # Every chart drawn once (each scrolled into sight), then the grid's top in view.
    for key in seeded.keys:
        chart = studio_page.chart(compare, key, testid="studio-compare-chart")
        chart.scroll_into_view_if_needed()
        studio_page.chart_points(compare, key, testid="studio-compare-chart")
    first = studio_page.chart(compare, seeded.keys[0], testid="studio-compare-chart")
    first.evaluate("node => node.scrollIntoView({block: 'start'})")
    if not studio_page.page.evaluate(_FIND_MODEL, widget_id):
        raise BenchError(f"No compare panel {widget_id} with a model in the shell.")
    return widget_id


def measure_view(
    studio_page: StudioPage, home: Path, seeded: Seeded, sizes: Sizes, label: str
) -> dict[str, list[tuple[float, int, float, float]]]:
    page = studio_page.page
    figures: dict[str, list[tuple[float, int, float, float]]] = {"tick": [], "smooth": []}
    for attempt in range(sizes.repeats + 1):
        log_step(home, seeded, sizes)
        result = timed_redraw(page, _TICK)
        progress(
            f"{label} tick #{attempt}: redraw {result[0]:.0f} ms of {result[1]} charts, "
            f"{result[3]:.0f} ms with the requests"
        )
        if attempt:  # the first one warms up
            figures["tick"].append(result)
    for attempt in range(sizes.repeats + 1):
        result = timed_redraw(page, _SMOOTH_STEP)
        progress(f"{label} smoothing step #{attempt}: {result[3]:.0f} ms, {result[1]} charts")
        if attempt:
            figures["smooth"].append(result)
    return figures


def measure(lab: LabServer, home: Path, seeded: Seeded, sizes: Sizes) -> tuple[list[Row], str]:
    from playwright.sync_api import sync_playwright

    views: dict[str, dict[str, list[tuple[float, int, float, float]]]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for label, viewport in (("window", WINDOW_VIEWPORT), ("tall", TALL_VIEWPORT)):
                context = browser.new_context(viewport=viewport)
                page = context.new_page()
                studio_page = StudioPage(page, lab.url, lab.token, home)
                studio_page.open_lab(f"bench-{label}")
                open_compare(studio_page, seeded)
                views[label] = measure_view(studio_page, home, seeded, sizes, label)
                errors = studio_page.studio_console_errors()
                if errors:
                    raise BenchError("Studio logged console errors:\n" + "\n".join(errors))
                context.close()
            version = browser.version
        finally:
            browser.close()

    def column(label: str, figure: str, index: int) -> list[float]:
        return [float(result[index]) for result in views[label][figure]]

    def charts(label: str, figure: str) -> str:
        counts = sorted({result[1] for result in views[label][figure]})
        return " or ".join(str(count) for count in counts)

    size = f"{RUNS} runs x {METRICS} metrics, {sizes.points:,}+ points each"
    rows = []
    for label, where in (
        ("window", "a 1440x900 window: the charts in sight"),
        ("tall", "a 1440x4000 window: all 10 charts in sight"),
    ):
        rows += [
            Row(
                f"live tick redraw, {size} ({label})",
                "ms",
                median(column(label, "tick", 0)),
                None,
                higher_is_better=False,
                target=TARGET_REDRAW_MS,
                notes=[
                    f"In {where}. Every run logged {sizes.step_points} more points to every "
                    "metric, then the model's live refresh ran; from the refresh having the "
                    "new data (its promise resolved) to the animation frame after the last "
                    f"chart's uPlot draw ({charts(label, 'tick')} charts redrawn); median "
                    f"of {sizes.repeats}, max {max(column(label, 'tick', 0)):.0f} ms."
                ],
            ),
            Row(
                "  the same tick, requests included",
                "ms",
                median(column(label, "tick", 3)),
                None,
                higher_is_better=False,
                notes=[
                    f"From calling refreshRunning() (20 runs and {RUNS * METRICS} histories "
                    "asked for, 6 at a time) to the same frame."
                ],
            ),
            Row(
                f"smoothing step redraw, {size} ({label})",
                "ms",
                median(column(label, "smooth", 3)),
                None,
                higher_is_better=False,
                target=TARGET_REDRAW_MS,
                notes=[
                    f"In {where}. From the slider's input event (one 0.01 step) to the "
                    f"animation frame after the last chart's uPlot draw "
                    f"({charts(label, 'smooth')} charts redrawn, no request); median of "
                    f"{sizes.repeats}, max {max(column(label, 'smooth', 3)):.0f} ms."
                ],
            ),
        ]
    return rows, version


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--quick", action="store_true", help="200 points per metric: a smoke run")
    parser.add_argument("--repeats", type=int, help="timed repeats of each figure")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    json_path: Path | None = args.json.resolve() if args.json else None
    sizes = Sizes.quick() if args.quick else Sizes()
    if args.repeats:
        sizes = Sizes(sizes.points, sizes.step_points, args.repeats)
    if not Path(CHROMIUM).exists():
        raise BenchError(f"No {CHROMIUM}: apt-get install -y chromium")

    started = time.perf_counter()
    with Sandbox(keep=args.keep) as sandbox:
        base = sandbox.fresh("lab")
        home = base / "studio-home"
        seed_started = time.perf_counter()
        seeded = seed_running(home, sizes)
        progress(
            f"seeded {RUNS} runs x {METRICS} metrics x {sizes.points} points "
            f"in {time.perf_counter() - seed_started:.0f}s"
        )
        quiet_settings(base)
        with running_lab(base, home) as lab:
            rows, chromium = measure(lab, home, seeded, sizes)
    duration = time.perf_counter() - started
    info: dict[str, Any] = machine_info(
        {
            "studio": studio.__version__,
            "chromium": chromium,
            "quick": str(args.quick),
            "duration_s": f"{duration:.0f}",
        }
    )
    print(
        f"\nStudio {studio.__version__}: a live compare panel in headless Chromium {chromium}; "
        f"{info['cpus']} CPUs; {duration:.0f}s"
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
