"""What the jobs' REST handlers answer, made from `JobService` calls: pages of definitions and
runs with the wire's relative notebook paths, a run's outputs and log, the dialog's notebook
and schedule previews, the sidebar's summary, and an output copied into the server's root.

Each function is the one blocking call a handler makes (off the event loop); none knows
tornado. `root` is the server's root folder: paths on the wire are relative to it.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.errors import InvalidInput
from studio.jobs import cron
from studio.jobs.entities import JobStatus, Trigger
from studio.jobs.execution import NOTEBOOK_NAME
from studio.jobs.notebooks import (
    inspect_parameters,
    notebook_kernel,
    read_notebook,
    resolve_in_root,
)
from studio.jobs.schemas import (
    NEXT_DEFINITIONS,
    DefinitionOut,
    DefinitionsOut,
    JobRunOut,
    JobRunsOut,
    KernelOut,
    LogOut,
    NextDefinitionOut,
    NotebookInfoOut,
    NotebookParameterOut,
    ScheduleOut,
    SchedulerOut,
    SummaryOut,
)
from studio.jobs.service import OUTPUT_NAMES
from studio.tracking.paging import decode_offset_token, encode_offset_token

if TYPE_CHECKING:
    from studio.jobs.entities import JobDefinition, JobRun
    from studio.jobs.service import JobService

__all__ = [
    "OUTPUTS_FOLDER",
    "definition_out",
    "definitions_page",
    "log_out",
    "notebook_info",
    "open_output",
    "relative_path",
    "run_out",
    "runs_page",
    "schedule_out",
    "summary_out",
]

OUTPUTS_FOLDER = "job-outputs"
"""Where `open_output` copies executed notebooks, under the server's root."""
_UNSAFE = re.compile(r"[^\w.\- ]+")


def relative_path(root: str | Path, absolute: str) -> str:
    """`absolute` relative to `root` (POSIX separators), or as is when it lies elsewhere (a
    run made from Python on a notebook outside the server's folder)."""
    real_root = os.path.realpath(root)
    try:
        inside = os.path.commonpath([real_root, absolute]) == real_root
    except ValueError:
        inside = False
    if not inside:
        return absolute
    return Path(os.path.relpath(absolute, real_root)).as_posix()


def definition_out(definition: JobDefinition, root: str | Path) -> DefinitionOut:
    description = cron.describe(definition.schedule) if definition.schedule else None
    return DefinitionOut.from_entity(
        definition, relative_path(root, definition.spec.notebook_path), description
    )


def definitions_page(
    service: JobService,
    root: str | Path,
    *,
    active: bool | None,
    name_contains: str | None,
    max_results: int,
    page_token: str | None,
) -> DefinitionsOut:
    offset = decode_offset_token(page_token)
    found, total = service.list_definitions(
        active=active, name_contains=name_contains, offset=offset, limit=max_results
    )
    return DefinitionsOut(
        definitions=[definition_out(definition, root) for definition in found],
        next_page_token=_next_token(offset, len(found), total),
        total=total,
    )


def run_out(service: JobService, job_run: JobRun, root: str | Path) -> JobRunOut:
    return _run_outs(service, [job_run], root)[0]


def runs_page(
    service: JobService,
    root: str | Path,
    *,
    definition_id: int | None,
    statuses: Sequence[str],
    triggers: Sequence[str],
    run_id: str | None,
    max_results: int,
    page_token: str | None,
) -> JobRunsOut:
    offset = decode_offset_token(page_token)
    found, total = service.list_runs(
        definition_id=definition_id,
        statuses=tuple(JobStatus(status) for status in statuses),
        triggers=tuple(Trigger(trigger) for trigger in triggers),
        run_id=run_id,
        offset=offset,
        limit=max_results,
    )
    return JobRunsOut(
        runs=_run_outs(service, found, root),
        next_page_token=_next_token(offset, len(found), total),
        total=total,
    )


def log_out(service: JobService, job_run_id: int, offset: int, limit: int) -> LogOut:
    # Whether the run had ended is read before the log: a run ending between the two reads
    # is then seen as not done, and the client reads once more, missing nothing.
    done = service.get_run(job_run_id).status.is_final
    text, next_offset = service.read_log(job_run_id, offset, limit)
    # Done: nothing more will come, the run having ended and this read reaching the end.
    return LogOut(text=text, offset=next_offset, done=done and next_offset - offset < limit)


