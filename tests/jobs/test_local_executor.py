"""Job runs through the local executor: real runner processes, real papermill runs.

Each run costs a papermill import and a kernel start (seconds on two cores), so the two
tests start their runs at once, each scenario a coroutine of its own with many checks.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
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
from studio.jobs.proctree import find_job_processes, kill_job_run, process_alive
from studio.jobs.runner import ExitCode
from tests.jobs.launches import launch_of
from tests.jobs.notebooks import markdown, read_notebook, write_notebook


def outputs_text(cell: dict) -> str:
    return "".join(output.get("text", "") for output in cell.get("outputs", []))


async def a_run_gets_its_parameters_folder_and_environment(
    executor: LocalExecutor, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    project.mkdir(parents=True)
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
        run_id="run-abc",
        environment={"JOB_TOKEN": "s3cret"},
    )
    before = time.time()
    execution = await executor.start(launch)
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


async def each_failure_ends_in_its_own_status_with_the_partial_output(
    executor: LocalExecutor, tmp_path: Path
) -> None:
    cases: dict[str, tuple[list[str], dict[str, object]]] = {
        "exception": (["print('before')", "1 / 0", "print('after')"], {"html": True}),
        "syntax": (["print('before')", "def broken(:"], {}),
        "kernel_died": (["print('before')", "import os\nos._exit(3)", "print('after')"], {}),
        "stopped": (["from studio.debugger import StopTraining\nraise StopTraining([])"], {}),
        "no_kernel": (["print('never')"], {"kernel_name": "nosuchkernel"}),
    }
    launches = [
        launch_of(write_notebook(tmp_path / name / "nb.ipynb", cells), tmp_path / name, **kw)
        for name, (cells, kw) in cases.items()
    ]
    executions = await asyncio.gather(*(executor.start(launch) for launch in launches))
    outcomes = dict(zip(cases, await asyncio.gather(*(e.wait() for e in executions)), strict=True))
    codes = {name: e.returncode for name, e in zip(cases, executions, strict=True)}
    cells = {name: read_notebook(tmp_path / name / NOTEBOOK_NAME).cells for name in cases}

    failed = outcomes["exception"]
    assert failed.status is JobStatus.FAILED
    assert failed.error == "Cell 2 raised ZeroDivisionError: division by zero"
    assert failed.error_name == "ZeroDivisionError"
    assert failed.traceback is not None
    assert "1 / 0" in failed.traceback
    assert "\x1b" not in failed.traceback
    assert failed.progress == Progress(cells_done=2, cells_total=3)
    assert failed.error_cell is not None
    failing = cells["exception"][failed.error_cell]
    assert failing.source == "1 / 0"
    assert failing.outputs[0].output_type == "error"
    assert "before" in "".join(outputs_text(cell) for cell in cells["exception"])
    assert "after" not in "".join(outputs_text(cell) for cell in cells["exception"])
    assert "ZeroDivisionError" in (tmp_path / "exception" / HTML_NAME).read_text()

    syntax = outcomes["syntax"]
    assert (syntax.status, syntax.error_name) == (JobStatus.FAILED, "SyntaxError")
    assert syntax.error is not None
    # Its line in the cell, not in the temporary file IPython compiled it as.
    assert re.fullmatch(r"Cell 2 raised SyntaxError: .+ \(line 1\)", syntax.error), syntax.error
    assert not (tmp_path / "syntax" / HTML_NAME).exists()

    died = outcomes["kernel_died"]
    assert (died.status, died.error) == (JobStatus.FAILED, "The kernel died while running cell 2")
    assert died.error_cell is not None
    assert "os._exit" in cells["kernel_died"][died.error_cell].source
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


async def a_timeout_kills_the_whole_tree_and_keeps_the_partial_output(
    executor: LocalExecutor, tmp_path: Path
) -> None:
    notebook = write_notebook(tmp_path / "nb" / "nb.ipynb", HANGING)
    # Long enough for a kernel to start on a busy machine, and its first cells to run.
    execution = await executor.start(launch_of(notebook, tmp_path / "out", timeout=12, html=True))

    outcome = await execution.wait()

    assert (outcome.status, outcome.error) == (
        JobStatus.TIMED_OUT,
        "Timed out after 12 s, in cell 3",
    )
    assert outcome.progress.cells_done == 2
    assert execution.returncode is not None
    assert execution.returncode < 0
    assert not any(process_alive(pid, None) for pid in pids_in(tmp_path / "nb"))
    first = read_notebook(tmp_path / "out" / NOTEBOOK_NAME).cells[0]
    assert outputs_text(first) == "started\n"
    assert "started" in (tmp_path / "out" / HTML_NAME).read_text()
    assert json.loads((tmp_path / "out" / LAUNCH_NAME).read_text())["timeout"] == 12


async def a_cancel_kills_the_whole_tree_once_progress_has_moved(
    executor: LocalExecutor, tmp_path: Path
) -> None:
    notebook = write_notebook(tmp_path / "nb" / "nb.ipynb", HANGING)
    started_ms = time.time() * 1000
    execution = await executor.start(launch_of(notebook, tmp_path / "out"))

    seen = await progress_until(execution, lambda progress: progress.current_cell == 2)
    # The progress moved cell by cell while the run went on.
    assert Progress(cells_done=1, cells_total=3, current_cell=1) in [
        Progress(p.cells_done, p.cells_total, p.current_cell) for p in seen
    ]
    now = seen[-1]
    assert (now.cells_done, now.cells_total) == (2, 3)
    assert now.cell_started_at is not None
    assert started_ms <= now.cell_started_at <= time.time() * 1000
    tree = {execution.pid, *pids_in(tmp_path / "nb")}
    assert {p.pid for p in find_job_processes(execution.launch.job_run_id)} == tree

    await execution.cancel()

    outcome = await execution.wait()
    assert (outcome.status, outcome.error, outcome.error_cell) == (
        JobStatus.CANCELLED,
        "Cancelled, in cell 3",
        2,
    )
    assert not any(process_alive(pid, None) for pid in tree)
    assert find_job_processes(execution.launch.job_run_id) == []
    # The executor says how the run ended where the runner would have.
    assert Outcome.read(tmp_path / "out") == outcome
    log = (tmp_path / "out" / LOG_NAME).read_text()
    assert log.endswith("Job run ended CANCELLED: Cancelled, in cell 3\n")
    assert not (tmp_path / "out" / HTML_NAME).exists()


async def closing_the_executor_cancels_its_runs(tmp_path: Path) -> None:
    notebook = write_notebook(tmp_path / "nb" / "nb.ipynb", HANGING)
    executor = LocalExecutor()
    # Closed at once: the run has not reached its notebook yet.
    execution = await executor.start(launch_of(notebook, tmp_path / "out", timeout=60))

    await executor.close()

    outcome = await execution.wait()
    assert (outcome.status, outcome.error) == (
        JobStatus.CANCELLED,
        "Cancelled, before any cell ran",
    )


async def a_runner_killed_from_outside_fails_with_its_log_and_leaves_orphans_to_find(
    executor: LocalExecutor, tmp_path: Path
) -> None:
    notebook = write_notebook(tmp_path / "nb" / "nb.ipynb", HANGING)
    execution = await executor.start(launch_of(notebook, tmp_path / "out"))
    await progress_until(execution, lambda progress: progress.current_cell == 2)
    kernel, sleeper = pids_in(tmp_path / "nb")

    os.kill(execution.pid or 0, signal.SIGKILL)  # the runner alone, as an OOM killer would
    outcome = await execution.wait()

    assert outcome.status is JobStatus.FAILED
    assert outcome.error is not None
    first, *tail = outcome.error.splitlines()
    assert first == f"The job's runner ended without a result (exit status {-signal.SIGKILL}):"
    assert "started" in tail  # the log's last lines: the notebook's output
    assert Outcome.read(tmp_path / "out") == outcome
    # What the dead runner left behind is found by the run's id, and killed.
    assert process_alive(sleeper, None)
    killed = kill_job_run(
        execution.launch.job_run_id,
        execution.pid,
        execution.pid_started_at,
        run_id=execution.launch.run_id,
    )
    assert sleeper in killed
    assert not process_alive(kernel, None)
    assert not process_alive(sleeper, None)


async def test_runs_that_succeed_or_fail_each_their_own_way(tmp_path: Path) -> None:
    executor = LocalExecutor()
    try:
        await asyncio.gather(
            a_run_gets_its_parameters_folder_and_environment(executor, tmp_path / "success"),
            each_failure_ends_in_its_own_status_with_the_partial_output(
                executor, tmp_path / "failures"
            ),
        )
    finally:
        await executor.close()


async def test_runs_stopped_by_timeout_cancel_close_or_a_kill_from_outside(
    tmp_path: Path,
) -> None:
    executor = LocalExecutor(grace=2)
    try:
        await asyncio.gather(
            a_timeout_kills_the_whole_tree_and_keeps_the_partial_output(
                executor, tmp_path / "timeout"
            ),
            a_cancel_kills_the_whole_tree_once_progress_has_moved(executor, tmp_path / "cancel"),
            closing_the_executor_cancels_its_runs(tmp_path / "close"),
            a_runner_killed_from_outside_fails_with_its_log_and_leaves_orphans_to_find(
                executor, tmp_path / "killed"
            ),
        )
    finally:
        await executor.close()
