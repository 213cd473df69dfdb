"""Where the Python API and `studio endpoints` find endpoints: the store itself
(`LocalEndpoints`, an `EndpointService` on the configured database) or a Studio server's REST
API (`RestEndpoints`, where the tracking URI is an `http(s)://` URL, with `STUDIO_TOKEN`).
Both answer with `studio.serving.entities.Endpoint` and raise the same `StudioError`s.

Locally, `start` runs the server on this machine; through a server, on the server's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pydantic import ValidationError

from studio.errors import InvalidInput
from studio.feature_clients import ClientCache
from studio.serving.entities import Endpoint, Replica, Task, Variant, VariantRole
from studio.serving.validation import spec_pair

if TYPE_CHECKING:
    from studio.config import StudioConfig
    from studio.db.engine import Database
    from studio.serving.schemas import EndpointOut
    from studio.serving.service import EndpointService, ShadowSpec, VariantSpec
    from studio.tracking.rest import RestTrackingClient

__all__ = ["LocalEndpoints", "RestEndpoints", "endpoint_from_wire", "endpoints_client"]


def _local(database: Database, config: StudioConfig) -> LocalEndpoints:
    from studio.serving.service import EndpointService

    return LocalEndpoints(EndpointService.from_database(database, config))


class LocalEndpoints:
    """Endpoints in the store this process is configured for."""

    def __init__(self, service: EndpointService) -> None:
        self.service = service

    def create(
        self,
        name: str,
        variants: Mapping[str, VariantSpec],
        shadows: Mapping[str, ShadowSpec],
        **fields: Any,
    ) -> Endpoint:
        return self.service.create(name, variants, shadows=shadows, **fields)

    def update(self, name: str, **fields: Any) -> Endpoint:
        return self.service.update(name, **fields)

    def get(self, name: str) -> Endpoint:
        return self.service.get(name)

    def list(self) -> list[Endpoint]:
        return self.service.list()

    def delete(self, name: str) -> None:
        self.service.delete(name)

    def start(self, name: str, *, port: int | None, workers: int | None) -> Endpoint:
        self.service.start(name, port=port, workers=workers)
        return self.service.get(name)

    def stop(self, name: str) -> Endpoint:
        self.service.stop(name)
        return self.service.get(name)

    def evaluation(self, name: str) -> dict[str, Any]:
        from studio.serving.views import evaluation_out

        return evaluation_out(self.service, name).model_dump(mode="json")


class RestEndpoints:
    """Endpoints on a Studio server, through its REST API (`/studio/api/endpoints/...`)."""

    def __init__(self, tracking: RestTrackingClient) -> None:
        self.tracking = tracking
        self._json = tracking._json
        self._send = tracking._send

    def create(
        self,
        name: str,
        variants: Mapping[str, VariantSpec],
        shadows: Mapping[str, ShadowSpec],
        **fields: Any,
    ) -> Endpoint:
        from studio.serving.schemas import EndpointIn, EndpointOut

        if isinstance(fields.get("task"), Task):
            fields["task"] = fields["task"].value
        body = _checked(
            EndpointIn, {"name": name, "variants": _variants_in(variants, shadows), **fields}
        )
        return endpoint_from_wire(self._json("POST", "/endpoints", EndpointOut, body=body))

    def update(
        self,
        name: str,
        *,
        weights: Mapping[str, float] | None = None,
        variants: Mapping[str, VariantSpec] | None = None,
        shadows: Mapping[str, ShadowSpec] | None = None,
        remove: Sequence[str] = (),
        capture: float | None = None,
        description: str | None = None,
    ) -> Endpoint:
        from studio.serving.schemas import EndpointOut, EndpointPatch

        added = _variants_in(variants or {}, shadows or {})
        body = _checked(
            EndpointPatch,
            {
                "weights": dict(weights) if weights is not None else None,
                "add": added or None,
                "remove": list(remove) or None,
                "capture": capture,
                "description": description,
            },
        )
        return endpoint_from_wire(self._json("PATCH", _path(name), EndpointOut, body=body))

    def get(self, name: str) -> Endpoint:
        from studio.serving.schemas import EndpointOut

        return endpoint_from_wire(self._json("GET", _path(name), EndpointOut))

    def list(self) -> list[Endpoint]:
        from studio.serving.schemas import EndpointsOut

        page = self._json("GET", "/endpoints", EndpointsOut)
        return [endpoint_from_wire(found) for found in page.endpoints]

    def delete(self, name: str) -> None:
        with self._send("DELETE", _path(name)):
            pass

    def start(self, name: str, *, port: int | None, workers: int | None) -> Endpoint:
        from studio.serving.schemas import EndpointOut, StartIn

        body = _checked(StartIn, {"port": port, "workers": workers})
        path = f"{_path(name)}/start"
        return endpoint_from_wire(self._json("POST", path, EndpointOut, body=body))

    def stop(self, name: str) -> Endpoint:
        from studio.serving.schemas import EndpointOut

        return endpoint_from_wire(self._json("POST", f"{_path(name)}/stop", EndpointOut))

    def evaluation(self, name: str) -> dict[str, Any]:
        from studio.serving.schemas import EvaluationOut

        found = self._json("GET", f"{_path(name)}/evaluation", EvaluationOut)
        return found.model_dump(mode="json")


def endpoint_from_wire(found: EndpointOut) -> Endpoint:
    return Endpoint(
        name=found.name,
        description=found.description,
        config_version=found.config_version,
        variants=tuple(
            Variant(
                name=v.name,
                role=VariantRole(v.role),
                model_uri=v.model_uri,
                model_name=v.model_name,
                model_version=v.model_version,
                weight=v.weight,
                sampling=v.sampling,
            )
            for v in found.variants
        ),
        capture=found.capture,
        task=Task(found.task) if found.task else None,
        has_token=found.has_token,
        host=found.host,
        port=found.port,
        workers=found.workers,
        evaluation_since=found.evaluation_since,
        created_at=found.created_at,
        updated_at=found.updated_at,
        replicas=tuple(
            Replica(
                id=r.id,
                host=r.host,
                bind_host=r.bind_host,
                port=r.port,
                pid=r.pid,
                workers=r.workers,
                managed=r.managed,
                started_at=r.started_at,
                heartbeat_at=r.heartbeat_at,
                stopped_at=None,
                error=None,
                alive=r.alive,
            )
            for r in found.replicas
        ),
    )


def _path(name: str) -> str:
    return f"/endpoints/{quote(name, safe='')}"


def _variants_in(
    variants: Mapping[str, VariantSpec], shadows: Mapping[str, ShadowSpec]
) -> list[dict[str, Any]]:
    wire: list[dict[str, Any]] = []
    for name, spec in variants.items():
        uri, weight = (spec, 1.0) if isinstance(spec, str) else spec_pair(spec, name)
        wire.append({"name": name, "model_uri": uri, "weight": weight, "role": "primary"})
    for name, shadow in shadows.items():
        uri, sampling = (shadow, 1.0) if isinstance(shadow, str) else spec_pair(shadow, name)
        wire.append({"name": name, "model_uri": uri, "sampling": sampling, "role": "shadow"})
    return wire


def _checked(model: Any, data: Mapping[str, Any]) -> Any:
    """A request body the server would accept; InvalidInput, as locally, when it would not."""
    try:
        return model.model_validate({k: v for k, v in data.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors(include_url=False)
        )
        raise InvalidInput(problems) from exc


# Last: it names the client classes above.
endpoints_client = ClientCache[LocalEndpoints | RestEndpoints](_local, RestEndpoints)
"""The process-wide client for a tracking URI: see `studio.feature_clients`."""
_clients = endpoints_client.clients
