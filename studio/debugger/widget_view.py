"""What the notebook widget shows, and its two renderings: HTML for JupyterLab, plain text for
everywhere widgets are not rendered (a notebook saved by papermill, a terminal).

`DebuggerView` is the widget's state: the rules' states, the findings, the current step and
interval, and two sparklines (the training loss and the global gradient norm). It is updated
from the session's records on the training thread, so it only appends numbers; rendering
happens at most a few times a second (see `studio.debugger.widget`).

The standard library and numpy only: no IPython, no ipywidgets.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from studio.debugger.entities import Finding, RuleState, RuleStatus
from studio.debugger.record import collection_of

if TYPE_CHECKING:
    from studio.debugger.record import StepRecord

__all__ = [
    "DebuggerView",
    "Sparkline",
    "finding_line",
    "render_html",
    "render_text",
    "sparkline_svg",
]

FINDINGS_SHOWN = 5
"""How many of the latest findings the widget lists."""

SPARKLINE_POINTS = 120
"""The most points a sparkline keeps: past that it keeps every other one, and so on."""

_STATUS_LABEL = {
    RuleStatus.OK: "ok",
    RuleStatus.FIRING: "firing",
    RuleStatus.NOT_EVALUATED: "not evaluated",
}
# Badge colours: JupyterLab's theme variables, so that the dark theme works.
_STATUS_COLOUR = {
    RuleStatus.OK: "var(--jp-success-color1)",
    RuleStatus.FIRING: "var(--jp-error-color1)",
    RuleStatus.NOT_EVALUATED: "var(--jp-layout-color3)",
}


@dataclass
class Sparkline:
    """A bounded series over the whole training: when full, it halves its resolution."""

    steps: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    stride: int = 1
    _seen: int = 0

    def add(self, step: int, value: float) -> None:
        self._seen += 1
        if (self._seen - 1) % self.stride:
            return
        self.steps.append(step)
        self.values.append(value)
        if len(self.values) > SPARKLINE_POINTS:
            self.steps = self.steps[::2]
            self.values = self.values[::2]
            self.stride *= 2

    @property
    def last(self) -> float | None:
        return self.values[-1] if self.values else None


@dataclass
class DebuggerView:
    """Everything the widget shows (see the module)."""

    run_id: str | None = None
    step: int | None = None
    interval: int | None = None
    rules: list[RuleState] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    loss: Sparkline = field(default_factory=Sparkline)
    gradient_norm: Sparkline = field(default_factory=Sparkline)
    stopped: bool = False

    def update(
        self,
        record: StepRecord | None,
        findings: Sequence[Finding],
        rules: Sequence[RuleState],
        stopped: bool,
    ) -> None:
        """Take in one record (None: findings alone), its new findings and the rules' states."""
        self.findings.extend(findings)
        self.rules = list(rules)
        self.stopped = stopped
        if record is None or record.mode != "train":
            return
        if self.step is not None and record.step > self.step:
            self.interval = record.step - self.step
        self.step = record.step
        losses = list(record.in_collection("losses"))
        if losses:
            self.loss.add(record.step, record.stat(losses[0], "mean"))
        tensors = enumerate(record.tensors)
        gradients = [row for row, name in tensors if collection_of(name) == "gradients"]
        if gradients:
            self.gradient_norm.add(record.step, _global_norm(record, gradients))

    @property
    def latest_finding(self) -> Finding | None:
        """Where the panel opens: the latest finding (None before the first)."""
        return self.findings[-1] if self.findings else None


def _global_norm(record: StepRecord, rows: list[int]) -> float:
    """The L2 norm of these tensors together; NaN or infinite where one of them holds such
    values (the statistics' L2 norm counts finite values only)."""
    if record.column("nan")[rows].any():
        return math.nan
    if record.column("inf")[rows].any():
        return math.inf
    norms = record.column("l2")[rows]
    return math.sqrt(float((norms * norms).sum()))


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _where(view: DebuggerView) -> str:
    run = f"run {view.run_id[:8]}" if view.run_id else "no run (kept in memory)"
    step = "no step yet" if view.step is None else f"step {view.step}"
    every = f" (every {view.interval} steps)" if view.interval else ""
    return f"{run} · {step}{every}"


