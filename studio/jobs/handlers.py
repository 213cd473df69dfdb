"""REST handlers of notebook jobs: parse, make one call, serialize.

They reach the app's `JobService` as `jobs`, and answer through `studio.jobs.views`, which
turns the service's objects into wire models with paths relative to the server's root
folder. Reads are authorized as "read" on "studio.jobs"; stopping and removing as "write";
and as "execute" all that decides what code the server runs, now or later: starting a run,
and making, changing, resuming or refreshing a definition (its schedule starts runs). So a
deployment may let users watch jobs, or cancel them, without letting them run any.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from jupyter_server.auth.decorator import authorized
from tornado import web

from studio.jobs import views
from studio.jobs.execution import LOG_NAME
from studio.jobs.feature import FEATURE
from studio.jobs.notebooks import resolve_in_root
from studio.jobs.schemas import (
    DefinitionIn,
    DefinitionOut,
    DefinitionPatch,
    DefinitionsOut,
    DefinitionsQuery,
    JobRunIn,
    JobRunOut,
    JobRunsOut,
    JobRunsQuery,
    LogOut,
    LogQuery,
    NotebookInfoOut,
    NotebookQuery,
    OpenedOut,
    ParametersIn,
    ScheduleOut,
    ScheduleQuery,
    SummaryOut,
)
from studio.jobs.service import OUTPUT_NAMES
from studio.openapi import endpoint
from studio.web import Route, StudioAPIHandler, authorized_to

if TYPE_CHECKING:
    from pathlib import Path

    from studio.jobs.entities import JobRun
    from studio.jobs.service import JobService

SCHEDULER_SETTING = "studio_jobs_scheduler"
"""The web application's setting holding the server's scheduler, woken when a run is queued."""
F = TypeVar("F", bound=Callable[..., Any])
# Starting a notebook runs code: Jupyter's own action for it (its terminals' and kernels').
authorized_to_execute = authorized_to("execute")
_CONTENT_TYPES = {
    "output.ipynb": "application/x-ipynb+json",
    "output.html": "text/html; charset=utf-8",
    "job.log": "text/plain; charset=utf-8",
}
_CHUNK = 1 << 20
_ID = {"type": "integer", "minimum": 1}


class JobsHandler(StudioAPIHandler):
    """Base of the jobs' handlers, authorized as "studio.jobs"."""

    auth_resource = FEATURE.auth_resource

    @property
    def jobs(self) -> JobService:
        return cast("JobService", self.settings[FEATURE.settings_key])

    @property
    def root(self) -> str:
        """The server's root folder: notebook paths on the wire are relative to it."""
        return str(self.serverapp.root_dir)

    def wake_scheduler(self) -> None:
        """Tell the server's scheduler (when it runs one) that a run waits."""
        scheduler = self.settings.get(SCHEDULER_SETTING)
        if scheduler is not None:
            scheduler.wake()

    async def queued(self, job_run: JobRun) -> None:
        """Answer a run just queued: 201 with it, after waking the scheduler."""
        self.wake_scheduler()
        self.reply(await self.call(views.run_out, self.jobs, job_run, self.root), 201)

    def definition_id(self, value: str) -> int:
        return self.path_id(value, "job definition")

    def job_run_id(self, value: str) -> int:
        return self.path_id(value, "job run")


# Definitions -----------------------------------------------------------------------------------


class DefinitionsHandler(JobsHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "Job definitions by name, a page at a time",
        operation_id="listJobDefinitions",
        query=DefinitionsQuery,
        response=DefinitionsOut,
    )
    async def get(self) -> None:
        query = self.parse_query(DefinitionsQuery)
        page = await self.call(
            views.definitions_page,
            self.jobs,
            self.root,
            active=query.active,
            name_contains=query.q,
            max_results=query.max_results,
            page_token=query.page_token,
        )
        self.reply(page)

    @web.authenticated
    @authorized_to_execute
    @endpoint(
        "Create a job definition; its notebook is snapshotted now",
        operation_id="createJobDefinition",
        body=DefinitionIn,
        response=DefinitionOut,
        status=201,
        errors=(404, 409, 413),
    )
    async def post(self) -> None:
        body = self.parse_body(DefinitionIn)
        fields = body.model_dump()
        notebook = await self.call(resolve_in_root, self.root, fields.pop("notebook_path"))
        name = fields.pop("name")
        created = await self.call(self.jobs.create_definition, name, notebook, **fields)
        self.wake_scheduler()
        self.reply(await self.call(views.definition_out, created, self.root), 201)


