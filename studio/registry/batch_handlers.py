"""The batch transform's REST route: score a file or folder under the server's root folder with
a model version, as a notebook job that the server's scheduler runs.

Authorized as "execute" on "studio.registry": it runs code (the job's notebook), like the
jobs' own run routes. Paths are relative to the server's root and never lead out of it; the
template notebook lands beside the input, inside the root, where the file browser shows it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, cast

from pydantic import Field
from tornado import web

from studio.jobs.handlers import JobsHandler, authorized_to_execute
from studio.jobs.notebooks import resolve_in_root
from studio.jobs.schemas import MAX_PATH_LENGTH, JobRunOut
from studio.openapi import endpoint
from studio.registry.batch import (
    DEFAULT_CHUNK_ROWS,
    EXPERIMENT,
    MAX_CHUNK_ROWS,
    input_files,
    template_parameters,
    template_path,
    write_template,
)
from studio.registry.feature import FEATURE
from studio.web import Route
from studio.wire import WireIn

if TYPE_CHECKING:
    from pathlib import Path

    from studio.jobs.entities import JobRun
    from studio.registry.service import RegistryService

__all__ = ["ROUTES", "BatchTransformHandler", "BatchTransformIn"]

RootPath = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_PATH_LENGTH,
        description="A path relative to the server's root folder.",
    ),
]


class BatchTransformIn(WireIn, title="BatchTransformIn"):
    """Score a .csv or .parquet file, or a folder of them, with a model version."""

    input_path: RootPath
    output_path: RootPath | None = Field(
        None,
        description="None: <input stem>.predictions.<ext> (a file), <input>.predictions/ "
        "(a folder), beside the input.",
    )
    chunk_rows: int = Field(
        DEFAULT_CHUNK_ROWS, ge=1, le=MAX_CHUNK_ROWS, description="Rows read and scored at a time."
    )


class BatchTransformHandler(JobsHandler):
    auth_resource = FEATURE.auth_resource

    @property
    def registry(self) -> RegistryService:
        return cast("RegistryService", self.settings[FEATURE.settings_key])

    @web.authenticated
    @authorized_to_execute
    @endpoint(
        "Score a file or folder with a model version, as a notebook job",
        operation_id="batchTransform",
        body=BatchTransformIn,
        response=JobRunOut,
        status=201,
        errors=(404,),
    )
    async def post(self, name: str, version: str) -> None:
        number = self.path_id(version, "model version")
        body = self.parse_body(BatchTransformIn)
        found = await self.call(self.registry.get_version, name, number)
        job_run = await self.call(
            self._submit, found.uri, body.input_path, body.output_path, body.chunk_rows
        )
        await self.queued(job_run)

    def _submit(
        self, model_uri: str, input_path: str, output_path: str | None, chunk_rows: int
    ) -> JobRun:
        source: Path = resolve_in_root(self.root, input_path)
        input_files(source)
        output = None if output_path is None else resolve_in_root(self.root, output_path)
        parameters = template_parameters(model_uri, source, output, chunk_rows)
        notebook = write_template(template_path(source), parameters)
        return self.jobs.submit(
            notebook,
            parameters=parameters,
            experiment=EXPERIMENT,
            name=f"batch-transform {source.name}"[:200],
        )


ROUTES: list[Route] = [
    Route(
        "/studio/api/models/{name}/versions/{version}/batch-transform",
        BatchTransformHandler,
        {"version": {"type": "integer", "minimum": 1}},
    ),
]
"""The batch transform's route; the registry's `ROUTES` include it."""
