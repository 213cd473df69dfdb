"""Killing a job's process tree, finding its processes, telling a reused pid apart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid

from studio.config import JOB_RUN_ID_ENV, RUN_ID_ENV
from studio.jobs.proctree import (
    find_job_processes,
    kill_job_run,
    kill_processes,
    kill_tree,
    process_alive,
    process_started_at,
)
from tests.jobs.launches import new_job_run_id

# A parent that ignores SIGTERM, with a child in a session of its own, as a kernel is.
PARENT = """
import signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen(["sleep", "600"], start_new_session=True)
print(child.pid, flush=True)
time.sleep(600)
"""


def test_kill_tree_kills_a_stubborn_parent_and_its_child_in_another_session() -> None:
    job_run_id = new_job_run_id()
    with subprocess.Popen(
        [sys.executable, "-c", PARENT],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ | {JOB_RUN_ID_ENV: str(job_run_id)},
    ) as parent:
        try:
            assert parent.stdout is not None
            child_pid = int(parent.stdout.readline())
            started_at = process_started_at(parent.pid)
            assert started_at is not None
            assert process_alive(parent.pid, started_at)
            assert {p.pid for p in find_job_processes(job_run_id)} == {parent.pid, child_pid}

            # Another start time: the pid names another process, which is left alone.
            assert not process_alive(parent.pid, started_at - 5)
            assert kill_tree(parent.pid, started_at - 5) == []
            assert process_alive(parent.pid, started_at)

            assert sorted(kill_tree(parent.pid, started_at, grace=0.3)) == sorted(
                [parent.pid, child_pid]
            )
            # Killed after the grace, not reaped: its parent (here, the test) still learns how.
            assert parent.wait(timeout=5) == -signal.SIGKILL
            assert not process_alive(child_pid, None)
            assert not process_alive(parent.pid, started_at)
            assert find_job_processes(job_run_id) == []
            assert kill_tree(parent.pid, started_at) == []
        finally:
            kill_tree(parent.pid, grace=0.1)  # whatever failed, no sleeper is left behind


def test_kill_job_run_finds_the_orphans_of_a_runner_that_died() -> None:
    job_run_id = new_job_run_id()
    run_id = uuid.uuid4().hex
    with subprocess.Popen(
        [sys.executable, "-c", PARENT],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ | {JOB_RUN_ID_ENV: str(job_run_id), RUN_ID_ENV: run_id},
    ) as parent:
        assert parent.stdout is not None
        orphan = int(parent.stdout.readline())
        started_at = process_started_at(parent.pid)
        try:
            # The runner dies alone (a scheduler's SIGKILL took it): its child lives on.
            parent.kill()
            parent.wait()
            assert process_alive(orphan, None)
            assert kill_tree(parent.pid, started_at) == []
            # Without its tracking run's id, the job run's number alone names nothing (it
            # repeats across Studio databases), and another tracking run's id is not it.
            assert kill_job_run(job_run_id, parent.pid, started_at) == []
            assert kill_job_run(job_run_id, parent.pid, started_at, run_id="other") == []
            assert process_alive(orphan, None)

            killed = kill_job_run(job_run_id, parent.pid, started_at, grace=0.3, run_id=run_id)
            assert killed == [orphan]
            assert not process_alive(orphan, None)
            assert kill_job_run(job_run_id, parent.pid, started_at, run_id=run_id) == []
        finally:
            kill_processes(find_job_processes(job_run_id), grace=0.1)
