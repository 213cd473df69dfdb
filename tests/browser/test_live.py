"""Live refresh: a run logged to while the panels are open shows up, grows and finishes there.

The test makes its own experiment through the REST API (as a notebook logging over REST
would) and deletes it at the end, so the seeded store the other tests compare with is left
as it was.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.pages import poll

if TYPE_CHECKING:
    from tests.browser.lab import LabServer
    from tests.browser.pages import StudioPage

# Panels refresh every 5 s by default (schema/plugin.json): two refreshes and some slack.
REFRESH_S = 15


@pytest.fixture
def live_run(lab: LabServer) -> Iterator[dict[str, Any]]:
    """A RUNNING run with one `loss` point, in an experiment of its own, deleted afterwards."""
    status, experiment = lab.api("POST", "experiments", {"name": "live-refresh"})
    assert status == 201, experiment
    try:
        status, run = lab.api(
            "POST",
            "runs",
            {
                "experiment_id": experiment["id"],
                "name": "still-training",
                "metrics": [{"key": "loss", "value": 1.0, "step": 0}],
            },
        )
        assert status == 201, run
        yield run
    finally:
        status, answer = lab.api("DELETE", f"experiments/{experiment['id']}")
        assert status in (200, 204), answer


def log_losses(lab: LabServer, run_id: str, steps: range) -> None:
    metrics = [{"key": "loss", "value": 1 / (step + 1), "step": step} for step in steps]
    status, answer = lab.api("POST", f"runs/{run_id}/batch", {"metrics": metrics})
    assert status in (200, 204), answer


def test_a_running_run_refreshes_live(
    studio: StudioPage, lab: LabServer, live_run: dict[str, Any]
) -> None:
    run_id = live_run["id"]
    sidebar = studio.open_sidebar()
    poll(lambda: studio.running_run_ids(sidebar), lambda ids: run_id in ids, "running runs", 15)

    # The runs table picks up new points and keeps the selection.
    table = studio.open_experiment(live_run["experiment_id"])
    studio.select_runs(table, [run_id])
    log_losses(lab, run_id, range(1, 4))
    poll(
        lambda: studio.cell_text(table, run_id, "metrics.loss"),
        lambda text: text.startswith("0.25"),
        "the loss cell of the running run",
        REFRESH_S,
    )
    assert studio.is_selected(table, run_id)

    # The run's chart grows.
    panel = studio.open_run(run_id)
    studio.wait_chart_points(panel, "loss", 4)
    log_losses(lab, run_id, range(4, 8))
    studio.wait_chart_points(panel, "loss", 8, timeout_s=REFRESH_S)
    studio.screenshot("live_run")

    # A chart the user zoomed keeps its range when new points come; a double click zooms out.
    chart = studio.chart(panel, "loss")
    studio.zoom_chart(chart, 0.2, 0.6)
    zoomed = poll(lambda: studio.chart_x_range(chart), lambda r: r[1] < 7, "the zoomed x range", 5)
    # The zoomed view holds the points of its range (fetched for it); the tick that brings steps
    # 8 and 9 reaches the panel (the chart's header shows step 9's loss) and the range stays.
    log_losses(lab, run_id, range(8, 10))
    poll(
        lambda: studio.chart_stats(panel, "loss")["last"],
        lambda last: float(last) == 0.1,
        "the last loss in the chart's header",
        REFRESH_S,
    )
    assert studio.chart_x_range(chart) == zoomed
    assert studio.chart_view(chart)["zoomed"]
    chart.locator(".u-over").dblclick()
    poll(lambda: studio.chart_x_range(chart), lambda r: r == (0, 9), "the whole x range", 5)
    assert studio.chart_x_values(chart) == 10

    # It finishes: the run says so and leaves the running-runs section.
    now = int(time.time() * 1000)
    status, answer = lab.api("PATCH", f"runs/{run_id}", {"status": "FINISHED", "end_time": now})
    assert status == 200, answer
    poll(
        lambda: studio.run_status(panel),
        lambda text: "FINISHED" in text.upper(),
        "status",
        REFRESH_S,
    )
    poll(
        lambda: studio.running_run_ids(sidebar),
        lambda ids: run_id not in ids,
        "running runs after the run finished",
        REFRESH_S,
    )