class DefinitionHandler(JobsHandler):
    @web.authenticated
    @authorized
    @endpoint("A job definition", operation_id="getJobDefinition", response=DefinitionOut)
    async def get(self, definition_id: str) -> None:
        found = await self.call(self.jobs.get_definition, self.definition_id(definition_id))
        self.reply(await self.call(views.definition_out, found, self.root))

    @web.authenticated
    @authorized_to_execute
    @endpoint(
        "Change a job definition: the fields given, the others kept",
        operation_id="updateJobDefinition",
        body=DefinitionPatch,
        response=DefinitionOut,
        errors=(409,),
    )
    async def patch(self, definition_id: str) -> None:
        key = self.definition_id(definition_id)
        body = self.parse_body(DefinitionPatch)
        changed = await self.call(self.jobs.update_definition, key, **body.changes())
        self.wake_scheduler()
        self.reply(await self.call(views.definition_out, changed, self.root))

    @web.authenticated
    @authorized
    @endpoint(
        "Delete a job definition (its runs stay)",
        operation_id="deleteJobDefinition",
        status=204,
        errors=(409,),
    )
    async def delete(self, definition_id: str) -> None:
        await self.call(self.jobs.delete_definition, self.definition_id(definition_id))
        self.reply(None, 204)


class PauseHandler(JobsHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "Pause a job definition: its schedule starts no run until resumed",
        operation_id="pauseJobDefinition",
        response=DefinitionOut,
    )
    async def post(self, definition_id: str) -> None:
        changed = await self.call(self.jobs.pause, self.definition_id(definition_id))
        self.reply(await self.call(views.definition_out, changed, self.root))


class ResumeHandler(JobsHandler):
    @web.authenticated
    @authorized_to_execute
    @endpoint(
        "Resume a job definition: its next occurrence counts from now",
        operation_id="resumeJobDefinition",
        response=DefinitionOut,
    )
    async def post(self, definition_id: str) -> None:
        changed = await self.call(self.jobs.resume, self.definition_id(definition_id))
        self.wake_scheduler()
        self.reply(await self.call(views.definition_out, changed, self.root))


class RefreshHandler(JobsHandler):
    @web.authenticated
    @authorized_to_execute
    @endpoint(
        "Snapshot a job definition's notebook file again, as it is now",
        operation_id="refreshJobDefinition",
        response=DefinitionOut,
        errors=(400, 413),
    )
    async def post(self, definition_id: str) -> None:
        changed = await self.call(self.jobs.refresh_snapshot, self.definition_id(definition_id))
        self.reply(await self.call(views.definition_out, changed, self.root))


class DefinitionRunsHandler(JobsHandler):
    @web.authenticated
    @authorized_to_execute
    @endpoint(
        "Run a job definition now, its parameters overridden by those given",
        operation_id="runJobDefinition",
        body=ParametersIn,
        response=JobRunOut,
        status=201,
    )
    async def post(self, definition_id: str) -> None:
        key = self.definition_id(definition_id)
        body = self.parse_body(ParametersIn)
        await self.queued(await self.call(self.jobs.run_definition, key, body.parameters))


# Job runs --------------------------------------------------------------------------------------


