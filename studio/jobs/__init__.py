"""Notebook jobs: papermill runs of notebooks, now or on a cron schedule, each a tracking run.

    import studio.jobs

    job_run = studio.jobs.run_notebook("train.ipynb", parameters={"alpha": 0.5}, timeout=600)
    print(job_run.status, job_run.run_id, job_run.output_path)

    studio.jobs.create_definition("train.ipynb", schedule="0 2 * * *", timezone="Europe/Paris")

`api` is the Python API (`run_notebook`, `create_definition`, `list_runs`, `get_run`,
`cancel`), `cli` the `studio jobs` and `studio scheduler` commands. Underneath: `entities`
(standard library only), `orm` and `store`, `service` (`JobService`) and `lifecycle`, the
`scheduler`, the executors and the papermill `runner`; `schemas`, `handlers` and `routes` are
the REST API. Nothing is imported until used: `import studio.jobs` stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from studio.jobs.api import (
        cancel,
        create_definition,
        get_run,
        list_definitions,
        list_runs,
        run_definition,
        run_notebook,
        wait_for,
    )
    from studio.jobs.api_types import JobDefinition, JobRun
    from studio.jobs.entities import JobStatus, Trigger

__all__ = [
    "JobDefinition",
    "JobRun",
    "JobStatus",
    "Trigger",
    "cancel",
    "create_definition",
    "get_run",
    "list_definitions",
    "list_runs",
    "run_definition",
    "run_notebook",
    "wait_for",
]

_LAZY = {
    "JobDefinition": "studio.jobs.api_types",
    "JobRun": "studio.jobs.api_types",
    "JobStatus": "studio.jobs.entities",
    "Trigger": "studio.jobs.entities",
    "cancel": "studio.jobs.api",
    "create_definition": "studio.jobs.api",
    "get_run": "studio.jobs.api",
    "list_definitions": "studio.jobs.api",
    "list_runs": "studio.jobs.api",
    "run_definition": "studio.jobs.api",
    "run_notebook": "studio.jobs.api",
    "wait_for": "studio.jobs.api",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'studio.jobs' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
