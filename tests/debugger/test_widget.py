"""The notebook widget: its state after records and findings, its text summary (what a
papermill run keeps), the button's MIME bundle, the terminal's lines, and no ipywidgets unless
something is shown in a notebook.

The widget is displayed through a real IPython shell whose display publisher is captured
(`capture_output`), which is what a kernel's publisher receives.
"""

from __future__ import annotations

import math
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

import studio
from studio.debugger.record import StepRecord
from studio.debugger.rules.base import Rule
from studio.debugger.session import DebugSession
from studio.debugger.stats import STATS
from studio.debugger.widget import (
    MIME_TYPE,
    NotebookDisplay,
    TerminalDisplay,
    open_button_bundle,
    show,
)
from studio.debugger.widget_view import (
    SPARKLINE_POINTS,
    DebuggerView,
    Sparkline,
    render_text,
    sparkline_svg,
)

if TYPE_CHECKING:
    from studio.debugger.entities import Finding, RuleState

ROOT = Path(__file__).resolve().parents[2]


class LossAbove(Rule):
    collections = ("losses",)

    def __init__(self, limit: float, **options: Any) -> None:
        super().__init__(limit=limit, **options)
        self.limit = limit

    def observe(self, record: StepRecord) -> list[Finding]:
        if "losses/loss" in record and record.stat("losses/loss", "mean") > self.limit:
            return [self.finding(record, ("losses/loss",), f"The loss is above {self.limit}.")]
        return []


class NeverFires(Rule):
    modes = ("predict",)


class KeptSink:
    """A session's sink that keeps what it is given (the widget never reads the store)."""

    def __init__(self) -> None:
        self.writes: list[tuple[StepRecord | None, Sequence[Finding], Sequence[RuleState]]] = []

    def write(
        self, record: StepRecord | None, findings: Sequence[Finding], states: Sequence[RuleState]
    ) -> None:
        self.writes.append((record, findings, states))

    def flush(self, timeout: float | None = None) -> None:
        pass

    def close(self) -> None:
        pass


def step_record(
    step: int, loss: float, gradient_l2: tuple[float, float] = (3.0, 4.0), mode: str = "train"
) -> StepRecord:
    stats = np.zeros((3, len(STATS)))
    stats[0, STATS.index("mean")] = loss
    stats[1:, STATS.index("l2")] = gradient_l2
    tensors = ("losses/loss", "gradients/fc1.weight", "gradients/fc2.weight")
    return StepRecord(step, mode, int(time.time() * 1000), tensors, stats)


@pytest.fixture
def shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    from IPython.core.interactiveshell import InteractiveShell

    yield InteractiveShell.instance()
    InteractiveShell.clear_instance()


@pytest.fixture
def run(studio_home: Path) -> Iterator[studio.Run]:
    with studio.start_run(experiment="widget", tracking_uri=str(studio_home)) as run:
        yield run


def test_the_widget_shows_rules_findings_step_interval_and_the_open_button(
    shell: Any, run: studio.Run
) -> None:
    from IPython.utils.capture import capture_output

    session = DebugSession(
        run, rules=[LossAbove(5.0, actions="stop"), NeverFires()], sink=KeptSink(), display=False
    )
    with capture_output() as captured:
        display = NotebookDisplay(session, min_interval_s=0.0, summary_interval_s=0.0)
        for step, loss in ((0, 2.0), (10, 1.5), (20, 9.0), (30, 12.0)):
            session.submit(step_record(step, loss))
        session.submit(step_record(3, 1.0, mode="eval"))  # steps count per mode
        display.close()

    html = display.html.value
    assert f"run {run.id[:8]} · step 30 (every 10 steps)" in html
    assert "LossAbove: firing" in html
    assert "NeverFires: not evaluated" in html
    assert "LossAbove at step 20: The loss is above 5.0." in html
    assert "LossAbove at step 30" in html
    assert "Training stopped by a rule." in html
    assert html.count("<polyline") == 2  # the loss's sparkline and the gradient norm's
    assert "gradient norm <" not in html
    assert "gradient norm 5</div>" in html

    # The button opens the panel at the latest finding's step.
    (button,) = display.button.outputs
    assert button["data"][MIME_TYPE] == {"run_id": run.id, "step": 30, "tensor": "losses/loss"}

    # One display, then its updates: findings at 20 and 30, the close. Each keeps the widget
    # view beside a text summary under one display id.
    first, *updates = captured.outputs
    assert [output.update for output in captured.outputs] == [False, True, True, True]
    model_id = first.data["application/vnd.jupyter.widget-view+json"]["model_id"]
    assert model_id == display.box.model_id
    text = updates[-1].data["text/plain"]
    assert text.splitlines()[0] == f"Studio debugger · run {run.id[:8]} · step 30 (every 10 steps)"
    assert "  firing        LossAbove" in text
    assert "  not evaluated NeverFires" in text
    assert "Findings: 2" in text
    assert "  LossAbove at step 20: The loss is above 5.0." in text
    assert "Training stopped by a rule." in text
    assert "loss 12 · gradient norm 5" in text


