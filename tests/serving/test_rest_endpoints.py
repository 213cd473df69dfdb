"""The endpoints' REST routes (/studio/api/endpoints/...) against a real Jupyter server:
configuration and its refusals, the history, captures, authorization, and the invocation
proxy (here to a small HTTP server started by the test; tests/serving/test_process_serve.py
proxies to a real `studio serve`). On SQLite, and on PostgreSQL where STUDIO_TEST_DB_URL
names a server."""

from __future__ import annotations

import json
import socket
import time
from typing import TYPE_CHECKING, Any

import pytest
from jupyter_server.auth import Authorizer
from tornado import httpserver, web

from studio.serving.orm import SqlEndpointCapture
from studio.serving.process import this_host
from studio.serving.recorder import Recorder
from tests.serving.registry_rows import NOW, add_version

if TYPE_CHECKING:
    from collections.abc import Iterator

    from jupyter_server.serverapp import ServerApp
    from traitlets.config import Config

    from studio.serving.service import EndpointService
    from tests.conftest import StudioFetch

REFUSED_ACTION = "X-Studio-Test-Refuse"


class RefuseActionOnHeader(Authorizer):
    """Refuses, on "studio.serving", the actions the REFUSED_ACTION header lists."""

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        refused = handler.request.headers.get(REFUSED_ACTION, "").split(",")
        return not (resource == "studio.serving" and action in refused)


@pytest.fixture
def jp_server_config(jp_server_config: Config) -> Config:
    jp_server_config.ServerApp.authorizer_class = RefuseActionOnHeader
    return jp_server_config


@pytest.fixture
def endpoints(jp_serverapp: ServerApp) -> EndpointService:
    service: EndpointService = jp_serverapp.web_app.settings["studio_serving"]
    add_version(service.database, "iris", 1)
    add_version(service.database, "iris", 2)
    add_version(service.database, "iris", 3, status="PENDING")
    return service


AB = {
    "name": "iris-ab",
    "variants": [
        {"name": "A", "model_uri": "models:/iris/1", "weight": 3},
        {"name": "B", "model_uri": "models:/iris/2"},
        {"name": "S", "model_uri": "models:/iris/2", "role": "shadow", "sampling": 0.5},
    ],
    "capture": 0.5,
}


async def test_endpoints_are_created_changed_listed_and_deleted(
    studio_fetch: StudioFetch, endpoints: EndpointService
) -> None:
    created = await studio_fetch("POST", "endpoints", body=AB)
    assert created.code == 201, created.json
    body = created.json
    assert (body["name"], body["config_version"], body["capture"], body["running"]) == (
        "iris-ab",
        1,
        0.5,
        False,
    )
    assert body["has_token"] is False
    assert "token" not in body
    assert [
        (v["name"], v["role"], v["model_version"], v["weight"], v["sampling"])
        for v in body["variants"]
    ] == [
        ("A", "primary", 1, 3.0, 1.0),
        ("B", "primary", 2, 1.0, 1.0),
        ("S", "shadow", 2, 0.0, 0.5),
    ]
    changed = await studio_fetch(
        "PATCH",
        "endpoints/iris-ab",
        body={
            "weights": {"A": 1, "B": 1},
            "add": [{"name": "C", "model_uri": "models:/iris/1", "weight": 0}],
            "remove": ["S"],
        },
    )
    assert changed.code == 200, changed.json
    assert changed.json["config_version"] == 2
    assert {v["name"]: v["weight"] for v in changed.json["variants"]} == {
        "A": 1.0,
        "B": 1.0,
        "C": 0.0,
    }
    listed = await studio_fetch("GET", "endpoints")
    assert [e["name"] for e in listed.json["endpoints"]] == ["iris-ab"]
    assert (await studio_fetch("GET", "endpoints/iris-ab")).json == changed.json
    events = (await studio_fetch("GET", "endpoints/iris-ab/events")).json["events"]
    assert [e["kind"] for e in events] == [
        "created",
        "deployed",
        "deployed",
        "deployed",
        "removed",
        "deployed",
        "weights",
    ]
    assert events[1]["model_uri"] == "models:/iris/1"
    deleted = await studio_fetch("DELETE", "endpoints/iris-ab")
    assert deleted.code == 204
    (await studio_fetch("GET", "endpoints/iris-ab")).error(404, "No endpoint is named 'iris-ab'")
    # The history outlives the endpoint only in the store (a version's page reads it there).
    assert endpoints.events("iris-ab")[-1]["kind"] == "deleted"


