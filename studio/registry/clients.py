"""Where the Python API, `Client` and `studio models` find the registry: the store itself
(`LocalRegistry`, a `RegistryService` on the configured database) or a Studio server's REST
API (`RestRegistry`, where the tracking URI is an `http(s)://` URL, with `STUDIO_TOKEN`).
Both answer with the registry's `ModelVersion` and `RegisteredModel` and raise the same
`StudioError`s.

Who reviews: locally, the operating system's user (`getpass.getuser()`) unless `actor` says
otherwise; through a server, the Jupyter user the token belongs to. Versions read through a
server carry no store id and no storage path (`id` 0, `storage_path` ""): those belong to the
server's machine; `load` downloads the model folder instead.
"""

from __future__ import annotations

import getpass
import os
import tempfile
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pydantic import ValidationError

from studio.config import TOKEN_ENV, TRACKING_URI_ENV, StudioConfig
from studio.errors import InvalidInput, NotFound
from studio.registry.entities import ApprovalStatus, ModelVersion, RegisteredModel
from studio.registry.uri import parse_model_uri

if TYPE_CHECKING:
    from studio.registry.schemas import ModelOut, VersionOut
    from studio.registry.service import RegistryService
    from studio.tracking.rest import RestTrackingClient

__all__ = ["LocalRegistry", "RestRegistry", "registry_client"]

_clients: dict[str, LocalRegistry | RestRegistry] = {}
_lock = threading.Lock()


def registry_client(tracking_uri: str | None = None) -> LocalRegistry | RestRegistry:
    """The process-wide registry client for a tracking URI (None: `STUDIO_TRACKING_URI`, else
    the configured store): an `http(s)://` server, a database URL, or a `STUDIO_HOME` folder."""
    uri = tracking_uri or os.environ.get(TRACKING_URI_ENV) or ""
    remote = uri.startswith(("http://", "https://"))
    config = None if remote else _config(uri)
    # Keyed by where it leads: the environment may name another store later (tests do).
    key = uri if config is None else f"{config.db_url} {config.home} {config.artifact_root}"
    with _lock:
        found = _clients.get(key)
        if found is None:
            found = _make_client(uri, config)
            _clients[key] = found
        return found


def _config(uri: str) -> StudioConfig:
    return (
        StudioConfig.resolve(db_url=uri) if "://" in uri else StudioConfig.resolve(home=uri or None)
    )


def _make_client(uri: str, config: StudioConfig | None) -> LocalRegistry | RestRegistry:
    if config is None:
        from studio.tracking.rest import RestTrackingClient

        return RestRegistry(RestTrackingClient(uri, os.environ.get(TOKEN_ENV, "")))
    from studio.db.engine import Database
    from studio.registry.service import RegistryService

    return LocalRegistry(RegistryService.from_database(Database.from_config(config), config))


class LocalRegistry:
    """The registry of the store this process is configured for."""

    def __init__(self, service: RegistryService) -> None:
        self.service = service

    def register(
        self,
        source: str,
        name: str,
        *,
        description: str = "",
        tags: Mapping[str, str] | None = None,
        actor: str | None = None,
    ) -> ModelVersion:
        return self.service.register(
            source, name, description=description, tags=tags, actor=actor or _user()
        )

    def create_model(self, name: str, **fields: Any) -> RegisteredModel:
        return self.service.create_model(name, **fields)

    def get_model(self, name: str) -> RegisteredModel:
        return self.service.get_model(name)

    def list_models(self, filter: str | None = None) -> list[RegisteredModel]:
        return self.service.list_models(filter)

    def update_model(self, name: str, **changes: Any) -> RegisteredModel:
        return self.service.update_model(name, **changes)

    def delete_model(self, name: str) -> None:
        self.service.delete_model(name)

    def get_version(self, name: str, version: int) -> ModelVersion:
        return self.service.get_version(name, version)

    def list_versions(self, name: str) -> list[ModelVersion]:
        return self.service.list_versions(name)

    def resolve(self, uri: str) -> ModelVersion:
        return self.service.resolve(uri)

    def update_version(self, name: str, version: int, **changes: Any) -> ModelVersion:
        return self.service.update_version(name, version, **changes)

    def delete_version(self, name: str, version: int) -> None:
        self.service.delete_version(name, version)

    def set_alias(self, name: str, alias: str, version: int) -> ModelVersion:
        return self.service.set_alias(name, alias, version)

    def delete_alias(self, name: str, alias: str) -> None:
        self.service.delete_alias(name, alias)

    def approve(
        self,
        name: str,
        version: int,
        *,
        approve_types: Iterable[str] = (),
        comment: str = "",
        actor: str | None = None,
    ) -> ModelVersion:
        return self.service.approve(
            name, version, actor=actor or _user(), approve_types=approve_types, comment=comment
        )

    def reject(
        self, name: str, version: int, *, comment: str = "", actor: str | None = None
    ) -> ModelVersion:
        return self.service.reject(name, version, actor=actor or _user(), comment=comment)

    def lineage(self, name: str, version: int) -> dict[str, Any]:
        from studio.registry.views import lineage_out

        found = self.service.get_version(name, version)
        return lineage_out(self.service.lineage(name, found.version), found.uri).model_dump()

    def load(self, uri: str, *, trusted: bool = False) -> Any:
        return self.service.load(uri, trusted=trusted)