def notebook_info(root: str | Path, path: str, kernel_specs: Mapping[str, Any]) -> NotebookInfoOut:
    """A notebook's parameters and kernel, and the kernels of this server (`kernel_specs`:
    `KernelSpecManager.get_all_specs()`)."""
    found = resolve_in_root(root, path)
    content = read_notebook(found)
    kernels = [
        KernelOut(name=name, display_name=str((info.get("spec") or {}).get("display_name") or name))
        for name, info in sorted(kernel_specs.items())
    ]
    return NotebookInfoOut(
        path=relative_path(root, str(found)),
        parameters=[NotebookParameterOut.from_entity(p) for p in inspect_parameters(found)],
        kernel_name=notebook_kernel(content),
        kernels=kernels,
    )


def schedule_out(service: JobService, expression: str, zone: str, count: int) -> ScheduleOut:
    checked = cron.check_schedule(expression)
    description, upcoming = service.preview_schedule(checked, zone, count)
    return ScheduleOut(
        cron=checked, timezone=cron.check_timezone(zone).key, description=description, next=upcoming
    )


def summary_out(service: JobService, root: str | Path) -> SummaryOut:
    running, _ = service.list_runs(statuses=(JobStatus.RUNNING,), limit=1000)
    _, queued = service.list_runs(statuses=(JobStatus.QUEUED,), limit=1)
    soonest = service.store.upcoming_definitions(NEXT_DEFINITIONS)
    return SummaryOut(
        running=_run_outs(service, running, root),
        queued=queued,
        next=[
            NextDefinitionOut(
                definition_id=definition.id,
                name=definition.name,
                next_run_at=definition.next_run_at,
                timezone=definition.timezone,
                schedule_description=cron.describe(definition.schedule)
                if definition.schedule
                else None,
            )
            for definition in soonest
        ],
        schedulers=[SchedulerOut(**found) for found in service.live_schedulers()],
    )


def open_output(service: JobService, job_run_id: int, root: str | Path) -> str:
    """Copy a run's executed notebook into `root` at
    `job-outputs/<job name>/<job run id>/<notebook name>.ipynb`, so that JupyterLab opens it;
    the path relative to `root`. A copy newer than the run's notebook is left alone (the user
    may have edited it); nothing is ever written outside `root`, whatever links lie inside."""
    job_run = service.get_run(job_run_id)
    source = service.output_path(job_run_id, NOTEBOOK_NAME)
    stem = _safe(Path(job_run.spec.notebook_path).stem, "notebook")
    relative = f"{OUTPUTS_FOLDER}/{_safe(job_run.name, 'job')}/{job_run.id}/{stem}.ipynb"
    # Checked before anything is made (a `job-outputs` link leading out is refused here), and
    # again once the folders exist, in case one was swapped for a link meanwhile.
    target = resolve_in_root(root, relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    target = resolve_in_root(root, relative)
    if target.is_file() and target.stat().st_mtime >= source.stat().st_mtime:
        return relative
    if target.exists() and not target.is_file():
        raise InvalidInput(f"{relative!r} exists and is not a file.")
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".ipynb.part")
    try:
        with os.fdopen(handle, "wb") as copy, source.open("rb") as original:
            shutil.copyfileobj(original, copy)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return relative


def _run_outs(service: JobService, runs: Sequence[JobRun], root: str | Path) -> list[JobRunOut]:
    experiments = _experiment_ids(service, (r.run_id for r in runs if r.run_id))
    now = service.clock()
    return [
        JobRunOut.from_entity(
            job_run,
            notebook_path=relative_path(root, job_run.spec.notebook_path),
            experiment_id=experiments.get(job_run.run_id) if job_run.run_id else None,
            outputs=_outputs(job_run),
            now=now,
        )
        for job_run in runs
    ]


def _experiment_ids(service: JobService, run_ids: Iterable[str]) -> dict[str, int]:
    return service.store.experiments_of(run_ids)


def _outputs(job_run: JobRun) -> list[str]:
    if job_run.output_dir is None or job_run.outputs_deleted:
        return []
    folder = Path(job_run.output_dir)
    return [name for name in OUTPUT_NAMES if (folder / name).is_file()]


def _next_token(offset: int, count: int, total: int) -> str | None:
    return encode_offset_token(offset + count) if count and offset + count < total else None


def _safe(name: str, fallback: str) -> str:
    """A file name made of `name`: one path segment, no leading dot."""
    cleaned = _UNSAFE.sub("_", name).strip(" .")[:100]
    return cleaned or fallback
