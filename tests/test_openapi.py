"""The OpenAPI document: served, complete (every registered route and verb), and generated
from the wire models."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator

if TYPE_CHECKING:
    from tests.conftest import RegisteredRoute, StudioFetch


async def fetch_document(studio_fetch: StudioFetch) -> dict[str, Any]:
    answer = await studio_fetch("GET", "openapi.json")
    assert answer.code == 200
    assert answer.headers["Content-Type"].startswith("application/json")
    result: dict[str, Any] = answer.json
    return result


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema["$ref"]
    assert ref.startswith("#/components/schemas/")
    resolved: dict[str, Any] = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return resolved


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in refs(value)]
    return []


async def test_document_lists_every_registered_route_and_verb(
    studio_fetch: StudioFetch, studio_routes: list[RegisteredRoute]
) -> None:
    document = await fetch_document(studio_fetch)
    assert document["openapi"] == "3.1.0"
    registered = {
        (route.template, method.lower()) for route in studio_routes for method in route.methods
    }
    documented = {
        (path, method) for path, operations in document["paths"].items() for method in operations
    }
    assert documented == registered
    assert ("/studio/api/openapi.json", "get") in documented


async def test_operations_reference_the_wire_models(studio_fetch: StudioFetch) -> None:
    document = await fetch_document(studio_fetch)
    paths = document["paths"]

    create = paths["/studio/api/runs"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/RunCreateIn"}
    answer = create["responses"]["201"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/RunOut"}
    assert create["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorOut"
    }

    batch = paths["/studio/api/runs/{run_id}/batch"]["post"]
    assert batch["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/BatchIn"
    }
    assert "204" in batch["responses"]
    assert batch["parameters"] == [
        {"name": "run_id", "in": "path", "required": True, "schema": {"type": "string"}}
    ]

    experiment = paths["/studio/api/experiments/{experiment_id}"]["patch"]
    assert experiment["parameters"][0]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 2**31 - 1,
    }

    history = paths["/studio/api/runs/{run_id}/metrics/history"]["get"]
    query = {p["name"]: p for p in history["parameters"] if p["in"] == "query"}
    assert query["key"]["required"] is True
    assert query["max_points"]["required"] is False

    search = paths["/studio/api/runs"]["get"]
    query = {p["name"]: p for p in search["parameters"] if p["in"] == "query"}
    assert set(query) >= {"experiment_id", "filter", "order_by", "max_results", "page_token"}
    assert query["order_by"]["schema"]["type"] == "array"

    upload = paths["/studio/api/runs/{run_id}/artifacts/content"]["put"]
    assert "application/octet-stream" in upload["requestBody"]["content"]
    download = paths["/studio/api/runs/{run_id}/artifacts/content"]["get"]
    # The one type the server answers a download with, whatever the file's name.
    assert list(download["responses"]["200"]["content"]) == ["application/octet-stream"]

    # The document itself is a JSON object, not a binary string.
    served = paths["/studio/api/openapi.json"]["get"]["responses"]["200"]["content"]
    assert served == {"application/json": {"schema": {"type": "object"}}}


async def test_every_operation_declares_its_statuses(studio_fetch: StudioFetch) -> None:
    document = await fetch_document(studio_fetch)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            declared = set(operation["responses"])
            assert "403" in declared, (method, path)
            in_query = [p for p in operation.get("parameters", []) if p["in"] == "query"]
            if in_query or "requestBody" in operation:
                assert {"400", "422"} <= declared, (method, path)
            if "{" in path:
                assert "404" in declared, (method, path)
            if method in ("put", "patch", "delete"):
                assert "409" in declared, (method, path)
    paths = document["paths"]
    assert "201" in paths["/studio/api/runs"]["post"]["responses"]
    assert "201" in paths["/studio/api/experiments"]["post"]["responses"]
    assert "204" in paths["/studio/api/runs/{run_id}"]["delete"]["responses"]
    assert "409" in paths["/studio/api/experiments"]["post"]["responses"]
    for path in ("/studio/api/runs", "/studio/api/runs/{run_id}/batch"):
        assert {"404", "409", "413"} <= set(paths[path]["post"]["responses"]), path
    # A search reads: nothing to clash with, nothing too large, no id in its path.
    assert set(paths["/studio/api/runs/search"]["post"]["responses"]) == {
        "200",
        "400",
        "403",
        "422",
    }
    # Only what it can answer: the document has no input to refuse and nothing to find.
    assert set(paths["/studio/api/openapi.json"]["get"]["responses"]) == {"200", "403"}


async def test_paged_lists_declare_their_page_sizes(studio_fetch: StudioFetch) -> None:
    document = await fetch_document(studio_fetch)
    paths = document["paths"]
    for path, most in (
        ("/studio/api/experiments", 1000),
        ("/studio/api/runs/{run_id}/metrics/history", 100_000),
    ):
        query = {p["name"]: p for p in paths[path]["get"]["parameters"] if p["in"] == "query"}
        assert query["max_results"]["schema"]["minimum"] == 1
        assert query["max_results"]["schema"]["maximum"] == most
        assert "page_token" in query
    schemas = document["components"]["schemas"]
    for name in ("ExperimentListOut", "MetricHistoryOut", "RunListOut"):
        assert "next_page_token" in schemas[name]["properties"], name
    for model, field in (("RunOut", "duration_ms"), ("RunCreateIn", "start_time")):
        integer = next(
            branch
            for branch in schemas[model]["properties"][field]["anyOf"]
            if branch["type"] == "integer"
        )
        assert (integer["minimum"], integer["maximum"]) == (0, 2**63 - 1), (model, field)


async def test_schemas_are_the_wire_models(studio_fetch: StudioFetch) -> None:
    document = await fetch_document(studio_fetch)
    schemas = document["components"]["schemas"]
    assert set(schemas) >= {
        "BatchIn",
        "ErrorOut",
        "ExperimentCreateIn",
        "ExperimentListOut",
        "ExperimentOut",
        "ExperimentUpdateIn",
        "MetricHistoryOut",
        "MetricIn",
        "MetricSummaryOut",
        "RunCreateIn",
        "RunListOut",
        "RunOut",
        "RunSearchIn",
        "RunUpdateIn",
        "ArtifactListOut",
        "ArtifactOut",
    }
    for name, schema in schemas.items():
        Draft202012Validator.check_schema(schema)  # OpenAPI 3.1 schemas are JSON Schema
        for ref in refs(schema):
            assert ref.removeprefix("#/components/schemas/") in schemas, (name, ref)
    for ref in refs(document["paths"]):
        assert ref.removeprefix("#/components/schemas/") in schemas, ref

    # Metric values: numbers, or the strings JSON needs for NaN and the infinities.
    value = schemas["MetricIn"]["properties"]["value"]
    assert {"type": "number"} in value["anyOf"]
    assert {"type": "string", "enum": ["NaN", "Infinity", "-Infinity"]} in value["anyOf"]
    history_values = schemas["MetricHistoryOut"]["properties"]["values"]["items"]
    assert {"type": "number"} in history_values["anyOf"]
    assert schemas["RunOut"]["properties"]["status"] == {"$ref": "#/components/schemas/RunStatus"}
    assert set(schemas["RunStatus"]["enum"]) == {"RUNNING", "FINISHED", "FAILED", "KILLED"}
    assert schemas["BatchIn"]["additionalProperties"] is False


async def test_document_needs_a_token(studio_fetch: StudioFetch) -> None:
    answer = await studio_fetch("GET", "openapi.json", headers={"Authorization": ""})
    assert answer.code in (401, 403)