class RestRegistry:
    """The registry of a Studio server, through its REST API (`/studio/api/models/...`)."""

    def __init__(self, tracking: RestTrackingClient) -> None:
        self.tracking = tracking
        self._json = tracking._json
        self._send = tracking._send

    def register(
        self,
        source: str,
        name: str,
        *,
        description: str = "",
        tags: Mapping[str, str] | None = None,
        actor: str | None = None,
    ) -> ModelVersion:
        from studio.registry.schemas import VersionIn, VersionOut

        body = _body(
            VersionIn, {"source": source, "description": description, "tags": dict(tags or {})}
        )
        return _version(self._json("POST", f"{_model(name)}/versions", VersionOut, body=body))

    def create_model(self, name: str, **fields: Any) -> RegisteredModel:
        from studio.registry.schemas import ModelIn, ModelOut

        given = {key: value for key, value in fields.items() if value is not None}
        body = _body(ModelIn, {"name": name, **given})
        return _registered(self._json("POST", "/models", ModelOut, body=body))

    def get_model(self, name: str) -> RegisteredModel:
        from studio.registry.schemas import ModelOut

        return _registered(self._json("GET", _model(name), ModelOut))

    def list_models(self, filter: str | None = None) -> list[RegisteredModel]:
        from studio.registry.schemas import ModelsOut

        query = {"filter": filter} if filter else None
        page = self._json("GET", "/models", ModelsOut, query=query)
        return [_registered(found) for found in page.models]

    def update_model(self, name: str, **changes: Any) -> RegisteredModel:
        from studio.registry.schemas import ModelOut, ModelPatch

        given = {key: value for key, value in changes.items() if value is not None}
        body = _body(ModelPatch, given)
        return _registered(self._json("PATCH", _model(name), ModelOut, body=body))

    def delete_model(self, name: str) -> None:
        with self._send("DELETE", _model(name)):
            pass

    def get_version(self, name: str, version: int) -> ModelVersion:
        from studio.registry.schemas import VersionOut

        return _version(self._json("GET", _version_path(name, version), VersionOut))

    def list_versions(self, name: str) -> list[ModelVersion]:
        from studio.registry.schemas import VersionsOut

        page = self._json("GET", f"{_model(name)}/versions", VersionsOut)
        return [_version(found) for found in page.versions]

    def resolve(self, uri: str) -> ModelVersion:
        ref = parse_model_uri(uri)
        if ref.version is not None:
            return self.get_version(ref.name, ref.version)
        model = self.get_model(ref.name)
        number = model.latest_version if ref.alias is None else model.aliases.get(ref.alias)
        if number is None:
            what = "no version" if ref.alias is None else f"no alias {ref.alias!r}"
            raise NotFound(f"The model {ref.name!r} has {what}.")
        return self.get_version(ref.name, number)

    def update_version(self, name: str, version: int, **changes: Any) -> ModelVersion:
        from studio.registry.schemas import VersionOut, VersionPatch

        given = {key: value for key, value in changes.items() if value is not None}
        body = _body(VersionPatch, given)
        path = _version_path(name, version)
        return _version(self._json("PATCH", path, VersionOut, body=body))

    def delete_version(self, name: str, version: int) -> None:
        with self._send("DELETE", _version_path(name, version)):
            pass

    def set_alias(self, name: str, alias: str, version: int) -> ModelVersion:
        from studio.registry.schemas import AliasIn, VersionOut

        body = _body(AliasIn, {"version": version})
        path = f"{_model(name)}/aliases/{quote(alias, safe='')}"
        return _version(self._json("PUT", path, VersionOut, body=body))

    def delete_alias(self, name: str, alias: str) -> None:
        with self._send("DELETE", f"{_model(name)}/aliases/{quote(alias, safe='')}"):
            pass

    def approve(
        self,
        name: str,
        version: int,
        *,
        approve_types: Iterable[str] = (),
        comment: str = "",
        actor: str | None = None,
    ) -> ModelVersion:
        from studio.registry.schemas import ApproveIn, VersionOut

        types = [approve_types] if isinstance(approve_types, str) else list(approve_types)
        body = _body(ApproveIn, {"approve_types": types, "comment": comment})
        path = f"{_version_path(name, version)}/approve"
        return _version(self._json("POST", path, VersionOut, body=body))

    def reject(
        self, name: str, version: int, *, comment: str = "", actor: str | None = None
    ) -> ModelVersion:
        from studio.registry.schemas import RejectIn, VersionOut

        body = _body(RejectIn, {"comment": comment})
        path = f"{_version_path(name, version)}/reject"
        return _version(self._json("POST", path, VersionOut, body=body))

    def lineage(self, name: str, version: int) -> dict[str, Any]:
        from studio.registry.schemas import LineageOut

        path = f"{_version_path(name, version)}/lineage"
        return self._json("GET", path, LineageOut).model_dump()

    def load(self, uri: str, *, trusted: bool = False) -> Any:
        """Download the version's model folder and load it with its approved types."""
        from studio.tracking.models import META_FILE, load_model, read_model_meta

        found = self.resolve(uri)
        files = f"{_version_path(found.name, found.version)}/files"
        with tempfile.TemporaryDirectory(prefix="studio-model-") as scratch:
            folder = Path(scratch)
            self._download(f"{files}/{META_FILE}", folder / META_FILE)
            model_file = read_model_meta(folder).model_file
            self._download(f"{files}/{quote(model_file, safe='')}", folder / model_file)
            return load_model(
                folder, trusted=trusted, approved_types=found.approved_types, sha256=found.sha256
            )

    def _download(self, path: str, local: Path) -> None:
        with self._send("GET", path) as response, local.open("wb") as out:
            while chunk := response.read(1 << 20):
                out.write(chunk)


