"""The executor a scheduler runs its jobs with, from the app's configuration
(`c.StudioApp.executor_class`, `dask_scheduler_address`, `max_bundle_mb`).

Each executor module is imported only when chosen: the Dask one loads `distributed`, which a
server running jobs locally never needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.errors import InvalidInput
from studio.features import resolve

if TYPE_CHECKING:
    from studio.jobs.execution import Executor

__all__ = ["build_executor"]


def build_executor(kind: str, *, dask_scheduler_address: str, max_bundle_bytes: int) -> Executor:
    """The executor `kind` names: "local", "dask", or a `"module:Class"` built with no
    arguments."""
    if kind == "local":
        from studio.jobs.local_executor import LocalExecutor

        return LocalExecutor()
    if kind == "dask":
        if not dask_scheduler_address:
            raise InvalidInput(
                "c.StudioApp.executor_class = 'dask' needs the Dask scheduler's address in "
                "c.StudioApp.dask_scheduler_address (tcp://host:8786)."
            )
        from studio.jobs.dask_executor import DaskExecutor

        return DaskExecutor(dask_scheduler_address, max_bundle_bytes=max_bundle_bytes)
    if ":" not in kind:
        raise InvalidInput(
            f"c.StudioApp.executor_class is {kind!r}: use 'local' or 'dask', or a "
            "'module:Class' reference to an executor class."
        )
    try:
        executor_class = resolve(kind)
    except (ImportError, AttributeError) as exc:
        raise InvalidInput(f"c.StudioApp.executor_class {kind!r} names nothing: {exc}") from exc
    executor: Executor = executor_class()
    return executor