class RunsHandler(JobsHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "Job runs, newest first, a page at a time",
        operation_id="listJobRuns",
        query=JobRunsQuery,
        response=JobRunsOut,
    )
    async def get(self) -> None:
        query = self.parse_query(JobRunsQuery)
        page = await self.call(
            views.runs_page,
            self.jobs,
            self.root,
            definition_id=query.definition_id,
            statuses=query.status,
            triggers=query.trigger,
            run_id=query.run_id,
            max_results=query.max_results,
            page_token=query.page_token,
        )
        self.reply(page)

    @web.authenticated
    @authorized_to_execute
    @endpoint(
        "Run a notebook file as it is now, without a definition",
        operation_id="createJobRun",
        body=JobRunIn,
        response=JobRunOut,
        status=201,
        errors=(404, 413),
    )
    async def post(self) -> None:
        body = self.parse_body(JobRunIn)
        fields: dict[str, Any] = body.model_dump()
        notebook = await self.call(resolve_in_root, self.root, fields.pop("notebook_path"))
        await self.queued(await self.call(self.jobs.submit, notebook, **fields))


class RunHandler(JobsHandler):
    @web.authenticated
    @authorized
    @endpoint("A job run", operation_id="getJobRun", response=JobRunOut)
    async def get(self, job_run_id: str) -> None:
        found = await self.call(self.jobs.get_run, self.job_run_id(job_run_id))
        self.reply(await self.call(views.run_out, self.jobs, found, self.root))

    @web.authenticated
    @authorized
    @endpoint(
        "Delete a finished job run and its outputs (its tracking run stays)",
        operation_id="deleteJobRun",
        status=204,
        errors=(409,),
    )
    async def delete(self, job_run_id: str) -> None:
        await self.call(self.jobs.delete_run, self.job_run_id(job_run_id))
        self.reply(None, 204)


class CancelHandler(JobsHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "Cancel a job run: a queued one at once, a running one within a heartbeat",
        operation_id="cancelJobRun",
        response=JobRunOut,
        errors=(409,),
    )
    async def post(self, job_run_id: str) -> None:
        found = await self.call(self.jobs.cancel, self.job_run_id(job_run_id))
        self.wake_scheduler()
        self.reply(await self.call(views.run_out, self.jobs, found, self.root))


class RerunHandler(JobsHandler):
    @web.authenticated
    @authorized_to_execute
    @endpoint(
        "Run again what a job run ran (the same snapshot), with other parameters",
        operation_id="rerunJobRun",
        body=ParametersIn,
        response=JobRunOut,
        status=201,
    )
    async def post(self, job_run_id: str) -> None:
        key = self.job_run_id(job_run_id)
        body = self.parse_body(ParametersIn)
        await self.queued(await self.call(self.jobs.rerun, key, body.parameters))


class LogHandler(JobsHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "Part of a job run's log, from a byte offset (tail it with the offset answered)",
        operation_id="getJobRunLog",
        query=LogQuery,
        response=LogOut,
    )
    async def get(self, job_run_id: str) -> None:
        key = self.job_run_id(job_run_id)
        query = self.parse_query(LogQuery)
        self.reply(await self.call(views.log_out, self.jobs, key, query.offset, query.limit))


class OutputHandler(JobsHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "Download one of a job run's outputs: output.ipynb, output.html or job.log",
        operation_id="downloadJobRunOutput",
        raw_response="application/octet-stream",
    )
    async def get(self, job_run_id: str, name: str) -> None:
        key = self.job_run_id(job_run_id)
        if name not in OUTPUT_NAMES:
            raise self.not_found(
                f"A job run has no output {name!r}: one of {', '.join(OUTPUT_NAMES)}."
            )
        path: Path = await self.call(self.jobs.output_path, key, name)
        self.set_header("Content-Type", _CONTENT_TYPES[name])
        self.set_header("Content-Disposition", f'attachment; filename="{key}-{name}"')
        self.set_header("X-Content-Type-Options", "nosniff")
        with path.open("rb") as handle:
            # A running job's log grows, and its notebook is rewritten after every cell: the
            # answer is the file as long as it was when opened (the notebook read whole, so
            # that a rewrite meanwhile cannot leave the answer short of its length).
            left = os.fstat(handle.fileno()).st_size
            if name != LOG_NAME:
                data = handle.read()
                self.set_header("Content-Length", len(data))
                self.finish(data, set_content_type=_CONTENT_TYPES[name])
                return
            self.set_header("Content-Length", left)
            while left > 0 and (chunk := handle.read(min(_CHUNK, left))):
                left -= len(chunk)
                self.write(chunk)
                await self.flush()
        self.finish(set_content_type=_CONTENT_TYPES[name])


