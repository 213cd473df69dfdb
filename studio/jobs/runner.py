"""The papermill runner: one job run, in a process of its own.

    python -m studio.jobs.runner OUTPUT_DIR
    python -m studio.jobs.runner --html OUTPUT_DIR    (export only: after a run was killed)

It reads the `Launch` that an executor left in OUTPUT_DIR, runs the notebook with papermill
in the original notebook's folder, and writes beside it what `studio.jobs.execution` lists:
`output.ipynb` after every cell, `progress.json` at every cell (from nbclient's hooks, so no
custom engine), `result.json` at the end, whatever the end, and `output.html` where asked.
Every executor runs this same process, so a run fails the same way everywhere.

Its import cost is a job's overhead over a plain papermill run: it imports papermill and
Studio's standard-library modules only (no store, no server), and nbconvert only to export
HTML. It needs no database: the scheduler reads its files. An executor that kills a run
(timeout, cancel) writes its `result.json` itself, and exports the partial notebook's HTML
with `--html`, in a process of its own so that the server never imports nbconvert.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import traceback
from dataclasses import replace
from enum import IntEnum
from pathlib import Path
from typing import Any

from studio.jobs.entities import JobStatus, Progress
from studio.jobs.execution import (
    HTML_NAME,
    INPUT_NAME,
    NOTEBOOK_NAME,
    Launch,
    Outcome,
    cell_number,
    write_progress,
)

__all__ = ["ExitCode", "export_html", "main", "run"]

logger = logging.getLogger("studio.jobs.runner")

STOP_TRAINING = "StopTraining"
"""The class name of `studio.debugger.StopTraining`, as a cell error reports it."""

PAPERMILL_ERROR_CELLS = 2
"""Cells papermill inserts before a failing cell once it has failed: a heading at the top
and an anchor just before it. A failing cell's index in `output.ipynb` counts them."""

_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# IPython compiles each cell as a temporary file: "invalid syntax (3485564072.py, line 1)".
_CELL_FILE = re.compile(r"\(\d+\.py, line (\d+)\)")


class ExitCode(IntEnum):
    """The runner's exit status: one for each way a run ends."""

    SUCCEEDED = 0
    CELL_FAILED = 1
    KERNEL_DIED = 2
    NO_SUCH_KERNEL = 3
    STOPPED_BY_RULE = 4
    RUNNER_FAILED = 5
    USAGE = 64


USAGE_LINE = "usage: python -m studio.jobs.runner [--html] OUTPUT_DIR"


class ProgressFile:
    """nbclient hooks that keep `progress.json` current, cell by cell.

    `cells_total` counts the code cells of the notebook as it runs (parameters injected),
    those nbclient will execute: empty ones are skipped.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.progress = Progress()

    def notebook_started(self, notebook: Any, **_: Any) -> None:
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        self._update(cells_total=sum(1 for cell in code if cell.source.strip()))

    def cell_started(self, cell: Any, cell_index: int, **_: Any) -> None:
        self._update(current_cell=cell_index, cell_started_at=int(time.time() * 1000))

    def cell_executed(self, cell: Any, cell_index: int, **_: Any) -> None:
        self._update(
            cells_done=self.progress.cells_done + 1, current_cell=None, cell_started_at=None
        )

    def _update(self, **changes: Any) -> None:
        self.progress = replace(self.progress, **changes)
        write_progress(self.folder, self.progress)


def run(folder: Path, launch: Launch, progress: ProgressFile) -> tuple[Outcome, ExitCode]:
    """Run the launch's notebook; every failure becomes an outcome, never an exception."""
    notebook_folder = Path(launch.notebook_path).parent
    if not notebook_folder.is_dir():
        error = f"The notebook's folder {notebook_folder}, where it runs, no longer exists"
        return Outcome(JobStatus.FAILED, error=error), ExitCode.RUNNER_FAILED
    # Imported here, not above: `--html` and a launch that fails early need none of its import time.
    import papermill

    try:
        papermill.execute_notebook(
            str(folder / INPUT_NAME),
            str(folder / NOTEBOOK_NAME),
            parameters=dict(launch.parameters),
            kernel_name=launch.kernel_name,
            cwd=str(notebook_folder),
            progress_bar=False,
            log_output=True,
            request_save_on_cell_execute=True,
            on_notebook_start=progress.notebook_started,
            on_cell_execute=progress.cell_started,
            on_cell_executed=progress.cell_executed,
        )
    except Exception as error:  # each failure is the run's outcome
        return failure_outcome(error, progress.progress)
    return Outcome(JobStatus.SUCCEEDED, progress=progress.progress), ExitCode.SUCCEEDED


