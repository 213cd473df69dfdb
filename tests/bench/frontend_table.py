"""The runs-table figures of bench_frontend.py, for one experiment of N runs, timed inside the
page (performance.now(), animation frames): first rows, a server-side sort, scrolling to the end
and to random places, and the JavaScript heap once scrolled (Chrome's Runtime.getHeapUsage after
a forced garbage collection, through the DevTools protocol).

`timed` and `close_panel` are the page plumbing the other figures share.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness import BenchError, Row, median
from workload import progress

from tests.browser.pages import Sel, StudioPage

if TYPE_CHECKING:
    from playwright.sync_api import CDPSession, Page

TARGET_OPEN_MS = 1000.0
TARGET_SORT_MS = 300.0
SORT_COLUMN = "metrics.accuracy"
TIMEOUT_MS = 30_000
JUMPS = 20
PLACEHOLDER = '[data-testid="studio-run-placeholder"]'

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
# The runs the panel's model holds in memory (the panel, or the content of its MainAreaWidget).
_RUNS_HELD = """
widgetId => {
  for (const w of window.jupyterapp.shell.widgets('main')) {
    const panel = w.id === widgetId ? w : w.content && w.content.id === widgetId ? w.content : null;
    if (panel && panel.model) { return panel.model.loadedRuns.length; }
  }
  return -1;
}
"""


def timed(page: Page, start: str, done: str, arg: object) -> float:
    """Milliseconds from the JavaScript `start` (a function body over `arg`) to the first
    animation frame where `done` returns true."""
    return float(page.evaluate(_TIMED, [start, done, arg, TIMEOUT_MS]))


def close_panel(page: Page, widget_id: str) -> None:
    if not page.evaluate(_CLOSE, widget_id):
        raise BenchError(f"No panel {widget_id} to close.")
    page.wait_for_function("id => !document.getElementById(id)", arg=widget_id)


def heap_mb(cdp: CDPSession) -> float:
    """The JavaScript heap in use after a full garbage collection, in MB."""
    cdp.send("HeapProfiler.collectGarbage")
    return float(cdp.send("Runtime.getHeapUsage")["usedSize"]) / 1e6


@dataclass(frozen=True)
class Table:
    """One experiment's table as the figures see it."""

    experiment_id: int
    runs: int
    # The run each sort state ("", "asc", "desc") puts first, and the last run unsorted.
    firsts: dict[str, str]
    last: str

    @property
    def widget_id(self) -> str:
        return f"studio-experiment-{self.experiment_id}"

    def selector(self, inner: str) -> str:
        return f'[id="{self.widget_id}"] {inner}'


def open_table(page: Page, table: Table) -> float:
    start = "window.jupyterapp.commands.execute('studio:open-experiment', {experimentId: arg.id});"
    done = (
        "const row = document.querySelector(arg.row);"
        "return !!row && row.getBoundingClientRect().height > 0;"
    )
    return timed(page, start, done, {"id": table.experiment_id, "row": table.selector(Sel.RUN_ROW)})


def figure_open(page: Page, table: Table, repeats: int) -> list[float]:
    """Timings of opening the runs table, the first one cold; the last panel stays open."""
    timings = []
    for attempt in range(repeats + 1):
        timings.append(open_table(page, table))
        progress(f"{table.runs:,} runs: open #{attempt}: {timings[-1]:.0f} ms")
        if attempt < repeats:
            close_panel(page, table.widget_id)
    return timings


def figure_sort(studio_page: StudioPage, table: Table, repeats: int) -> list[float]:
    """Timings of clicks on the metric's header that end sorted (asc or desc): from the click
    to the first row being the run the server puts first in that order."""
    panel = studio_page.experiment_panel(table.experiment_id)
    studio_page.show_column(panel, SORT_COLUMN)
    header = table.selector(f'{Sel.COLUMN_HEADER}[data-column="{SORT_COLUMN}"]')
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
    while len(timings) < repeats:
        if clicks > repeats * 3 + 3:
            raise BenchError(f"{clicks} clicks on {SORT_COLUMN} gave {len(timings)} sorts.")
        clicks += 1
        state = studio_page.page.locator(header).get_attribute("data-sort") or ""
        arg = {"header": header, "row": table.selector(Sel.RUN_ROW), "firsts": table.firsts}
        elapsed = timed(studio_page.page, start, done, arg)
        now = studio_page.page.locator(header).get_attribute("data-sort") or ""
        if now in ("asc", "desc"):
            timings.append(elapsed)
            progress(f"{table.runs:,} runs: sort {state or 'none'} -> {now}: {elapsed:.0f} ms")
    return timings