async def test_bad_configurations_are_4xx_naming_the_problem(
    studio_fetch: StudioFetch, endpoints: EndpointService
) -> None:
    def variant(**fields: Any) -> dict[str, Any]:
        return {"name": "x", "variants": [{"name": "A", "model_uri": "models:/iris/1", **fields}]}

    cases: list[tuple[Any, int, tuple[str, ...]]] = [
        (
            {"name": "x", "variants": [{"name": "A", "model_uri": "models:/iris/3"}]},
            409,
            ("PENDING", "approve"),
        ),
        (
            {"name": "x", "variants": [{"name": "A", "model_uri": "models:/nope/1"}]},
            404,
            ("Variant 'A'",),
        ),
        (variant(weight=-1), 422, ("body.variants.0.weight",)),
        (variant(weight=0), 400, ("a weight above 0",)),
        (variant(sampling=0, role="shadow"), 422, ("sampling",)),
        (
            {"name": "x", "variants": [{"name": "A b", "model_uri": "models:/iris/1"}]},
            422,
            ("body.variants.0.name",),
        ),
        (
            {"name": "a/b", "variants": [{"name": "A", "model_uri": "models:/iris/1"}]},
            422,
            ("body.name",),
        ),
        ({"name": "x", "variants": []}, 422, ("body.variants",)),
        ({**variant(), "capture": 2}, 422, ("body.capture",)),
        ({**variant(), "token": "short"}, 422, ("body.token",)),
        ({**variant(), "extra": 1}, 422, ("body.extra",)),
        (
            {
                "name": "x",
                "variants": [
                    {"name": "A", "model_uri": "models:/iris/1"},
                    {"name": "A", "model_uri": "models:/iris/2"},
                ],
            },
            400,
            ("used twice",),
        ),
        (b"", 400, ("body is missing",)),
        (b"{", 400, ("not valid JSON",)),
    ]
    for body, status, fragments in cases:
        answer = await studio_fetch("POST", "endpoints", body=body)
        answer.error(status, *fragments)
    assert endpoints.list() == []
    await studio_fetch("POST", "endpoints", body=AB)
    for method, path, body, status, fragments in (
        ("PATCH", "endpoints/iris-ab", {"weights": {"Z": 1}}, 404, ("no variant 'Z'", "A, B, S")),
        ("PATCH", "endpoints/iris-ab", {"remove": ["A", "B"]}, 400, ("primary variant",)),
        ("PATCH", "endpoints/iris-ab", {}, 400, ("Nothing to change",)),
        ("PATCH", "endpoints/nope", {"capture": 1}, 404, ("No endpoint is named 'nope'",)),
        ("POST", "endpoints", AB, 409, ("already exists",)),
        ("GET", "endpoints/a%20b", None, 404, ()),
        ("GET", "endpoints/nope/events", None, 404, ("nope",)),
        ("POST", "endpoints/iris-ab/start", {"port": 0}, 422, ("body.port",)),
    ):
        answer = await studio_fetch(method, path, body=body)
        answer.error(status, *fragments)
    assert endpoints.get("iris-ab").config_version == 1


async def test_reading_writing_and_executing_are_separate_permissions(
    studio_fetch: StudioFetch, endpoints: EndpointService
) -> None:
    await studio_fetch("POST", "endpoints", body=AB)
    read_only = {REFUSED_ACTION: "write,execute"}
    no_execute = {REFUSED_ACTION: "execute"}
    for method, path, body in (
        ("POST", "endpoints", {**AB, "name": "other"}),
        ("PATCH", "endpoints/iris-ab", {"capture": 1}),
        ("DELETE", "endpoints/iris-ab", None),
        ("POST", "endpoints/iris-ab/feedback", {"request_id": "r1", "label": 1}),
    ):
        answer = await studio_fetch(method, path, body=body, headers=read_only)
        answer.error(403, "not authorized")
    # Starting and stopping servers and calling models run code: "execute", even for writers.
    for path, body in (("start", {}), ("stop", None), ("invocations", b"{}")):
        answer = await studio_fetch(
            "POST", f"endpoints/iris-ab/{path}", body=body, headers=no_execute
        )
        answer.error(403, "not authorized")
    endpoint = endpoints.get("iris-ab")
    assert (endpoint.config_version, endpoint.capture, endpoint.replicas) == (1, 0.5, ())
    for path in (
        "endpoints",
        "endpoints/iris-ab",
        "endpoints/iris-ab/events",
        "endpoints/iris-ab/captures",
    ):
        answer = await studio_fetch("GET", path, headers=read_only)
        assert answer.code == 200, (path, answer.json)


