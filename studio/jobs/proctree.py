"""A job run's processes: find them, tell whether they still run, kill them all.

A run is a tree: the runner, its kernel, and whatever the notebook starts (data loader
workers, subprocesses). The kernel runs in a session of its own, so killing the runner's
process group misses it, and once the runner is dead its children belong to init and no
longer look like the runner's. So the tree is collected first, then killed; and every
process of a run carries `STUDIO_JOB_RUN_ID` in its environment, so a scheduler that lost
track of a run (its predecessor was killed) finds what is left of it.

Everything here blocks (psutil waits for processes to end): call it from a thread in the
server (`asyncio.to_thread`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable

import psutil

from studio.config import JOB_RUN_ID_ENV, RUN_ID_ENV

__all__ = [
    "DEFAULT_GRACE",
    "find_job_processes",
    "kill_job_run",
    "kill_processes",
    "kill_tree",
    "process_alive",
    "process_started_at",
]

DEFAULT_GRACE = 3.0
"""Seconds between SIGTERM and SIGKILL: long enough for a kernel to close its files."""

_POLL = 0.05


def process_started_at(pid: int) -> float | None:
    """The process's start time (psutil's `create_time`), or None if there is none."""
    try:
        return float(psutil.Process(pid).create_time())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


def process_alive(pid: int, started_at: float | None) -> bool:
    """Whether `pid` is still the process that started at `started_at` and still runs.

    A pid is reused once its process is gone: the start time tells the two apart. A zombie
    (ended, not yet reaped by its parent) runs no more.
    """
    try:
        process = psutil.Process(pid)
        same = started_at is None or math.isclose(process.create_time(), started_at, abs_tol=1e-3)
        return same and process.status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def find_job_processes(job_run_id: int | str, run_id: str | None = None) -> list[psutil.Process]:
    """Every process on this machine whose environment says it belongs to `job_run_id`,
    and, given `run_id`, to that tracking run: job run numbers repeat across Studio
    databases (another user's, a test's), tracking run ids do not."""
    wanted = str(job_run_id)
    found = []
    for process in psutil.process_iter():
        try:
            environment = process.environ()
            if environment.get(JOB_RUN_ID_ENV) == wanted and (
                run_id is None or environment.get(RUN_ID_ENV) == run_id
            ):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def kill_tree(pid: int, started_at: float | None = None, grace: float = DEFAULT_GRACE) -> list[int]:
    """Kill `pid` and all its descendants: SIGTERM, then SIGKILL to those still running after
    `grace` seconds. Nothing is done where `started_at` shows the pid now names another
    process. Returns the pids that were signalled."""
    return kill_processes(_tree(pid, started_at), grace)


def kill_job_run(
    job_run_id: int | str,
    pid: int | None = None,
    started_at: float | None = None,
    grace: float = DEFAULT_GRACE,
    run_id: str | None = None,
) -> list[int]:
    """Kill what is left of a job run on this machine: its runner's tree where `pid` (and
    `started_at`) still name the runner, and, given its tracking run's `run_id`, every
    process carrying both ids, which finds a kernel and its children orphaned by a runner
    that died. Without `run_id` (a tracking run deleted meanwhile) no search is made: job
    run numbers alone repeat across Studio databases. Returns the pids signalled."""
    tree = _tree(pid, started_at) if pid is not None else []
    known = {process.pid for process in tree}
    found = find_job_processes(job_run_id, run_id) if run_id is not None else []
    orphans = [process for process in found if process.pid not in known]
    return kill_processes([*tree, *orphans], grace)


def _tree(pid: int, started_at: float | None) -> list[psutil.Process]:
    """`pid` and its descendants, or none where `pid` no longer names that process."""
    if not process_alive(pid, started_at):
        return []
    try:
        root = psutil.Process(pid)
        # Collected before any is killed: the dead root's children are no longer its own.
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def kill_processes(processes: Iterable[psutil.Process], grace: float = DEFAULT_GRACE) -> list[int]:
    """SIGTERM each process, SIGKILL those still running after `grace` seconds, and wait
    (briefly) for them to go. Returns the pids that were signalled."""
    signalled = [process for process in processes if _signal(process, psutil.Process.terminate)]
    survivors = _wait_gone(signalled, grace)
    for process in survivors:
        _signal(process, psutil.Process.kill)
    _wait_gone(survivors, grace)
    return [process.pid for process in signalled]


def _signal(process: psutil.Process, send: Callable[[psutil.Process], object]) -> bool:
    try:
        send(process)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False
    return True


def _wait_gone(processes: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Those of `processes` still running after `timeout` seconds.

    Polls rather than `psutil.wait_procs`, which reaps a child of ours: the runner is the
    event loop's child, and asyncio must be the one to reap it, or it never learns its exit.
    """
    deadline = time.monotonic() + timeout
    running = list(processes)
    while running:
        running = [process for process in running if _running(process)]
        if not running or time.monotonic() >= deadline:
            break
        time.sleep(_POLL)
    return running


def _running(process: psutil.Process) -> bool:
    try:
        return bool(process.is_running() and process.status() != psutil.STATUS_ZOMBIE)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False
