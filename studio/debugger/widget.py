"""The debugger live under its cell: a widget in a notebook, one line per finding in a terminal.

`show(session)` (which `DebugSession` calls unless `display=False`) picks the display:

- under an IPython kernel, `NotebookDisplay`: an ipywidgets HTML view (rule badges, the latest
  findings, sparklines of the loss and of the gradient norm, the run, step and interval) above
  an output holding the "Open in Studio debugger" button, an output of Studio's MIME type
  (`MIME_TYPE`) that the JupyterLab extension renders. The widget is displayed in a bundle
  beside a plain-text summary under one display id, so that where widgets are not rendered
  (a notebook run by papermill) the saved notebook still says what the rules found;
- elsewhere, `TerminalDisplay`, which prints one line per finding.

Both are session listeners, called on the training thread: they never raise into it (the
session logs a listener's failure), and the notebook view renders at most a few times a second,
with a trailing render on a timer so that the last step shown is the last one seen. ipywidgets
and IPython are imported only on the notebook path.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from studio.debugger.widget_view import DebuggerView, finding_line, render_html, render_text

if TYPE_CHECKING:
    from studio.debugger.entities import Finding
    from studio.debugger.record import StepRecord
    from studio.debugger.session import DebugSession

__all__ = [
    "MIME_TYPE",
    "NotebookDisplay",
    "TerminalDisplay",
    "in_kernel",
    "open_button_bundle",
    "show",
    "show_open_button",
]

MIME_TYPE = "application/vnd.studio.debugger+json"
"""The output the JupyterLab extension renders as a button that opens the debugger panel."""

MIN_UPDATE_INTERVAL_S = 0.25
"""At most four renders a second: a training loop can save far more often than that."""

SUMMARY_INTERVAL_S = 1.0
"""At most one rewrite of the text summary a second (JupyterLab redraws the widget each time)."""


def in_kernel() -> bool:
    """Whether this process is an IPython kernel (looked up without importing IPython)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and getattr(shell, "kernel", None) is not None


def open_button_bundle(
    run_id: str, step: int | None = None, tensor: str | None = None
) -> dict[str, Any]:
    """The MIME bundle of the button that opens run `run_id`'s debugger panel at `step`, on
    `tensor`'s chart (None: no step, or no tensor, in particular)."""
    where = "" if step is None else f" at step {step}"
    return {
        MIME_TYPE: {"run_id": run_id, "step": step, "tensor": tensor},
        "text/plain": f"Studio debugger: run {run_id}{where} (open it from Studio's sidebar)",
    }


def show_open_button(run_id: str, step: int | None = None, tensor: str | None = None) -> None:
    """Display the button that opens a run's debugger panel (at `step`, on `tensor`) under
    the cell."""
    from IPython.display import display

    display(open_button_bundle(run_id, step, tensor), raw=True)  # type: ignore[no-untyped-call]


def _logger() -> logging.Logger:
    return logging.getLogger("studio.debugger")


def _run_id(session: DebugSession) -> str | None:
    run_id = getattr(session.run, "id", None)
    return str(run_id) if run_id is not None else None


class TerminalDisplay:
    """One printed line per finding (where no notebook renders anything)."""

    def __init__(self, session: DebugSession) -> None:
        session.listeners.append(self)

    def __call__(
        self, session: DebugSession, record: StepRecord | None, findings: Sequence[Finding]
    ) -> None:
        for finding in findings:
            print(f"Studio debugger: {finding_line(finding)}")

    def close(self) -> None:
        """Nothing is pending: each line was printed as its finding came."""