async def test_captures_are_listed_newest_first(
    studio_fetch: StudioFetch, endpoints: EndpointService
) -> None:
    await studio_fetch("POST", "endpoints", body=AB)
    endpoint_id = endpoints.endpoint_id("iris-ab")
    with endpoints.database.session(write=True) as session:
        for index in range(3):
            session.add(
                SqlEndpointCapture(
                    endpoint_id=endpoint_id,
                    path=f"capture/iris-ab/2027/01/15/08/h-1-{index}.parquet",
                    worker="w",
                    records=10 + index,
                    bytes=1000 + index,
                    first_at=NOW + index * 1000,
                    last_at=NOW + index * 1000 + 999,
                    created_at=NOW,
                )
            )
    answer = await studio_fetch("GET", "endpoints/iris-ab/captures", params={"limit": 2})
    assert answer.json == {
        "captures": [
            {
                "path": f"capture/iris-ab/2027/01/15/08/h-1-{i}.parquet",
                "records": 10 + i,
                "bytes": 1000 + i,
                "first_at": NOW + i * 1000,
                "last_at": NOW + i * 1000 + 999,
            }
            for i in (2, 1)
        ]
    }
    (await studio_fetch("GET", "endpoints/iris-ab/captures", params={"limit": 0})).error(
        422, "query.limit"
    )


class EchoInvocations(web.RequestHandler):
    """Answers as a serving process would, echoing what the proxy sent."""

    def post(self) -> None:
        self.set_status(418 if self.request.headers.get("X-Target-Variant") == "teapot" else 200)
        self.set_header("Content-Type", "application/json")
        self.set_header("X-Variant", self.request.headers.get("X-Target-Variant", "A"))
        self.set_header("X-Request-Id", self.request.headers.get("X-Request-Id", "fresh-id"))
        self.set_header("X-Not-Forwarded", "1")
        self.finish(
            json.dumps(
                {
                    "key": self.request.headers.get("X-Studio-Proxy-Key"),
                    "content_type": self.request.headers.get("Content-Type"),
                    "body": self.request.body.decode(),
                }
            )
        )


@pytest.fixture
def echo_port() -> Iterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = httpserver.HTTPServer(web.Application([("/invocations", EchoInvocations)]))
    server.listen(port, "127.0.0.1")
    yield port
    server.stop()


