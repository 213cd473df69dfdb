"""The OpenAPI 3.1 document of the REST API, generated from the route table and wire models.

Each handler method carries an `Endpoint` (attached by `@endpoint(...)`): its summary, query
model, body model, answer model and status. `build_document()` walks the routes the app
registers, so the document cannot drift from the code; the frontend's TypeScript types are
generated from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from jupyter_server.auth.decorator import authorized
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema
from tornado import web

from studio._version import __version__
from studio.web import Route, StudioAPIHandler

F = TypeVar("F", bound=Callable[..., Any])

OPENAPI_PATH = "/studio/api/openapi.json"
METHODS = ("get", "post", "put", "patch", "delete")
_ENDPOINT_ATTRIBUTE = "__studio_endpoint__"
_REF_TEMPLATE = "#/components/schemas/{model}"
_REF_PREFIX = _REF_TEMPLATE.removesuffix("{model}")


class ErrorOut(BaseModel, title="ErrorOut"):
    """jupyter_server's error envelope."""

    message: str
    reason: str | None = None


@dataclass(frozen=True)
class Endpoint:
    """What the OpenAPI document says of one handler method."""

    summary: str
    operation_id: str
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    # Media types of a raw (non-JSON) request body or answer, e.g. artifact uploads.
    raw_body: str | None = None
    raw_response: str | None = None
    # Error statuses beyond those every operation of its shape can answer (see _error_statuses).
    errors: tuple[int, ...] = ()


def endpoint(
    summary: str,
    *,
    operation_id: str,
    query: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    raw_body: str | None = None,
    raw_response: str | None = None,
    errors: tuple[int, ...] = (),
) -> Callable[[F], F]:
    """Attach OpenAPI metadata to a handler method (the auth decorators keep it: they wrap
    with functools.wraps, which copies the function's attributes).

    `errors` lists the statuses the operation's service call can add: 409 for a write (a
    clash with stored data), 404 for a body that names something, 413 for a batch."""
    spec = Endpoint(
        summary, operation_id, query, body, response, status, raw_body, raw_response, errors
    )

    def attach(method: F) -> F:
        setattr(method, _ENDPOINT_ATTRIBUTE, spec)
        return method

    return attach


def endpoints(handler: type[StudioAPIHandler]) -> dict[str, Endpoint]:
    """The documented methods a handler class implements, by lower-case HTTP verb."""
    found = {}
    for method in METHODS:
        spec = getattr(getattr(handler, method, None), _ENDPOINT_ATTRIBUTE, None)
        if isinstance(spec, Endpoint):
            found[method] = spec
    return found


