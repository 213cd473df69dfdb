"""The registry's REST routes (/studio/api/models/...) against a real Jupyter server: models,
versions, reviews, aliases, lineage, bad input and the authorization of each. On SQLite, and
on PostgreSQL where STUDIO_TEST_DB_URL names a server."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from jupyter_server.auth import Authorizer

from tests.registry.models import forest, rounding, run_with_model

if TYPE_CHECKING:
    from jupyter_server.serverapp import ServerApp
    from traitlets.config import Config

    from studio.registry.service import RegistryService
    from tests.conftest import StudioFetch

REFUSED_ACTION = "X-Studio-Test-Refuse"


class RefuseActionOnHeader(Authorizer):
    """Refuses, on "studio.registry", the actions the REFUSED_ACTION header lists."""

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        refused = handler.request.headers.get(REFUSED_ACTION, "").split(",")
        return not (resource == "studio.registry" and action in refused)


@pytest.fixture
def jp_server_config(jp_server_config: Config) -> Config:
    jp_server_config.ServerApp.authorizer_class = RefuseActionOnHeader
    jp_server_config.StudioApp.scheduler_enabled = False
    return jp_server_config


@pytest.fixture
def registry(jp_serverapp: ServerApp) -> RegistryService:
    service: RegistryService = jp_serverapp.web_app.settings["studio_registry"]
    return service


async def call(fetch: StudioFetch, method: str, path: str, body: Any = None) -> Any:
    answer = await fetch(method, f"models{path}", body=body)
    assert answer.code in (200, 201, 204), (method, path, answer.code, answer.json)
    return answer.json


async def test_a_version_is_registered_reviewed_aliased_and_traced(
    studio_fetch: StudioFetch, registry: RegistryService
) -> None:
    run_id = run_with_model(
        registry.tracking, rounding(), metrics={"accuracy": 0.95}, tags={"studio.job.run": "4"}
    )
    model = await call(studio_fetch, "POST", "", {"name": "iris", "gates": {"accuracy": ">=0.9"}})
    assert (model["gates"], model["version_count"]) == ({"accuracy": ">= 0.9"}, 0)
    made = await call(studio_fetch, "POST", "/iris/versions", {"source": f"runs:/{run_id}/model"})
    assert (made["version"], made["uri"], made["status"]) == (1, "models:/iris/1", "PENDING")
    assert made["untrusted_types"] == ["numpy.around"]
    assert made["signature"] is not None
    refused = await studio_fetch("POST", "models/iris/versions/1/approve", body={})
    refused.error(409, "numpy.around")
    approved = await call(
        studio_fetch,
        "POST",
        "/iris/versions/1/approve",
        {"approve_types": ["numpy.around"], "comment": "checked"},
    )
    assert (approved["status"], approved["approved_types"]) == ("APPROVED", ["numpy.around"])
    assert approved["status_by"]  # the Jupyter user
    moved = await call(studio_fetch, "PUT", "/iris/aliases/champion", {"version": 1})
    assert moved["aliases"] == ["champion"]
    listed = (await studio_fetch("GET", "models", params={"filter": "IR"})).json
    assert [(m["name"], m["aliases"]) for m in listed["models"]] == [("iris", {"champion": 1})]
    lineage = await call(studio_fetch, "GET", "/iris/versions/1/lineage")
    assert lineage["run"]["id"] == run_id
    assert lineage["job_run"] == {"id": 4}
    assert lineage["gates"][0]["passed"] is True
    assert lineage["needs_approval"] == ["numpy.around"]
    changed = await call(studio_fetch, "PATCH", "/iris/versions/1", {"description": "first"})
    assert changed["description"] == "first"
    rejected = await call(studio_fetch, "POST", "/iris/versions/1/reject")
    assert rejected["status"] == "REJECTED"
    await call(studio_fetch, "DELETE", "/iris/aliases/champion")
    await call(studio_fetch, "DELETE", "/iris/versions/1")
    assert (await call(studio_fetch, "GET", "/iris/versions"))["versions"] == []
    await call(studio_fetch, "DELETE", "/iris")
    assert (await call(studio_fetch, "GET", ""))["models"] == []


async def test_bad_input_is_4xx_naming_the_problem(
    studio_fetch: StudioFetch, registry: RegistryService
) -> None:
    run_id = run_with_model(registry.tracking, forest())
    await call(studio_fetch, "POST", "/iris/versions", {"source": run_id})
    cases: tuple[tuple[str, str, Any, int, str], ...] = (
        ("POST", "models", {"name": "a/b"}, 422, "name"),
        ("POST", "models", {"name": "x", "gates": {"acc": "high"}}, 400, "condition"),
        ("POST", "models", {"name": "x", "bogus": 1}, 422, "bogus"),
        ("POST", "models", {"name": "iris"}, 409, "already exists"),
        ("POST", "models/iris/versions", {"source": "models:/iris/1"}, 400, "registered"),
        ("POST", "models/iris/versions", {"source": "runs:/nope%/model"}, 400, "runs:/"),
        ("POST", "models/iris/versions", {"source": f"runs:/{run_id}/none"}, 404, "none"),
        ("POST", "models/iris/versions", None, 400, "missing"),
        ("GET", "models/nothing", None, 404, "nothing"),
        ("GET", "models/iris/versions/7", None, 404, "no version 7"),
        ("GET", "models/iris/versions/x", None, 404, "'x'"),
        ("GET", "models/iris/versions/0/lineage", None, 404, "'0'"),
        ("GET", "models/iris/versions/99999999999", None, 404, "99999999999"),
        ("PUT", "models/iris/aliases/v2", {"version": 1}, 400, "reserved"),
        ("PUT", "models/iris/aliases/champion", {"version": 0}, 422, "version"),
        ("PUT", "models/iris/aliases/champion", {"version": "1"}, 422, "version"),
        ("POST", "models/iris/versions/1/approve", {"approve_types": ["os.system"]}, 400, "os"),
        ("DELETE", "models/iris/aliases/none", None, 404, "no alias"),
    )
    for method, path, body, status, fragment in cases:
        answer = await studio_fetch(method, path, body=body)
        answer.error(status, fragment)


async def test_reading_is_read_and_everything_else_write(
    studio_fetch: StudioFetch, registry: RegistryService
) -> None:
    run_id = run_with_model(registry.tracking, forest())
    await call(studio_fetch, "POST", "/iris/versions", {"source": run_id})
    read_only = {REFUSED_ACTION: "write"}
    writes: tuple[tuple[str, str, Any], ...] = (
        ("POST", "models", {"name": "x"}),
        ("PATCH", "models/iris", {"description": "d"}),
        ("POST", "models/iris/versions", {"source": run_id}),
        ("PATCH", "models/iris/versions/1", {"description": "d"}),
        ("POST", "models/iris/versions/1/approve", {}),
        ("POST", "models/iris/versions/1/reject", {}),
        ("PUT", "models/iris/aliases/a", {"version": 1}),
        ("DELETE", "models/iris/aliases/a", None),
        ("DELETE", "models/iris/versions/1", None),
        ("DELETE", "models/iris", None),
    )
    for method, path, body in writes:
        answer = await studio_fetch(method, path, body=body, headers=read_only)
        answer.error(403, "not authorized")
    assert registry.get_version("iris", 1).status.value == "PENDING"
    assert registry.get_model("iris").version_count == 1
    for path in ("models", "models/iris", "models/iris/versions", "models/iris/versions/1"):
        answer = await studio_fetch("GET", path, headers=read_only)
        assert answer.code == 200, (path, answer.json)
    answer = await studio_fetch("GET", "models", headers={REFUSED_ACTION: "read"})
    answer.error(403, "not authorized")