def figure_scroll_to_end(page: Page, table: Table, repeats: int) -> list[float]:
    """Timings of a jump of the scrollbar to the end, to the last run's row drawn; each on a
    freshly opened panel (newest first), so that the last page is read from the server."""
    start = "const t = document.querySelector(arg.table); t.scrollTop = t.scrollHeight;"
    done = (
        "const rows = document.querySelectorAll(arg.rows);"
        "const last = rows[rows.length - 1];"
        "return !!last && last.getAttribute('data-run-id') === arg.last"
        " && last.getBoundingClientRect().height > 0;"
    )
    arg = {
        "table": table.selector(".jp-Studio-runsTable"),
        "rows": table.selector(Sel.RUN_ROW),
        "last": table.last,
    }
    timings = []
    for attempt in range(repeats):
        close_panel(page, table.widget_id)
        open_table(page, table)
        timings.append(timed(page, start, done, arg))
        progress(f"{table.runs:,} runs: scroll to the end #{attempt}: {timings[-1]:.0f} ms")
    return timings


def figure_jumps(page: Page, table: Table) -> list[float]:
    """Timings of jumps of the scrollbar to random places, to rows drawn in view and no
    placeholder left there."""
    start = (
        "const t = document.querySelector(arg.table);"
        "t.scrollTop = (t.scrollHeight - t.clientHeight) * arg.fraction;"
        "arg.target = t.scrollTop;"
    )
    done = (
        "const t = document.querySelector(arg.table);"
        "const box = t.getBoundingClientRect();"
        "const seen = el => { const r = el.getBoundingClientRect();"
        "  return r.bottom > box.top + r.height && r.top < box.bottom; };"
        "const rows = Array.from(t.querySelectorAll(arg.rows)).filter(seen);"
        "const holes = Array.from(t.querySelectorAll(arg.placeholders)).filter(seen);"
        "return rows.length > 0 && holes.length === 0;"
    )
    rng = random.Random(7)
    timings = []
    for _ in range(JUMPS):
        arg = {
            "table": table.selector(".jp-Studio-runsTable"),
            "rows": Sel.RUN_ROW,
            "placeholders": PLACEHOLDER,
            "fraction": rng.random(),
        }
        timings.append(timed(page, start, done, arg))
    progress(f"{table.runs:,} runs: {JUMPS} jumps, median {median(timings):.0f} ms")
    return timings


def table_rows(studio_page: StudioPage, cdp: CDPSession, table: Table, repeats: int) -> list[Row]:
    """Every runs-table figure for one table; its panel is closed at the end."""
    page = studio_page.page
    opens = figure_open(page, table, repeats)
    panel = studio_page.experiment_panel(table.experiment_id)
    shown = studio_page.wait_runs_count(panel, table.runs)
    rows_in_dom = len(studio_page.row_ids(panel))
    sorts = figure_sort(studio_page, table, repeats)
    scrolls = figure_scroll_to_end(page, table, max(3, repeats // 2))
    jumps = figure_jumps(page, table)
    # Back to the end, as the heap figure says.
    start = "const t = document.querySelector(arg); t.scrollTop = t.scrollHeight;"
    done = f"return document.querySelectorAll('{table.selector(PLACEHOLDER)}').length === 0;"
    timed(page, start, done, table.selector(".jp-Studio-runsTable"))
    heap = heap_mb(cdp)
    held = int(page.evaluate(_RUNS_HELD, table.widget_id))
    close_panel(page, table.widget_id)
    heap_closed = heap_mb(cdp)
    size = f"{table.runs:,} runs"
    return [
        Row(
            f"open experiment, {size}: first rows (warm)",
            "ms",
            median(opens[1:]),
            None,
            higher_is_better=False,
            target=TARGET_OPEN_MS,
            notes=[
                "From commands.execute('studio:open-experiment') to the first animation frame "
                "in which a row of the runs table is laid out; median of "
                f"{len(opens) - 1} opens after the first (the first: {opens[0]:.0f} ms), each "
                f"panel disposed before the next. The table then says {shown:,} runs and holds "
                f"{rows_in_dom} row elements."
            ],
        ),
        Row(
            f"sort by a metric, {size}: re-render",
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
            f"scroll to the end, {size}: last row drawn",
            "ms",
            median(scrolls),
            None,
            higher_is_better=False,
            notes=[
                "The scrollbar (which spans every run from the first page on) set to its end, to "
                "the first animation frame in which the last row is the oldest run: its page read "
                f"by offset. Median of {len(scrolls)}, each on a newly opened panel; "
                f"max {max(scrolls):.0f} ms."
            ],
        ),
        Row(
            f"  jump to a random place, {size}: rows drawn",
            "ms",
            median(jumps),
            None,
            higher_is_better=False,
            notes=[
                f"{JUMPS} jumps of the scrollbar to random places, each to the first animation "
                f"frame with no placeholder row in view; median, max {max(jumps):.0f} ms."
            ],
        ),
        Row(
            f"JS heap after scrolling, {size}",
            "MB",
            heap,
            None,
            higher_is_better=False,
            notes=[
                f"Runtime.getHeapUsage after a forced garbage collection, the panel open and "
                f"scrolled to the end after the {JUMPS} jumps: the table holds {held:,} runs in "
                f"memory (pages near the view, at most 10 of 100). {heap_closed:.1f} MB once "
                "the panel is closed."
            ],
        ),
    ]