def _body(model: Any, data: Mapping[str, Any]) -> Any:
    """A request body the server would accept; InvalidInput, as locally, when it would not."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors(include_url=False)
        )
        raise InvalidInput(problems) from exc


def _user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return None


def _model(name: str) -> str:
    return f"/models/{quote(name, safe='')}"


def _version_path(name: str, version: int) -> str:
    return f"{_model(name)}/versions/{int(version)}"


def _registered(found: ModelOut) -> RegisteredModel:
    return RegisteredModel(
        id=0,
        name=found.name,
        description=found.description,
        gates=dict(found.gates),
        created_at=found.created_at,
        updated_at=found.updated_at,
        latest_version=found.latest_version,
        version_count=found.version_count,
        aliases=dict(found.aliases),
        tags=dict(found.tags),
    )


def _version(found: VersionOut) -> ModelVersion:
    return ModelVersion(
        id=0,
        name=found.name,
        version=found.version,
        source=found.source,
        run_id=found.run_id,
        artifact_path=found.artifact_path,
        storage_path="",
        format=found.format,
        sha256=found.sha256,
        flavor=found.flavor,
        model_class=found.model_class,
        untrusted_types=tuple(found.untrusted_types),
        approved_types=tuple(found.approved_types),
        signature=found.signature,
        input_example=found.input_example,
        lineage=dict(found.lineage),
        description=found.description,
        status=ApprovalStatus(found.status),
        status_by=found.status_by,
        status_at=found.status_at,
        status_comment=found.status_comment,
        created_by=found.created_by,
        created_at=found.created_at,
        updated_at=found.updated_at,
        aliases=tuple(found.aliases),
        tags=dict(found.tags),
    )
