"""The debugger panel: a run with a fired rule shows its finding, jumps to its step on the charts
(the statistic's chart and the histograms' heatmap), and a rule firing while JupyterLab is open
raises a notification whose "Open" opens the panel at that step.

Each test makes its own experiment through the REST API and deletes it at the end, so the
seeded store the other tests compare with is left as it was. The debugger's data is written
as a training writes it, with `DebuggerService` over the store the session's JupyterLab serves:
the statistics and histograms of real arrays (`numpy_stats`, `numpy_histograms`), findings and
rule states.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from studio.debugger.entities import Finding, RuleState, RuleStatus
from studio.debugger.service import TENSOR_KIND, DebuggerService
from studio.debugger.stats import STATS, Bins, numpy_histograms, numpy_stats
from tests.browser.pages import DARK_THEME, LIGHT_THEME, poll
from tests.browser.seed import service_for

if TYPE_CHECKING:
    from tests.browser.lab import LabServer
    from tests.browser.pages import StudioPage

TENSORS = (
    "weights/fc1.weight",
    "gradients/fc1.weight",
    "weights/fc2.weight",
    "gradients/fc2.weight",
)
BINS = Bins(-0.5, 0.5, 24)
EVERY = 10
# The alerts poll every 5 s by default (schema/plugin.json), the panels refresh as often.
NOTIFY_S = 20


def debugger_for(lab_base: Path) -> DebuggerService:
    return DebuggerService(service_for(lab_base / "studio-home").store.db)


def write_steps(
    debugger: DebuggerService, run_id: str, steps: range, nan_from: int | None = None
) -> None:
    """Statistics of every tensor and histograms of the gradients at `steps`, as a training whose
    gradients grow would record them; from `nan_from` on, gradients/fc2.weight holds NaNs."""
    rng = np.random.default_rng(steps.start)
    table = np.empty((len(steps), len(TENSORS), len(STATS)))
    histograms: dict[str, Any] = {}
    for i, step in enumerate(steps):
        growth = 0.02 * 1.03 ** (step / EVERY)
        arrays = [
            rng.normal(0, 0.3, (16, 8)),
            rng.normal(0, growth, (16, 8)),
            rng.normal(0, 0.3, (4, 16)),
            rng.normal(0, growth * 2, (4, 16)),
        ]
        if nan_from is not None and step >= nan_from:
            arrays[3].reshape(-1)[:12] = np.nan
        table[i] = numpy_stats(arrays)
        counts = numpy_histograms([arrays[1], arrays[3]], BINS)
        for name, row in zip(("gradients/fc1.weight", "gradients/fc2.weight"), counts, strict=True):
            histograms.setdefault(name, []).append(row)
    timestamps = np.full(len(steps), int(1e12), dtype=np.int64)
    debugger.save_tensor_stats(run_id, "train", list(steps), list(TENSORS), table)
    points: dict[str, Any] = {}
    step_array = np.asarray(list(steps), dtype=np.int64)
    for name, rows in histograms.items():
        counts = np.asarray(rows)
        for b in range(BINS.count):
            points[f"train/{name}/hist[{b}]"] = (step_array, timestamps, counts[:, b])
        if steps.start == 0:
            for e, edge in enumerate(BINS.edges):
                points[f"train/{name}/edge[{e}]"] = (step_array[:1], timestamps[:1], [edge])
    debugger.series.append(run_id, TENSOR_KIND, points)


def exploding(step: int) -> Finding:
    return Finding(
        rule="ExplodingTensor",
        step=step,
        tensors=("gradients/fc2.weight",),
        message="gradients/fc2.weight has 12 NaN values",
        values={"nan": 12},
    )


def rule_states(exploding_status: RuleStatus, last_step: int) -> list[RuleState]:
    return [
        RuleState("ExplodingTensor", exploding_status, {"only_nan": False}, last_step),
        RuleState("VanishingGradient", RuleStatus.OK, {"threshold": 1e-7}, last_step),
        RuleState("StalledTraining", RuleStatus.NOT_EVALUATED, {"threshold": 1800}),
    ]


@contextmanager
def experiment_run(lab: LabServer, experiment: str, run: str) -> Iterator[dict[str, Any]]:
    """A RUNNING run in an experiment of its own, deleted afterwards."""
    status, created = lab.api("POST", "experiments", {"name": experiment})
    assert status == 201, created
    try:
        status, answer = lab.api("POST", "runs", {"experiment_id": created["id"], "name": run})
        assert status == 201, answer
        yield answer
    finally:
        status, deleted = lab.api("DELETE", f"experiments/{created['id']}")
        assert status in (200, 204), deleted


@pytest.fixture
def fired_run(lab: LabServer, lab_base: Path) -> Iterator[dict[str, Any]]:
    """A finished run whose gradients turned NaN at step 150: ExplodingTensor fired there,
    WeightUpdateRatio earlier at step 60."""
    with experiment_run(lab, "debugger-fired", "exploding-grads") as run:
        debugger = debugger_for(lab_base)
        write_steps(debugger, run["id"], range(0, 300, EVERY), nan_from=150)
        debugger.record_findings(
            run["id"],
            [
                Finding("WeightUpdateRatio", 60, ("weights/fc1.weight",), "update ratio 0.9"),
                exploding(150),
            ],
        )
        states = rule_states(RuleStatus.FIRING, 290)
        states.append(RuleState("WeightUpdateRatio", RuleStatus.FIRING, {}, 290))
        debugger.save_rule_states(run["id"], states)
        status, answer = lab.api("PATCH", f"runs/{run['id']}", {"status": "FINISHED"})
        assert status == 200, answer
        yield run


def test_a_fired_rule_shows_its_finding_at_its_step(
    studio: StudioPage, fired_run: dict[str, Any]
) -> None:
    assert studio.has_command("studio:open-debugger")
    panel = studio.open_debugger(fired_run["id"])
    assert studio.debugger_tab_selected(panel)
    # The newest finding's tensor is charted first; the tensors are grouped by module.
    assert studio.tensor_items(panel) == {
        "gradients/fc1.weight": False,
        "weights/fc1.weight": False,
        "gradients/fc2.weight": True,
        "weights/fc2.weight": False,
    }
    assert studio.rule_states(panel) == {
        "ExplodingTensor": "firing",
        "VanishingGradient": "ok",
        "WeightUpdateRatio": "firing",
        "StalledTraining": "not_evaluated",
    }
    findings = studio.findings(panel)
    assert [(rule, step) for rule, step, _ in findings] == [
        ("ExplodingTensor", 150),
        ("WeightUpdateRatio", 60),
    ]
    assert "gradients/fc2.weight has 12 NaN values" in findings[0][2]
    chart = studio.debugger_chart(panel)
    assert studio.chart_drawn(chart)
    assert studio.chart_x_range(chart) == (0, 290)

    # Jump to the finding's step: its statistic, a mark at step 150, zoomed around it.
    studio.click_finding(panel, "ExplodingTensor", 150)
    poll(lambda: studio.chart_markers(chart), lambda m: m == [150], "the marked step", 10)
    assert chart.get_attribute("data-metric") == "nan"
    studio.wait_chart_view(chart, lambda v: v["zoomed"] and not v["pending"], "the zoom")
    low, high = poll(
        lambda: studio.chart_x_range(chart), lambda r: r[1] < 290, "the zoomed range", 10
    )
    assert 120 <= low < 150 < high <= 180, (low, high)
    assert studio.chart_lines(chart)["lines"]["gradients/fc2.weight"] == [0, 0, 12, 12, 12]

    heatmap = studio.heatmap(panel)
    assert heatmap.get_attribute("data-tensor") == "gradients/fc2.weight"
    drawn = poll(
        lambda: studio.heatmap_drawn(heatmap),
        lambda d: d["marker"] == [150] and d["range"][1] < 290 and d["steps"] < 30,
        "the heatmap at the finding",
        10,
    )
    # The histograms of the zoomed steps (130 to 170), not those of the whole run.
    assert drawn["steps"] == 5, drawn
    assert drawn["bins"] == BINS.count, drawn
    studio.screenshot("debugger_finding")

    studio.change_theme(DARK_THEME)
    try:
        assert studio.is_dark(panel)
        assert studio.chart_is_dark(chart)
        studio.heatmap_drawn(heatmap)
        studio.screenshot("dark_debugger_finding")
    finally:
        studio.change_theme(LIGHT_THEME)


@pytest.fixture
def training_run(lab: LabServer, lab_base: Path) -> Iterator[dict[str, Any]]:
    """A RUNNING run with 10 steps recorded and one old finding (stored before the page opens:
    listed in the Alerts, never notified)."""
    with experiment_run(lab, "debugger-live", "still-training") as run:
        debugger = debugger_for(lab_base)
        write_steps(debugger, run["id"], range(0, 100, EVERY))
        debugger.record_findings(
            run["id"], [Finding("LossNotDecreasing", 20, ("losses/loss",), "loss flat")]
        )
        debugger.save_rule_states(run["id"], rule_states(RuleStatus.OK, 90))
        yield run


def test_a_rule_firing_while_the_run_trains_notifies(
    training_run: dict[str, Any], studio: StudioPage, lab_base: Path
) -> None:
    run_id = training_run["id"]
    sidebar = studio.open_sidebar()
    alerts = studio.alerts(sidebar)
    assert ("LossNotDecreasing", run_id, 20) in studio.alert_items(alerts)

    def train_on() -> None:
        debugger = debugger_for(lab_base)
        write_steps(debugger, run_id, range(100, 160, EVERY), nan_from=120)
        debugger.record_findings(run_id, [exploding(120)])
        debugger.save_rule_states(run_id, rule_states(RuleStatus.FIRING, 150))

    trainer = threading.Thread(target=train_on)
    trainer.start()
    trainer.join(timeout=30)

    toast = studio.notification("ExplodingTensor fired on run still-training at step 120")
    toast.wait_for(state="visible", timeout=NOTIFY_S * 1000)
    assert studio.notification("LossNotDecreasing").count() == 0
    poll(
        lambda: studio.alert_items(alerts)[0],
        lambda first: first == ("ExplodingTensor", run_id, 120),
        "the new alert on top",
        NOTIFY_S,
    )
    studio.screenshot("debugger_notification")

    toast.get_by_role("button", name="Open").click()
    panel = studio.run_panel(run_id)
    panel.wait_for(state="visible")
    chart = studio.debugger_chart(panel)
    poll(lambda: studio.chart_markers(chart), lambda m: m == [120], "the marked step", 10)
    assert studio.debugger_tab_selected(panel)
    assert panel.locator('[data-testid="studio-debugger"]').get_attribute("data-live") == "true"
    studio.wait_chart_view(chart, lambda v: v["zoomed"] and not v["pending"], "the zoom")
    low, high = studio.chart_x_range(chart)
    assert low <= 120 <= high, (low, high)

    # Live: steps recorded now show up on the chart (zoomed out) while the run trains.
    studio.double_click_chart(chart)
    write_steps(debugger_for(lab_base), run_id, range(160, 200, EVERY), nan_from=120)
    poll(lambda: studio.chart_lines(chart)["x"][-1], lambda x: x == 190, "step 190", NOTIFY_S)
    studio.page.mouse.move(0, 0)  # no hover box in the screenshot
    studio.screenshot("debugger_live")

    # An alert of the sidebar opens its run's Debugger tab at its step.
    studio.click_alert(alerts, "LossNotDecreasing", run_id)
    poll(lambda: studio.chart_markers(chart), lambda m: m == [20], "the alert's step", 10)
