"""The runner process on its own: how it fails before any notebook runs, and its HTML export.

The runs of notebooks are in test_local_executor.py; these start no kernel.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from studio.jobs.entities import JobStatus
from studio.jobs.execution import HTML_NAME, NOTEBOOK_NAME, Outcome
from studio.jobs.runner import ExitCode, export_html
from tests.jobs.launches import launch_of
from tests.jobs.notebooks import write_notebook

if TYPE_CHECKING:
    import pytest


def runner(*arguments: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "studio.jobs.runner", *arguments],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_runner_that_cannot_start_the_notebook_says_why(tmp_path: Path) -> None:
    gone = write_notebook(tmp_path / "gone" / "nb.ipynb", ["print('never')"])
    launch_of(gone, tmp_path / "moved", html=True).write(tmp_path / "moved")
    gone.unlink()
    gone.parent.rmdir()
    (tmp_path / "empty").mkdir()

    processes = [runner(), runner(str(tmp_path / "empty")), runner(str(tmp_path / "moved"))]
    codes = [process.wait(timeout=60) for process in processes]

    assert codes == [ExitCode.USAGE, ExitCode.RUNNER_FAILED, ExitCode.RUNNER_FAILED]
    no_launch = Outcome.read(tmp_path / "empty")
    assert no_launch is not None
    assert (no_launch.status, no_launch.error_name) == (JobStatus.FAILED, "FileNotFoundError")
    assert no_launch.traceback is not None
    assert "launch.json" in no_launch.traceback
    moved = Outcome.read(tmp_path / "moved")
    assert moved == Outcome(
        JobStatus.FAILED,
        error=f"The notebook's folder {gone.parent}, where it runs, no longer exists",
    )
    assert not (tmp_path / "moved" / HTML_NAME).exists()


def test_a_failed_html_export_is_logged_and_raises_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / NOTEBOOK_NAME).write_text("{not a notebook")
    with caplog.at_level(logging.ERROR, logger="studio.jobs.runner"):
        export_html(tmp_path)
    assert not (tmp_path / HTML_NAME).exists()
    assert "Could not export the executed notebook as HTML" in caplog.text


def test_the_runner_imports_nothing_heavy_before_papermill() -> None:
    # A job's overhead over a plain papermill run is mostly what the runner imports.
    heavy = ("sqlalchemy", "tornado", "jupyter_server", "nbconvert", "numpy", "pandas", "torch")
    script = f"import sys, studio.jobs.runner; print(*(m for m in {heavy!r} if m in sys.modules))"
    imported = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert imported.split() == []
