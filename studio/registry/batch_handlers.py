"""The batch transform's REST route: score a file or folder under the server's root folder with
a model version, as a notebook job that the server's scheduler runs.

Authorized as "execute" on "studio.registry": it runs code (the job's notebook), like the
jobs' own run routes. Paths are relative to the server's root and never lead out of it; the
template notebook lands beside the input, inside the root, where the file browser shows it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from tornado import web

from studio.jobs.handlers import JobsHandler, authorized_to_execute
from studio.jobs.notebooks import resolve_below_root, resolve_in_root
from studio.jobs.schemas import JobRunOut
from studio.openapi import endpoint
from studio.registry.batch import prepare_job
from studio.registry.batch_schemas import BatchTransformIn
from studio.registry.feature import FEATURE
from studio.web import Route

if TYPE_CHECKING:
    from pathlib import Path

    from studio.jobs.entities import JobRun
    from studio.registry.service import RegistryService

__all__ = ["ROUTES", "BatchTransformHandler"]


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
        await self.queued(await self.call(self._submit, found.uri, body))

    def _submit(self, model_uri: str, body: BatchTransformIn) -> JobRun:
        source: Path = resolve_below_root(self.root, body.input_path)
        output = None if body.output_path is None else resolve_in_root(self.root, body.output_path)
        notebook, parameters = prepare_job(
            model_uri, source, output, body.chunk_rows, self.jobs.config.home
        )
        return self.jobs.submit(
            notebook,
            parameters=parameters,
            experiment=body.experiment,
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
