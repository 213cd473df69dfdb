"""Launches of test notebooks, each with a job run id no other test process uses."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from studio.jobs.execution import Launch

__all__ = ["launch_of", "new_job_run_id"]


def new_job_run_id() -> int:
    """An id no concurrent test shares: processes are found by it machine-wide."""
    return random.randrange(10**9, 2 * 10**9)


def launch_of(notebook: Path, output_dir: Path, **fields: Any) -> Launch:
    """A launch of the notebook file at `notebook`, its outputs in `output_dir`."""
    job_run_id = fields.pop("job_run_id", None) or new_job_run_id()
    return Launch(
        job_run_id=job_run_id,
        run_id=fields.pop("run_id", f"run-{job_run_id}"),
        notebook=notebook.read_text(encoding="utf-8"),
        notebook_path=str(notebook),
        output_dir=str(output_dir),
        **fields,
    )