async def test_invocations_are_proxied_to_a_live_replica(
    studio_fetch: StudioFetch, endpoints: EndpointService, echo_port: int
) -> None:
    await studio_fetch("POST", "endpoints", body=AB)
    answer = await studio_fetch("POST", "endpoints/iris-ab/invocations", body=b'{"inputs": [[1]]}')
    assert answer.code == 503, answer.body
    assert answer.json["message"] == "The endpoint 'iris-ab' is not running."
    replica_id = endpoints.register_replica(
        "iris-ab",
        host=this_host(),
        bind_host="127.0.0.1",
        port=echo_port,
        pid=1,
        pgid=1,
        pid_started_at=0.0,
        workers=1,
    )
    sent = "sl,sw\n1,2\n"
    answer = await studio_fetch(
        "POST",
        "endpoints/iris-ab/invocations",
        body=sent.encode(),
        headers={"Content-Type": "text/csv", "X-Target-Variant": "B", "X-Request-Id": "req-1"},
    )
    assert answer.code == 200
    assert answer.json == {
        "key": endpoints.store.endpoint_row("iris-ab").proxy_key,
        "content_type": "text/csv",
        "body": sent,
    }
    assert (answer.headers["X-Variant"], answer.headers["X-Request-Id"]) == ("B", "req-1")
    assert "X-Not-Forwarded" not in answer.headers
    # The key reaches the replica only: no answer of the Jupyter server shows it.
    key = endpoints.store.endpoint_row("iris-ab").proxy_key
    for path in ("endpoints", "endpoints/iris-ab", "endpoints/iris-ab/events"):
        assert key not in (await studio_fetch("GET", path)).body.decode()
    # The replica's own status comes back as it was.
    answer = await studio_fetch(
        "POST", "endpoints/iris-ab/invocations", body=b"{}", headers={"X-Target-Variant": "teapot"}
    )
    assert answer.code == 418
    assert answer.headers["X-Request-Id"] == "fresh-id"
    endpoints.replica_stopped(replica_id)
    answer = await studio_fetch("POST", "endpoints/iris-ab/invocations", body=b"{}")
    assert answer.code == 503
    # A replica that beats but does not listen (yet, or any more): refused, not a 500.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        silent_port = int(probe.getsockname()[1])
    endpoints.register_replica(
        "iris-ab",
        host=this_host(),
        bind_host="127.0.0.1",
        port=silent_port,
        pid=1,
        pgid=1,
        pid_started_at=0.0,
        workers=1,
    )
    answer = await studio_fetch("POST", "endpoints/iris-ab/invocations", body=b"{}")
    assert answer.code == 503, answer.body
    assert "did not answer" in answer.json["message"]


async def test_feedback_metrics_and_evaluation_of_what_replicas_recorded(
    studio_fetch: StudioFetch, endpoints: EndpointService
) -> None:
    await studio_fetch("POST", "endpoints", body={**AB, "capture": 0.0})
    recorder = Recorder(
        endpoints.database,
        endpoints.studio_config,
        endpoints.endpoint_id("iris-ab"),
        "iris-ab",
        "worker-1",
    )
    recorder.set_config(endpoints.config("iris-ab"))
    for index in range(4):
        variant = "AB"[index % 2]
        recorder.record(
            request_id=f"r{index}",
            variant=variant,
            shadow=False,
            latency_ms=2.0 + index,
            ok=True,
            rows=1,
            body=None,
            content_type=None,
            predictions=[0 if variant == "A" else 1],
            error=None,
        )
    recorder.close()
    answer = await studio_fetch(
        "POST", "endpoints/iris-ab/feedback", body={"request_id": "r0", "label": 0}
    )
    assert answer.json == {"scored": 1, "pending": 0}
    labels = [{"request_id": f"r{i}", "label": 0} for i in (1, 2, 3)] + [
        {"request_id": "later", "label": 1}
    ]
    answer = await studio_fetch("POST", "endpoints/iris-ab/feedback", body=labels)
    assert answer.json == {"scored": 3, "pending": 1}
    (
        await studio_fetch(
            "POST", "endpoints/iris-ab/feedback", body={"request_id": "a b", "label": 1}
        )
    ).error(422, "body")
    (
        await studio_fetch(
            "POST", "endpoints/iris-ab/feedback", body={"request_id": "r0", "label": 0}
        )
    ).error(409, "already has a label")
    evaluation = (await studio_fetch("GET", "endpoints/iris-ab/evaluation")).json
    assert (evaluation["task"], evaluation["metric"]) == ("classification", "accuracy")
    assert {
        name: (v["n"], v["value"]) for name, v in evaluation["variants"].items() if not v["shadow"]
    } == {
        "A": (2, 1.0),
        "B": (2, 0.0),
    }
    metrics = (await studio_fetch("GET", "endpoints/iris-ab/metrics", params={"step": 60})).json
    assert metrics["step"] == 60
    assert {name: totals["invocations"] for name, totals in metrics["totals"].items()} == {
        "A": 2,
        "B": 2,
    }
    (await studio_fetch("GET", "endpoints/iris-ab/metrics", params={"step": 0})).error(
        422, "query.step"
    )
    for params in ({"since": 0}, {"since": int(time.time()) - 20_000, "step": 1}):
        answer = await studio_fetch("GET", "endpoints/iris-ab/metrics", params=params)
        answer.error(400, "at most 7 days")
    (await studio_fetch("GET", "endpoints/nope/metrics")).error(404, "nope")
