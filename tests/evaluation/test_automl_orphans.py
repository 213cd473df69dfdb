"""AutoML's local workers hold the data and wait for folds: when the process that started them
dies without closing them (killed, out of memory, a job cancelled), they must not live on."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import psutil

from tests.databases import sqlite_only

pytestmark = sqlite_only

PARENT = textwrap.dedent(
    """
    import os, signal
    import numpy as np, pandas as pd
    from studio.evaluation.automl_workers import LocalExecutor, SearchData

    rows = np.arange(8)
    data = SearchData(
        X=pd.DataFrame({"x": rows}), y=rows % 2, folds=[(rows[:4], rows[4:])], task="binary",
        metric="accuracy", classes=np.array([0, 1]), preprocessing={}, seed=0,
    )
    executor = LocalExecutor(data, 2, [])
    executor.wait_ready(120)
    print(" ".join(str(p.pid) for p in executor._processes), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_workers_exit_when_their_parent_is_killed() -> None:
    # Not subprocess.run: orphans would hold its output pipe open, and it would wait for them.
    with subprocess.Popen(
        [sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True
    ) as parent:
        assert parent.stdout is not None
        workers = [int(pid) for pid in parent.stdout.readline().split()]
        parent.wait(timeout=180)
    assert len(workers) == 2
    deadline = time.monotonic() + 10
    while not all(_gone(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = [pid for pid in workers if not _gone(pid)]
    for pid in alive:  # not to leave them behind when the test fails
        psutil.Process(pid).kill()
    assert alive == []
