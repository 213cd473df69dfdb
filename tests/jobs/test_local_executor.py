"""Job runs through the local executor: real runner processes, real papermill runs.

Each run costs a papermill import and a kernel start (seconds on two cores), so each test
starts its runs at once and checks many things on each.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Callable
from pathlib import Path

from studio.config import JOB_RUN_ID_ENV, RUN_ID_ENV
from studio.jobs.entities import JobStatus, Progress
from studio.jobs.execution import (
    HTML_NAME,
    LAUNCH_NAME,
    LOG_NAME,
    NOTEBOOK_NAME,
    Outcome,
)
from studio.jobs.local_executor import LocalExecution, LocalExecutor
from studio.jobs.proctree import find_job_processes, process_alive
from studio.jobs.runner import ExitCode
from tests.jobs.launches import launch_of
from tests.jobs.notebooks import markdown, read_notebook, write_notebook


def outputs_text(cell: dict) -> str:
    return "".join(output.get("text", "") for output in cell.get("outputs", []))


async def test_a_run_gets_its_parameters_folder_and_environment(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "data.txt").write_text("21")
    (project / "helper.py").write_text("def double(x):\n    return 2 * x\n")
    notebook = write_notebook(
        project / "train.ipynb",
        [
            markdown("# Training"),
            "import os\nimport helper\nvalue = int(open('data.txt').read())",
            "print(helper.double(value) + alpha, name, os.getcwd(), sep='|')",
            f"print(*(os.environ[v] for v in ('{RUN_ID_ENV}', '{JOB_RUN_ID_ENV}', 'JOB_TOKEN')))",
            "",
        ],
        parameters={"alpha": 1, "name": "default"},
    )
    launch = launch_of(
        notebook,
        tmp_path / "out",
        parameters={"alpha": 100},
        environment={RUN_ID_ENV: "run-abc", "JOB_TOKEN": "s3cret"},
    )
    before = time.time()
    execution = await LocalExecutor().start(launch)
    assert execution.host == socket.gethostname()
    assert execution.pid_started_at is not None
    assert before - 1 <= execution.pid_started_at <= time.time() + 1

    outcome = await execution.wait()

    # Two parameter cells (the notebook's, papermill's) and three code cells; the empty one
    # is not run.
    assert outcome == Outcome(JobStatus.SUCCEEDED, progress=Progress(cells_done=5, cells_total=5))
    assert execution.returncode == ExitCode.SUCCEEDED
    assert execution.progress() == outcome.progress
    cells = read_notebook(tmp_path / "out" / NOTEBOOK_NAME).cells
    assert cells[0].metadata.tags == ["parameters"]
    assert cells[1].metadata.tags == ["injected-parameters"]
    assert "alpha = 100" in cells[1].source
    assert outputs_text(cells[4]) == f"142|default|{project}\n"
    assert outputs_text(cells[5]) == f"run-abc {launch.job_run_id} s3cret\n"
    # The secret reached the kernel through the environment, never through a file.
    assert "s3cret" not in (tmp_path / "out" / LAUNCH_NAME).read_text()
    assert "142|default" in (tmp_path / "out" / LOG_NAME).read_text()
    assert not (tmp_path / "out" / HTML_NAME).exists()


async def test_each_failure_ends_in_its_own_status_with_the_partial_output(
    tmp_path: Path,
) -> None:
    cases: dict[str, tuple[list[str], dict[str, object]]] = {
        "exception": (["print('before')", "1 / 0", "print('after')"], {"html": True}),
        "syntax": (["print('before')", "def broken(:"], {}),
        "kernel_died": (["print('before')", "import os\nos._exit(3)", "print('after')"], {}),
        "stopped": (["from studio.debugger import StopTraining\nraise StopTraining([])"], {}),
        "no_kernel": (["print('never')"], {"kernel_name": "nosuchkernel"}),
    }
    executor = LocalExecutor()
    executions = await asyncio.gather(
        *(
            executor.start(
                launch_of(write_notebook(tmp_path / name / "nb.ipynb", cells), tmp_path / name, **kw)
            )
            for name, (cells, kw) in cases.items()
        )
    )
    outcomes = dict(zip(cases, await asyncio.gather(*(e.wait() for e in executions)), strict=True))
    codes = {name: e.returncode for name, e in zip(cases, executions, strict=True)}
    cells = {name: read_notebook(tmp_path / name / NOTEBOOK_NAME).cells for name in cases}

    failed = outcomes["exception"]
    assert failed.status is JobStatus.FAILED
    assert failed.error == "Cell 2 raised ZeroDivisionError: division by zero"
    assert failed.error_name == "ZeroDivisionError"
    assert failed.traceback is not None
    assert "1 / 0" in failed.traceback and "\x1b" not in failed.traceback
    assert failed.progress == Progress(cells_done=2, cells_total=3)
    assert failed.error_cell is not None
    failing = cells["exception"][failed.error_cell]
    assert failing.source == "1 / 0" and failing.outputs[0].output_type == "error"
    assert "before" in "".join(outputs_text(cell) for cell in cells["exception"])
    assert "after" not in "".join(outputs_text(cell) for cell in cells["exception"])
    assert "ZeroDivisionError" in (tmp_path / "exception" / HTML_NAME).read_text()

    syntax = outcomes["syntax"]
    assert (syntax.status, syntax.error_name) == (JobStatus.FAILED, "SyntaxError")
    assert syntax.error is not None and syntax.error.startswith("Cell 2 raised SyntaxError: ")
    assert not (tmp_path / "syntax" / HTML_NAME).exists()

    died = outcomes["kernel_died"]
    assert (died.status, died.error) == (JobStatus.FAILED, "The kernel died while running cell 2")
    assert died.error_cell is not None and "os._exit" in cells["kernel_died"][died.error_cell].source
    assert outputs_text(cells["kernel_died"][0]) == "before\n"

    stopped = outcomes["stopped"]
    assert (stopped.status, stopped.error, stopped.error_name) == (
        JobStatus.STOPPED_BY_RULE,
        "Training stopped by a rule",
        "StopTraining",
    )

    missing = outcomes["no_kernel"]
    assert missing.status is JobStatus.FAILED
    assert missing.error is not None
    assert missing.error.startswith("No kernel named nosuchkernel is installed here (installed: ")
    assert "python3" in missing.error

    assert codes == {
        "exception": ExitCode.CELL_FAILED,
        "syntax": ExitCode.CELL_FAILED,
        "kernel_died": ExitCode.KERNEL_DIED,
        "stopped": ExitCode.STOPPED_BY_RULE,
        "no_kernel": ExitCode.NO_SUCH_KERNEL,
    }


# The kernel starts a process of its own, notes both pids, then never ends.
HANGING = [
    "import os, subprocess, time\n"
    "sleeper = subprocess.Popen(['sleep', '600'])\n"
    "open('pids.txt', 'w').write(f'{os.getpid()} {sleeper.pid}')\n"
    "print('started')",
    "time.sleep(1)",
    "time.sleep(600)",
]


def pids_in(folder: Path) -> list[int]:
    return [int(pid) for pid in (folder / "pids.txt").read_text().split()]


async def progress_until(
    execution: LocalExecution, reached: Callable[[Progress], bool], timeout: float = 30
) -> list[Progress]:
    """Every distinct progress seen, polling, until one is `reached`."""
    seen: list[Progress] = []
    deadline = time.monotonic() + timeout
    while not seen or not reached(seen[-1]):
        assert time.monotonic() < deadline, seen
        progress = execution.progress()
        if progress is not None and (not seen or progress != seen[-1]):
            seen.append(progress)
        await asyncio.sleep(0.05)
    return seen


async def test_timeout_and_cancel_kill_the_whole_tree_and_keep_the_partial_output(
    tmp_path: Path,
) -> None:
    executor = LocalExecutor(grace=2)
    timed_notebook = write_notebook(tmp_path / "timed" / "nb.ipynb", HANGING)
    cancelled_notebook = write_notebook(tmp_path / "cancelled" / "nb.ipynb", HANGING)
    # Long enough for a kernel to start on a busy machine, and its first cells to run.
    timed = await executor.start(launch_of(timed_notebook, tmp_path / "timed_out", timeout=12))
    started_ms = time.time() * 1000
    cancelled = await executor.start(launch_of(cancelled_notebook, tmp_path / "cancelled_out"))
    # close() cancels what runs still, here a run that has not reached its notebook yet.
    closed_executor = LocalExecutor()
    closed = await closed_executor.start(
        launch_of(cancelled_notebook, tmp_path / "closed_out", timeout=60)
    )
    await closed_executor.close()
    closed_outcome = await closed.wait()
    assert (closed_outcome.status, closed_outcome.error) == (
        JobStatus.CANCELLED,
        "Cancelled, before any cell ran",
    )
    assert not process_alive(closed.pid or 0, closed.pid_started_at)

    seen = await progress_until(cancelled, lambda progress: progress.current_cell == 2)
    # The progress moved cell by cell while the run went on.
    assert Progress(cells_done=1, cells_total=3, current_cell=1) in [
        Progress(p.cells_done, p.cells_total, p.current_cell) for p in seen
    ]
    now = seen[-1]
    assert (now.cells_done, now.cells_total) == (2, 3)
    assert now.cell_started_at is not None
    assert started_ms <= now.cell_started_at <= time.time() * 1000
    tree = {cancelled.pid, *pids_in(tmp_path / "cancelled")}
    assert {p.pid for p in find_job_processes(cancelled.launch.job_run_id)} == tree

    await cancelled.cancel()

    outcome = await cancelled.wait()
    assert (outcome.status, outcome.error, outcome.error_cell) == (
        JobStatus.CANCELLED,
        "Cancelled, in cell 3",
        2,
    )
    assert not any(process_alive(pid, None) for pid in tree)
    assert find_job_processes(cancelled.launch.job_run_id) == []

    timed_out = await timed.wait()
    assert (timed_out.status, timed_out.error) == (
        JobStatus.TIMED_OUT,
        "Timed out after 12 s, in cell 3",
    )
    assert timed_out.progress.cells_done == 2
    assert timed.returncode is not None and timed.returncode < 0
    assert not any(process_alive(pid, None) for pid in pids_in(tmp_path / "timed"))
    first = read_notebook(tmp_path / "timed_out" / NOTEBOOK_NAME).cells[0]
    assert outputs_text(first) == "started\n"
    assert json.loads((tmp_path / "timed_out" / LAUNCH_NAME).read_text())["timeout"] == 12