def build_document(routes: Sequence[Route]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of `routes`.

    Raises ValueError when two operations share an operationId or two schemas a name.
    """
    schemas, refs = _component_schemas(routes)
    paths: dict[str, Any] = {}
    operation_ids: dict[str, str] = {}
    for route in routes:
        operations = {}
        for method, spec in endpoints(route.handler).items():
            where = f"{method.upper()} {route.path}"
            clash = operation_ids.setdefault(spec.operation_id, where)
            if clash != where:
                raise ValueError(
                    f"operationId {spec.operation_id!r} is declared by {clash} and by {where}."
                )
            operations[method] = _operation(route, method, spec, refs)
        if operations:
            paths[route.path] = operations
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Studio REST API",
            "version": __version__,
            "description": (
                "Experiment tracking and more, served by the Studio Jupyter server extension. "
                "Every route needs the server's token: `Authorization: token <token>`."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"token": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "token": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "The Jupyter server token, as `token <token>`.",
                }
            },
        },
    }


def _models(routes: Iterable[Route]) -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = [(ErrorOut, "serialization")]
    for route in routes:
        for spec in endpoints(route.handler).values():
            if spec.body is not None:
                wanted.append((spec.body, "validation"))
            if spec.response is not None:
                wanted.append((spec.response, "serialization"))
    return list(dict.fromkeys(wanted))


def _component_schemas(
    routes: Iterable[Route],
) -> tuple[dict[str, Any], dict[tuple[type[BaseModel], JsonSchemaMode], dict[str, Any]]]:
    models = _models(routes)
    refs, definitions = models_json_schema(models, ref_template=_REF_TEMPLATE)
    renamed = _names_from_titles(definitions.get("$defs", {}))
    by_model = {
        (cast("type[BaseModel]", model), mode): _renamed_refs(ref, renamed)
        for (model, mode), ref in refs.items()
    }
    schemas = {
        renamed[name]: _renamed_refs(schema, renamed)
        for name, schema in definitions.get("$defs", {}).items()
    }
    return schemas, by_model


def _names_from_titles(definitions: dict[str, Any]) -> dict[str, str]:
    """Schema names are the models' declared titles (see `studio.wire`), never pydantic's
    names made from class names; two different schemas may not share one."""
    names: dict[str, str] = {}
    owners: dict[str, str] = {}
    for default_name, schema in definitions.items():
        title = schema.get("title", default_name)
        if title in owners:
            raise ValueError(
                f"Two schemas of the API are named {title!r} ({owners[title]} and "
                f"{default_name}): give one of the models another title."
            )
        owners[title] = default_name
        names[default_name] = title
    return names


def _renamed_refs(node: Any, names: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {
            key: (
                _REF_TEMPLATE.format(model=names[value.removeprefix(_REF_PREFIX)])
                if key == "$ref" and isinstance(value, str) and value.startswith(_REF_PREFIX)
                else _renamed_refs(value, names)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_renamed_refs(value, names) for value in node]
    return node


def _operation(
    route: Route,
    method: str,
    spec: Endpoint,
    refs: dict[tuple[type[BaseModel], JsonSchemaMode], dict[str, Any]],
) -> dict[str, Any]:
    parameters = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": dict(route.path_types.get(name, {"type": "string"})),
        }
        for name in route.path_params
    ]
    if spec.query is not None:
        parameters.extend(_query_parameters(spec.query))
    operation: dict[str, Any] = {
        "operationId": spec.operation_id,
        "summary": spec.summary,
        "tags": [route.path.removeprefix("/studio/api/").split("/")[0].split(".")[0]],
    }
    if parameters:
        operation["parameters"] = parameters
    if spec.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refs[(spec.body, "validation")]}},
        }
    elif spec.raw_body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {spec.raw_body: {"schema": {"type": "string", "format": "binary"}}},
        }
    answer: dict[str, Any] = {"description": spec.summary}
    if spec.response is not None:
        answer["content"] = {"application/json": {"schema": refs[(spec.response, "serialization")]}}
    elif spec.raw_response == "application/json":
        answer["content"] = {spec.raw_response: {"schema": {"type": "object"}}}
    elif spec.raw_response is not None:
        answer["content"] = {spec.raw_response: {"schema": {"type": "string", "format": "binary"}}}
    error = {
        "content": {"application/json": {"schema": refs[(ErrorOut, "serialization")]}},
    }
    responses: dict[str, Any] = {str(spec.status): answer}
    for status in _error_statuses(route, spec):
        responses[status] = {"description": _ERROR_STATUSES[status], **error}
    operation["responses"] = responses
    return operation


_ERROR_STATUSES = {
    "400": "Bad input (no body, malformed JSON, a bad filter, path or page token).",
    "401": "A proxied endpoint refused the invocation's credentials.",
    "403": "Missing or invalid token, or not authorized (jupyter_server's answer).",
    "404": "No such experiment, run or artifact.",
    "409": "Conflicts with stored data (a duplicate name or run id, a param logged twice).",
    "413": "Too large (a batch over its limits).",
    "415": "A proxied endpoint does not read the request's Content-Type.",
    "422": "A field has the wrong type or shape, or is out of its declared range.",
    "503": "The endpoint is not running (no live replica to proxy to).",
}


def _error_statuses(route: Route, spec: Endpoint) -> list[str]:
    """The error statuses an operation can answer, so that a client (and schemathesis) can
    hold the server to them: always 403 (jupyter_server's, for a missing token), 400 and 422
    where there is input to refuse, 404 where the path names something, and the endpoint's
    own `errors`."""
    statuses = {403, *spec.errors}
    if spec.body is not None or spec.raw_body is not None or spec.query is not None:
        statuses |= {400, 422}
    if route.path_params:
        statuses.add(404)
    unknown = statuses - {int(status) for status in _ERROR_STATUSES}
    if unknown:
        raise ValueError(f"No description of status {sorted(unknown)} in _ERROR_STATUSES.")
    return [str(status) for status in sorted(statuses)]


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=_REF_TEMPLATE)
    required = set(schema.get("required", []))
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": {k: v for k, v in prop.items() if k != "description"},
        }
        if "description" in prop:
            parameter["description"] = prop["description"]
        if prop.get("type") == "array":
            parameter["explode"] = True
        parameters.append(parameter)
    return parameters


class OpenAPIHandler(StudioAPIHandler):
    """Serves the document the app built at start."""

    @web.authenticated
    @authorized
    @endpoint(
        "The OpenAPI document of this API",
        operation_id="getOpenApiDocument",
        raw_response="application/json",
    )
    async def get(self) -> None:
        self.finish(self.settings["studio_openapi"])


def openapi_route() -> Route:
    return Route(OPENAPI_PATH, OpenAPIHandler)