def finding_line(finding: Finding) -> str:
    """A finding in one line: rule, step (and mode, but for training), message."""
    # Steps are counted per mode: an eval step says so, or it would read as a training step.
    mode = "" if finding.mode == "train" else f" ({finding.mode})"
    return f"{finding.rule} at step {finding.step}{mode}: {finding.message}"


def render_text(view: DebuggerView) -> str:
    """The plain-text summary: rules, findings, the last loss and gradient norm."""
    lines = [f"Studio debugger · {_where(view)}"]
    if view.stopped:
        lines.append("Training stopped by a rule.")
    loss, norm = _number(view.loss.last), _number(view.gradient_norm.last)
    lines.append(f"loss {loss} · gradient norm {norm}")
    lines.append("Rules:" if view.rules else "Rules: none")
    lines += [f"  {_STATUS_LABEL[state.status]:<13} {state.rule}" for state in view.rules]
    lines.append(f"Findings: {len(view.findings)}")
    lines += [f"  {finding_line(finding)}" for finding in view.findings[-FINDINGS_SHOWN:]]
    return "\n".join(lines)


def sparkline_svg(values: Sequence[float], width: int = 160, height: int = 32) -> str:
    """An inline SVG polyline of the finite values (empty where there are fewer than two)."""
    points = [(index, value) for index, value in enumerate(values) if math.isfinite(value)]
    if len(points) < 2:
        return f'<svg width="{width}" height="{height}"></svg>'
    low = min(value for _, value in points)
    high = max(value for _, value in points)
    span = (high - low) or 1.0
    last = max(len(values) - 1, 1)
    coordinates = " ".join(
        f"{index / last * (width - 2) + 1:.1f},{(1 - (value - low) / span) * (height - 2) + 1:.1f}"
        for index, value in points
    )
    return (
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f'<polyline points="{coordinates}" style="fill: none; '
        f'stroke: var(--jp-brand-color1); stroke-width: 1.5"/></svg>'
    )


def _badge(state: RuleState) -> str:
    colour = _STATUS_COLOUR[state.status]
    label = _STATUS_LABEL[state.status]
    return (
        f'<span class="studio-DebuggerWidget-rule" data-status="{state.status.value}" '
        f'title="{html.escape(label)}" style="display: inline-block; margin: 0 4px 4px 0; '
        f"padding: 0 6px; border-radius: 8px; border: 1px solid {colour}; "
        f'color: var(--jp-ui-font-color1)">'
        f'<span style="color: {colour}">●</span> {html.escape(state.rule)}: {label}</span>'
    )


def _chart(title: str, line: Sparkline) -> str:
    return (
        f'<div class="studio-DebuggerWidget-chart" style="display: inline-block; '
        f'margin-right: 16px"><div style="color: var(--jp-ui-font-color2)">'
        f"{html.escape(title)} {_number(line.last)}</div>{sparkline_svg(line.values)}</div>"
    )


def render_html(view: DebuggerView) -> str:
    """The widget's HTML: where the run is, rule badges, the latest findings, sparklines."""
    findings = "".join(
        f'<li class="studio-DebuggerWidget-finding">{html.escape(finding_line(finding))}</li>'
        for finding in reversed(view.findings[-FINDINGS_SHOWN:])
    )
    stopped = (
        '<div style="color: var(--jp-error-color1)">Training stopped by a rule.</div>'
        if view.stopped
        else ""
    )
    return (
        '<div class="studio-DebuggerWidget" style="font-family: var(--jp-ui-font-family); '
        'font-size: var(--jp-ui-font-size1); color: var(--jp-ui-font-color1)">'
        f"<div><b>Studio debugger</b> · {html.escape(_where(view))}</div>{stopped}"
        f"<div>{''.join(_badge(state) for state in view.rules) or 'No rules.'}</div>"
        f"<div>{_chart('loss', view.loss)}{_chart('gradient norm', view.gradient_norm)}</div>"
        f"<div>Findings: {len(view.findings)}</div>"
        f'<ul style="margin: 0; padding-left: 20px">{findings}</ul></div>'
    )