class NotebookDisplay:
    """The live widget under the cell (see the module)."""

    def __init__(
        self,
        session: DebugSession,
        *,
        min_interval_s: float = MIN_UPDATE_INTERVAL_S,
        summary_interval_s: float = SUMMARY_INTERVAL_S,
    ) -> None:
        import ipywidgets  # type: ignore[import-untyped]
        from IPython.display import display

        self.view = DebuggerView(run_id=_run_id(session))
        self.view.update(None, session.findings, session.states(), session.should_stop)
        self.min_interval_s = min_interval_s
        self.summary_interval_s = summary_interval_s
        self.html = ipywidgets.HTML(value=render_html(self.view))
        self.button = ipywidgets.Output()
        self.box = ipywidgets.VBox([self.html, self.button])
        self.display_id = f"studio-debugger-{uuid.uuid4().hex}"
        self._lock = threading.Lock()
        self._last_render = self._last_summary = 0.0
        self._summary_pending = False
        self._button_step: int | None = None
        self._timer: threading.Timer | None = None
        self._show_button()
        display(self.bundle(), raw=True, display_id=self.display_id)  # type: ignore[no-untyped-call]
        session.listeners.append(self)

    def bundle(self) -> dict[str, Any]:
        """The widget's view beside its text summary (what papermill keeps)."""
        data = dict(self.box._repr_mimebundle_() or {})
        data["text/plain"] = render_text(self.view)
        return data

    def __call__(
        self, session: DebugSession, record: StepRecord | None, findings: Sequence[Finding]
    ) -> None:
        with self._lock:
            self.view.update(record, findings, session.states(), session.should_stop)
            self._summary_pending = self._summary_pending or bool(findings)
        if findings or time.monotonic() - self._last_render >= self.min_interval_s:
            self.render(summary=self._summary_wait() == 0.0)
        else:
            self._render_later(self.min_interval_s)
        wait = self._summary_wait()
        if wait is not None:
            self._render_later(wait)

    def render(self, *, summary: bool = False) -> None:
        """Show the current state now; `summary` also rewrites the text beside the widget.
        That makes JupyterLab draw the widget anew, so it is done only after findings, at
        most once per `summary_interval_s`, and on close."""
        from IPython.display import update_display

        with self._lock:
            now = time.monotonic()
            self._last_render = now
            self.html.value = render_html(self.view)
            self._show_button()
            if summary:
                self._last_summary = now
                self._summary_pending = False
                update_display(  # type: ignore[no-untyped-call]
                    self.bundle(), raw=True, display_id=self.display_id
                )

    def close(self) -> None:
        """Render the final state, summary included (the session calls this on close)."""
        with self._lock:
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
        self.render(summary=True)

    def _render_later(self, delay: float) -> None:
        with self._lock:
            if self._timer is not None:
                return
            self._timer = threading.Timer(delay, self._trailing_render)
            self._timer.daemon = True
            self._timer.start()

    def _trailing_render(self) -> None:
        with self._lock:
            self._timer = None
        try:
            self.render(summary=self._summary_wait() == 0.0)
        except Exception:  # on the timer's thread: nobody else would hear of it
            _logger().exception("The debugger's widget could not be updated.")
            return
        wait = self._summary_wait()
        if wait is not None:
            self._render_later(wait)

    def _summary_wait(self) -> float | None:
        """Seconds until the pending summary may be rewritten (None: none is pending)."""
        if not self._summary_pending:
            return None
        return max(0.0, self.summary_interval_s - (time.monotonic() - self._last_summary))

    def _show_button(self) -> None:
        """Point the button at the latest finding's step and first tensor; it changes only
        when a finding comes, never at each step (it would flicker)."""
        run_id, finding = self.view.run_id, self.view.latest_finding
        step = finding.step if finding else None
        if run_id is None or (self.button.outputs and step == self._button_step):
            return
        self._button_step = step
        tensor = finding.tensors[0] if finding and finding.tensors else None
        bundle = open_button_bundle(run_id, step, tensor)
        output = {"output_type": "display_data", "data": bundle}
        self.button.outputs = ({**output, "metadata": {}},)


def show(session: DebugSession, notebook: bool | None = None) -> NotebookDisplay | TerminalDisplay:
    """Show `session` live: the widget under the cell in a notebook (None: where this process
    is an IPython kernel), printed lines elsewhere, or where the widget cannot be made (no
    ipywidgets): a display must never keep a training from starting."""
    if notebook if notebook is not None else in_kernel():
        try:
            return NotebookDisplay(session)
        except Exception:
            _logger().exception("The debugger's widget could not be shown; findings are printed.")
    return TerminalDisplay(session)
