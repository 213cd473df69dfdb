"""`build_executor`: the executor that `c.StudioApp.executor_class` names."""

from __future__ import annotations

import subprocess
import sys

import pytest

from studio.errors import InvalidInput
from studio.jobs.dask_executor import DaskExecutor
from studio.jobs.executors import build_executor
from studio.jobs.local_executor import LocalExecutor


def build(kind: str, address: str = "") -> object:
    return build_executor(kind, dask_scheduler_address=address, max_bundle_bytes=5 * 2**20)


def test_executors_by_name_and_by_reference() -> None:
    assert isinstance(build("local"), LocalExecutor)
    dask = build("dask", "tcp://scheduler:8786")
    assert isinstance(dask, DaskExecutor)
    assert (dask.scheduler_address, dask.max_bundle_bytes) == ("tcp://scheduler:8786", 5 * 2**20)
    assert isinstance(build("studio.jobs.local_executor:LocalExecutor"), LocalExecutor)


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("dask", "needs the Dask scheduler's address"),
        ("kubernetes", "use 'local' or 'dask', or a 'module:Class' reference"),
        ("studio.jobs.nowhere:Executor", "names nothing"),
        ("studio.jobs.local_executor:Nothing", "names nothing"),
    ],
)
def test_refuses_what_names_no_executor(kind: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        build(kind)


def test_the_dask_executor_loads_distributed_only_when_it_connects() -> None:
    code = (
        "import sys, studio.jobs, studio.jobs.executors, studio.jobs.dask_executor\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('distributed', 'dask')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert loaded.strip() == "[]"
