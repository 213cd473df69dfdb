"""REST handlers of the model registry: parse, make one call, serialize.

They reach the app's `RegistryService` as `registry`. Reads are authorized as "read" on
"studio.registry", everything else as "write" (jupyter_server's mapping of HTTP verbs):
approving a version lets endpoints load its code, so a deployment may let users browse the
registry without letting them change it. The reviewer recorded on a version is the Jupyter
user who made the request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from jupyter_server.auth.decorator import authorized
from tornado import web

from studio.openapi import endpoint
from studio.registry import views
from studio.registry.checks import MAX_VERSION
from studio.registry.feature import FEATURE
from studio.registry.schemas import (
    AliasIn,
    ApproveIn,
    LineageOut,
    ModelIn,
    ModelOut,
    ModelPatch,
    ModelsOut,
    ModelsQuery,
    RejectIn,
    VersionIn,
    VersionOut,
    VersionPatch,
    VersionsOut,
)
from studio.registry.service import MODEL_FOLDER_FILES
from studio.registry.uri import MAX_ALIAS_LENGTH
from studio.web import Route, StudioAPIHandler

if TYPE_CHECKING:
    from studio.registry.service import RegistryService

_VERSION = {"type": "integer", "minimum": 1, "maximum": MAX_VERSION}
_CHUNK = 1 << 20
_FILE = {"type": "string", "enum": list(MODEL_FOLDER_FILES)}
_ALIAS = {"type": "string", "minLength": 1, "maxLength": MAX_ALIAS_LENGTH}


class RegistryHandler(StudioAPIHandler):
    """Base of the registry's handlers, authorized as "studio.registry"."""

    auth_resource = FEATURE.auth_resource

    @property
    def registry(self) -> RegistryService:
        return cast("RegistryService", self.settings[FEATURE.settings_key])

    @property
    def actor(self) -> str | None:
        """The Jupyter user making the request, recorded as who did it."""
        return getattr(self.current_user, "username", None)

    def version_number(self, value: str) -> int:
        """A version number from the path; 0, like anything not a number, names nothing."""
        number = self.path_id(value, "model version", maximum=MAX_VERSION)
        if number < 1:
            raise self.not_found(f"No model version has number {value!r}.")
        return number


class ModelsHandler(RegistryHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "Registered models by name",
        operation_id="listRegisteredModels",
        query=ModelsQuery,
        response=ModelsOut,
    )
    async def get(self) -> None:
        query = self.parse_query(ModelsQuery)
        self.reply(views.models_out(await self.call(self.registry.list_models, query.filter)))

    @web.authenticated
    @authorized
    @endpoint(
        "Create a registered model (registering a version makes one too)",
        operation_id="createRegisteredModel",
        body=ModelIn,
        response=ModelOut,
        status=201,
        errors=(409,),
    )
    async def post(self) -> None:
        body = self.parse_body(ModelIn)
        created = await self.call(
            self.registry.create_model,
            body.name,
            description=body.description,
            gates=body.gates,
            tags=body.tags,
        )
        self.reply(views.model_out(created), 201)


class ModelHandler(RegistryHandler):
    @web.authenticated
    @authorized
    @endpoint("A registered model", operation_id="getRegisteredModel", response=ModelOut)
    async def get(self, name: str) -> None:
        self.reply(views.model_out(await self.call(self.registry.get_model, name)))

    @web.authenticated
    @authorized
    @endpoint(
        "Change a registered model's description, gates or tags",
        operation_id="updateRegisteredModel",
        body=ModelPatch,
        response=ModelOut,
        errors=(409,),
    )
    async def patch(self, name: str) -> None:
        body = self.parse_body(ModelPatch)
        changed = await self.call(self.registry.update_model, name, **body.changes())
        self.reply(views.model_out(changed))

    @web.authenticated
    @authorized
    @endpoint(
        "Delete a registered model with its versions (refused while one is deployed)",
        operation_id="deleteRegisteredModel",
        status=204,
        errors=(409,),
    )
    async def delete(self, name: str) -> None:
        await self.call(self.registry.delete_model, name)
        self.reply(None, 204)


class VersionsHandler(RegistryHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "A registered model's versions, newest first",
        operation_id="listModelVersions",
        response=VersionsOut,
    )
    async def get(self, name: str) -> None:
        self.reply(views.versions_out(await self.call(self.registry.list_versions, name)))

    @web.authenticated
    @authorized
    @endpoint(
        "Register a run's model as the model's next version (the model is made if new)",
        operation_id="registerModelVersion",
        body=VersionIn,
        response=VersionOut,
        status=201,
        errors=(404, 409),
    )
    async def post(self, name: str) -> None:
        body = self.parse_body(VersionIn)
        made = await self.call(
            self.registry.register,
            body.source,
            name,
            description=body.description,
            tags=body.tags,
            actor=self.actor,
        )
        self.reply(views.version_out(made), 201)