class OpenOutputHandler(JobsHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "Copy a job run's executed notebook under job-outputs/ in the server's root, to open it",
        operation_id="openJobRunOutput",
        response=OpenedOut,
        # A folder on the way that leads out of the server's root (a link) is refused.
        errors=(400,),
    )
    async def post(self, job_run_id: str) -> None:
        key = self.job_run_id(job_run_id)
        self.reply(OpenedOut(path=await self.call(views.open_output, self.jobs, key, self.root)))


# The dialog and the sidebar --------------------------------------------------------------------


class NotebookHandler(JobsHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "A notebook's parameters (papermill's reading) and kernel, and this server's kernels",
        operation_id="inspectJobNotebook",
        query=NotebookQuery,
        response=NotebookInfoOut,
        errors=(404, 413),
    )
    async def get(self) -> None:
        query = self.parse_query(NotebookQuery)
        specs = await self.call(self.kernel_spec_manager.get_all_specs)
        self.reply(await self.call(views.notebook_info, self.root, query.path, specs))


class ScheduleHandler(JobsHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "A cron schedule in words and its next occurrences (400 when it is not valid)",
        operation_id="previewJobSchedule",
        query=ScheduleQuery,
        response=ScheduleOut,
    )
    async def get(self) -> None:
        query = self.parse_query(ScheduleQuery)
        self.reply(
            await self.call(views.schedule_out, self.jobs, query.cron, query.timezone, query.count)
        )


class SummaryHandler(JobsHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "What runs now, how many wait, what runs next, and the live schedulers",
        operation_id="getJobsSummary",
        response=SummaryOut,
    )
    async def get(self) -> None:
        self.reply(await self.call(views.summary_out, self.jobs, self.root))


_PREFIX = "/studio/api/jobs"
ROUTES: list[Route] = [
    Route(f"{_PREFIX}/definitions", DefinitionsHandler),
    Route(f"{_PREFIX}/definitions/{{definition_id}}", DefinitionHandler, {"definition_id": _ID}),
    Route(
        f"{_PREFIX}/definitions/{{definition_id}}/runs",
        DefinitionRunsHandler,
        {"definition_id": _ID},
    ),
    Route(f"{_PREFIX}/definitions/{{definition_id}}/pause", PauseHandler, {"definition_id": _ID}),
    Route(f"{_PREFIX}/definitions/{{definition_id}}/resume", ResumeHandler, {"definition_id": _ID}),
    Route(
        f"{_PREFIX}/definitions/{{definition_id}}/refresh", RefreshHandler, {"definition_id": _ID}
    ),
    Route(f"{_PREFIX}/runs", RunsHandler),
    Route(f"{_PREFIX}/runs/{{job_run_id}}", RunHandler, {"job_run_id": _ID}),
    Route(f"{_PREFIX}/runs/{{job_run_id}}/cancel", CancelHandler, {"job_run_id": _ID}),
    Route(f"{_PREFIX}/runs/{{job_run_id}}/rerun", RerunHandler, {"job_run_id": _ID}),
    Route(f"{_PREFIX}/runs/{{job_run_id}}/log", LogHandler, {"job_run_id": _ID}),
    Route(f"{_PREFIX}/runs/{{job_run_id}}/outputs/open", OpenOutputHandler, {"job_run_id": _ID}),
    Route(
        f"{_PREFIX}/runs/{{job_run_id}}/outputs/{{name}}",
        OutputHandler,
        {"job_run_id": _ID, "name": {"type": "string", "enum": list(OUTPUT_NAMES)}},
    ),
    Route(f"{_PREFIX}/notebook", NotebookHandler),
    Route(f"{_PREFIX}/schedule", ScheduleHandler),
    Route(f"{_PREFIX}/summary", SummaryHandler),
]