def failure_outcome(error: Exception, progress: Progress) -> tuple[Outcome, ExitCode]:
    """The outcome of a run that raised `error`, with a sentence a user understands."""
    # Already imported by papermill: these cost nothing more.
    from jupyter_client.kernelspec import NoSuchKernel, find_kernel_specs
    from nbclient.exceptions import DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    if isinstance(error, PapermillExecutionError):
        number = error.exec_count if error.exec_count is not None else error.cell_index
        status, code = JobStatus.FAILED, ExitCode.CELL_FAILED
        evalue = _CELL_FILE.sub(r"(line \1)", error.evalue)
        sentence = f"Cell {number} raised {error.ename}: {evalue}"
        if error.ename == STOP_TRAINING:
            status, code = JobStatus.STOPPED_BY_RULE, ExitCode.STOPPED_BY_RULE
            sentence = error.evalue
        outcome = Outcome(
            status,
            error=sentence,
            error_name=error.ename,
            error_cell=error.cell_index + PAPERMILL_ERROR_CELLS,
            traceback=plain_text("\n".join(error.traceback)),
            progress=progress,
        )
        return outcome, code
    if isinstance(error, DeadKernelError):
        number = cell_number(progress)
        where = f"while running cell {number}" if number is not None else "before any cell ran"
        outcome = Outcome(
            JobStatus.FAILED,
            error=f"The kernel died {where}",
            error_name=type(error).__name__,
            error_cell=progress.current_cell,
            progress=progress,
        )
        return outcome, ExitCode.KERNEL_DIED
    if isinstance(error, NoSuchKernel):
        installed = ", ".join(sorted(find_kernel_specs())) or "none"
        sentence = f"No kernel named {error.name} is installed here (installed: {installed})"
        outcome = Outcome(JobStatus.FAILED, error=sentence, error_name=type(error).__name__)
        return outcome, ExitCode.NO_SUCH_KERNEL
    return unexpected_outcome(error, progress)


def unexpected_outcome(error: Exception, progress: Progress) -> tuple[Outcome, ExitCode]:
    """The outcome of a run that `error` ended, where no kernel or cell was at fault."""
    outcome = Outcome(
        JobStatus.FAILED,
        error=f"{type(error).__name__}: {error}",
        error_name=type(error).__name__,
        traceback="".join(traceback.format_exception(error)),
        progress=progress,
    )
    return outcome, ExitCode.RUNNER_FAILED


def plain_text(text: str) -> str:
    """`text` without the terminal colours IPython puts in tracebacks."""
    return _ANSI_ESCAPE.sub("", text)


def export_html(folder: Path) -> None:
    """Write `output.html` from `output.ipynb`. A failure is logged: it never changes how
    the run ended."""
    try:
        import nbformat
        from nbconvert import HTMLExporter

        notebook = nbformat.read(folder / NOTEBOOK_NAME, as_version=4)  # type: ignore[no-untyped-call]
        body, _ = HTMLExporter().from_notebook_node(notebook)  # type: ignore[no-untyped-call]
        (folder / HTML_NAME).write_text(body, encoding="utf-8")
    except Exception:
        logger.exception("Could not export the executed notebook as HTML")


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    html_only = arguments[:1] == ["--html"]
    if len(arguments) != 1 + html_only or arguments[-1].startswith("-"):
        print(USAGE_LINE, file=sys.stderr)
        return ExitCode.USAGE
    folder = Path(arguments[-1])
    # The log is a file: without line buffering it would lag behind the run.
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
    if html_only:
        export_html(folder)
        return ExitCode.SUCCEEDED
    progress = ProgressFile(folder)
    outcome = Outcome(JobStatus.FAILED, error="The runner ended before the notebook did")
    code = ExitCode.RUNNER_FAILED
    launch: Launch | None = None
    try:
        launch = Launch.read(folder)
        logger.info("Studio job run %s: %s", launch.job_run_id, launch.notebook_path)
        outcome, code = run(folder, launch, progress)
    except Exception as error:  # a broken launch is a failed run too
        outcome, code = unexpected_outcome(error, progress.progress)
    finally:
        outcome.write(folder)
        logger.info("Job run ended %s: %s", outcome.status.value, outcome.error or "no error")
        if launch is not None and launch.html and (folder / NOTEBOOK_NAME).exists():
            export_html(folder)
    return code


if __name__ == "__main__":
    sys.exit(main())