class VersionHandler(RegistryHandler):
    @web.authenticated
    @authorized
    @endpoint("A model version", operation_id="getModelVersion", response=VersionOut)
    async def get(self, name: str, version: str) -> None:
        found = await self.call(self.registry.get_version, name, self.version_number(version))
        self.reply(views.version_out(found))

    @web.authenticated
    @authorized
    @endpoint(
        "Change a model version's description or tags",
        operation_id="updateModelVersion",
        body=VersionPatch,
        response=VersionOut,
        errors=(409,),
    )
    async def patch(self, name: str, version: str) -> None:
        number = self.version_number(version)
        body = self.parse_body(VersionPatch)
        changed = await self.call(self.registry.update_version, name, number, **body.changes())
        self.reply(views.version_out(changed))

    @web.authenticated
    @authorized
    @endpoint(
        "Delete a model version and its aliases (refused while it is deployed); its number "
        "is never given again",
        operation_id="deleteModelVersion",
        status=204,
        errors=(409,),
    )
    async def delete(self, name: str, version: str) -> None:
        await self.call(self.registry.delete_version, name, self.version_number(version))
        self.reply(None, 204)


class ApproveHandler(RegistryHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "Approve a version for serving: its run must pass the model's gates, and types "
        "outside Studio's trusted ones must be approved by name",
        operation_id="approveModelVersion",
        body=ApproveIn,
        response=VersionOut,
        errors=(409,),
    )
    async def post(self, name: str, version: str) -> None:
        number = self.version_number(version)
        body = self.parse_body(ApproveIn) if self.request.body.strip() else ApproveIn()
        approved = await self.call(
            self.registry.approve,
            name,
            number,
            actor=self.actor,
            approve_types=body.approve_types,
            comment=body.comment,
        )
        self.reply(views.version_out(approved))


class RejectHandler(RegistryHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "Reject a version",
        operation_id="rejectModelVersion",
        body=RejectIn,
        response=VersionOut,
        errors=(409,),
    )
    async def post(self, name: str, version: str) -> None:
        number = self.version_number(version)
        body = self.parse_body(RejectIn) if self.request.body.strip() else RejectIn()
        rejected = await self.call(
            self.registry.reject, name, number, actor=self.actor, comment=body.comment
        )
        self.reply(views.version_out(rejected))


class LineageHandler(RegistryHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "Where a version came from (run, job, notebook, data) and where it is deployed, "
        "with its gates and the types it needs approved",
        operation_id="getModelVersionLineage",
        response=LineageOut,
    )
    async def get(self, name: str, version: str) -> None:
        number = self.version_number(version)
        lineage = await self.call(self.registry.lineage, name, number)
        self.reply(views.lineage_out(lineage, f"models:/{name}/{number}"))


class FileHandler(RegistryHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "Download a file of a version's model folder (studio-model.json, model.skops or "
        "model.joblib), to load it elsewhere",
        operation_id="downloadModelVersionFile",
        raw_response="application/octet-stream",
    )
    async def get(self, name: str, version: str, file: str) -> None:
        number = self.version_number(version)
        stream, size = await self.call(self.registry.open_file, name, number, file)
        with stream:
            self.set_header("Content-Type", "application/octet-stream")
            self.set_header("X-Content-Type-Options", "nosniff")
            if size is not None:
                self.set_header("Content-Length", size)
            while chunk := await self.call(stream.read, _CHUNK):
                self.write(chunk)
                await self.flush()
        self.finish()


class AliasHandler(RegistryHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "Point an alias at a version (moving it from another)",
        operation_id="setModelAlias",
        body=AliasIn,
        response=VersionOut,
        errors=(404, 409),
    )
    async def put(self, name: str, alias: str) -> None:
        body = self.parse_body(AliasIn)
        moved = await self.call(self.registry.set_alias, name, alias, body.version)
        self.reply(views.version_out(moved))

    @web.authenticated
    @authorized
    @endpoint("Delete an alias", operation_id="deleteModelAlias", status=204, errors=(409,))
    async def delete(self, name: str, alias: str) -> None:
        await self.call(self.registry.delete_alias, name, alias)
        self.reply(None, 204)


_PREFIX = "/studio/api/models"
_MODEL = f"{_PREFIX}/{{name}}"
_ONE_VERSION = f"{_MODEL}/versions/{{version}}"
ROUTES: list[Route] = [
    Route(_PREFIX, ModelsHandler),
    Route(_MODEL, ModelHandler),
    Route(f"{_MODEL}/versions", VersionsHandler),
    Route(_ONE_VERSION, VersionHandler, {"version": _VERSION}),
    Route(f"{_ONE_VERSION}/approve", ApproveHandler, {"version": _VERSION}),
    Route(f"{_ONE_VERSION}/reject", RejectHandler, {"version": _VERSION}),
    Route(f"{_ONE_VERSION}/lineage", LineageHandler, {"version": _VERSION}),
    Route(f"{_ONE_VERSION}/files/{{file}}", FileHandler, {"version": _VERSION, "file": _FILE}),
    Route(f"{_MODEL}/aliases/{{alias}}", AliasHandler, {"alias": _ALIAS}),
]