def test_updates_between_findings_are_throttled_then_caught_up(shell: Any) -> None:
    from IPython.utils.capture import capture_output

    session = DebugSession(rules=[LossAbove(100.0)], display=False)
    with capture_output():
        display = NotebookDisplay(session, min_interval_s=0.2)
        for step in range(50):
            session.submit(step_record(step, 1.0))
        shown_at_once = display.html.value
        time.sleep(0.5)
    assert "step 49" not in shown_at_once  # 50 records in far less than 0.2 s: not all drawn
    assert "step 49 (every 1 steps)" in display.html.value  # the trailing render caught up
    assert "LossAbove: ok" in display.html.value


def test_text_summaries_are_throttled_and_the_last_one_is_complete(shell: Any) -> None:
    from IPython.utils.capture import capture_output

    session = DebugSession(rules=[LossAbove(5.0)], display=False)
    with capture_output() as captured:
        display = NotebookDisplay(session, min_interval_s=0.0, summary_interval_s=30.0)
        for step in range(30):
            session.submit(step_record(step, 9.0))  # a finding at every step
        display.close()
    _shown, *updates = captured.outputs
    assert len(updates) == 2  # the first finding's, then the close's: not one per finding
    assert "Findings: 30" in updates[-1].data["text/plain"]
    assert "Findings: 30" in display.html.value  # the widget itself is never held back


def test_the_gradient_norm_says_when_a_gradient_is_not_finite() -> None:
    view = DebuggerView()
    record = step_record(0, 1.0)
    record.stats[2, STATS.index("inf")] = 3.0  # gradients/fc2.weight
    view.update(record, (), (), stopped=False)
    record = step_record(1, 1.0)
    record.stats[1, STATS.index("nan")] = 1.0
    view.update(record, (), (), stopped=False)
    assert view.gradient_norm.values[0] == math.inf
    assert math.isnan(view.gradient_norm.values[1])
    assert "gradient norm nan" in render_text(view)


def test_a_session_in_a_terminal_prints_one_line_per_finding(
    capsys: pytest.CaptureFixture[str],
) -> None:
    session = DebugSession(rules=[LossAbove(5.0)])
    for step, loss in ((0, 1.0), (1, 7.0), (2, 8.0)):
        session.submit(step_record(step, loss))
    session.submit(step_record(0, 9.0, mode="eval"))
    session.close()
    assert capsys.readouterr().out.splitlines() == [
        "Studio debugger: LossAbove at step 1: The loss is above 5.0.",
        "Studio debugger: LossAbove at step 2: The loss is above 5.0.",
        "Studio debugger: LossAbove at step 0 (eval): The loss is above 5.0.",
    ]


def test_without_ipywidgets_a_notebook_session_prints_its_findings(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # as if it were not installed
    session = DebugSession(rules=[LossAbove(5.0)], display=False)
    assert isinstance(show(session, notebook=True), TerminalDisplay)
    session.submit(step_record(3, 8.0))
    assert "Studio debugger: LossAbove at step 3" in capsys.readouterr().out


def test_the_open_button_bundle_has_a_text_fallback() -> None:
    assert open_button_bundle("abc", 12) == {
        MIME_TYPE: {"run_id": "abc", "step": 12, "tensor": None},
        "text/plain": "Studio debugger: run abc at step 12 (open it from Studio's sidebar)",
    }


def test_sparklines_stay_bounded_and_skip_non_finite_values() -> None:
    line = Sparkline()
    for step in range(10 * SPARKLINE_POINTS):
        line.add(step, float(step))
    assert SPARKLINE_POINTS // 2 <= len(line.values) <= SPARKLINE_POINTS
    assert line.steps[0] == 0
    assert line.steps[-1] > 9 * SPARKLINE_POINTS
    svg = sparkline_svg([1.0, float("nan"), 3.0, float("inf")])
    assert svg.count(",") == 2  # two finite points drawn


@pytest.mark.parametrize("display", ["False", "True"])
def test_no_ipywidgets_outside_a_notebook(display: str) -> None:
    code = (
        "import sys\n"
        "from studio.debugger.session import DebugSession\n"
        f"DebugSession(rules=[], display={display}).close()\n"
        "assert 'ipywidgets' not in sys.modules and 'IPython' not in sys.modules\n"
        "assert 'sqlalchemy' not in sys.modules and 'tornado' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-W", "error", "-c", code], check=True, cwd=ROOT, timeout=60)


@pytest.mark.parametrize("display", [True, False])
def test_a_torch_hook_shows_its_findings_unless_told_not_to(
    display: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    import torch

    from studio.debugger.torch_hook import TorchHook

    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    with TorchHook(model, optimizer, every=1, rules=[LossAbove(5.0)], display=display) as hook:
        for _ in range(3):
            optimizer.zero_grad()
            loss = (model(torch.ones(4, 2)) ** 2).sum() + 9.0
            loss.backward()
            hook.record_loss(loss)
            optimizer.step()
    assert hook.findings
    printed = capsys.readouterr().out
    assert ("Studio debugger: LossAbove at step 0" in printed) is display
