"""Every Studio route, every verb it implements, refuses unauthenticated and unauthorized calls.

The routes are read from the running server's router, not from Studio's own table, so a route
registered some other way is walked too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from jupyter_server.auth import Authorizer

if TYPE_CHECKING:
    from traitlets.config import Config

    from studio.tracking.service import TrackingService
    from tests.conftest import Answer, RegisteredRoute, StudioFetch

DENY_HEADER = "X-Studio-Test-Deny"
READ_ONLY_HEADER = "X-Studio-Test-Read-Only"


class DenyOnHeader(Authorizer):
    """Authorizes everything, except Studio calls that carry DENY_HEADER, and writes to a
    resource named in READ_ONLY_HEADER (as a deployment may allow reading runs only)."""

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        headers = handler.request.headers
        if not resource.startswith("studio"):
            return True
        if headers.get(DENY_HEADER):
            return False
        return not (action != "read" and headers.get(READ_ONLY_HEADER) == resource)


@pytest.fixture
def jp_server_config(jp_server_config: Config) -> Config:
    jp_server_config.ServerApp.authorizer_class = DenyOnHeader
    return jp_server_config


@pytest.fixture
def stored(studio_tracking: TrackingService) -> TrackingService:
    """An experiment with id 1 and a run with id "1" (the ids the walk uses), with an artifact."""
    tracking = studio_tracking
    experiment = tracking.create_experiment("kept")
    assert experiment.id == 1
    tracking.create_run(experiment.id, run_id="1", params={"p": 1})
    tracking.upload_artifact("1", "1", b"artifact")
    return tracking


async def answer_of(
    studio_fetch: StudioFetch, route: RegisteredRoute, method: str, **headers: str
) -> Answer:
    body = b"{}" if method in ("POST", "PUT", "PATCH") else None
    path = route.sample_path().removeprefix("/studio/api/")
    return await studio_fetch(method, path, body=body, params={"path": "1"}, headers=headers)


def calls(routes: list[RegisteredRoute]) -> list[tuple[RegisteredRoute, str]]:
    walked = [(route, method) for route in routes for method in route.methods]
    assert len(walked) >= 16, walked  # every tracking verb, the OpenAPI document, ...
    return walked


async def test_every_route_needs_a_token(
    studio_fetch: StudioFetch,
    studio_routes: list[RegisteredRoute],
    stored: TrackingService,
) -> None:
    for route, method in calls(studio_routes):
        for authorization in ("", "token not-the-token"):
            answer = await answer_of(studio_fetch, route, method, Authorization=authorization)
            assert answer.code in (401, 403), (method, route.template, authorization, answer)
            assert answer.headers["Content-Type"].startswith("application/json")
    # Nothing was changed by the refused calls.
    assert stored.get_experiment(1).name == "kept"
    assert stored.get_run("1").params == {"p": "1"}
    assert [a.path for a in stored.list_artifacts("1")] == ["1"]


async def test_every_route_checks_authorization(
    studio_fetch: StudioFetch,
    studio_routes: list[RegisteredRoute],
    stored: TrackingService,
) -> None:
    for route, method in calls(studio_routes):
        answer = await answer_of(studio_fetch, route, method, **{DENY_HEADER: "1"})
        answer.error(403, "not authorized")
    assert stored.get_experiment(1).name == "kept"
    assert stored.get_run("1").params == {"p": "1"}


async def test_with_token_and_permission_every_route_answers(
    studio_fetch: StudioFetch,
    studio_routes: list[RegisteredRoute],
    stored: TrackingService,
) -> None:
    # The other two tests mean something only if the same calls pass once authorized.
    # DELETE comes last, so that the other verbs still find the experiment and the run.
    ordered = sorted(calls(studio_routes), key=lambda call: call[1] == "DELETE")
    for route, method in ordered:
        answer = await answer_of(studio_fetch, route, method)
        assert answer.code not in (401, 403, 405, 500), (method, route.template, answer)


async def test_each_feature_has_its_own_authorization_resource(
    studio_fetch: StudioFetch, stored: TrackingService
) -> None:
    # A deployment that lets users read runs but not write them: tracking's resource.
    read_only = {READ_ONLY_HEADER: "studio.tracking"}
    assert (await studio_fetch("GET", "runs/1", headers=read_only)).code == 200
    answer = await studio_fetch("POST", "runs", body={"name": "refused"}, headers=read_only)
    answer.error(403, "not authorized")
    refused = await studio_fetch("DELETE", "runs/1", headers=read_only)
    refused.error(403, "not authorized")
    assert stored.get_run("1").params == {"p": "1"}
    # Another resource's read-only rule leaves tracking writable.
    other = {READ_ONLY_HEADER: "studio.jobs"}
    assert (await studio_fetch("POST", "runs", body={"name": "ok"}, headers=other)).code == 201


def test_execute_is_asked_about_each_handlers_own_resource_on_every_request() -> None:
    """jupyter_server's `authorized` keeps the first request's resource in a closure shared by
    the methods one instance decorates: shared by the jobs' and evaluation's handlers, it asked
    about "studio.evaluation" for the jobs' runs once a training had started."""
    import asyncio
    from types import SimpleNamespace

    from tornado.web import HTTPError

    from studio.evaluation.training_handlers import TrainHandler
    from studio.jobs.handlers import RunsHandler

    asked: list[tuple[str, str]] = []

    class Recording:
        def is_authorized(self, handler: object, user: object, action: str, resource: str) -> bool:
            asked.append((action, resource))
            return False

    def request_to(handler_class: type) -> None:
        handler = SimpleNamespace(
            request=SimpleNamespace(method="POST"),
            current_user="someone",
            authorizer=Recording(),
            auth_resource=handler_class.auth_resource,
        )
        with pytest.raises(HTTPError) as refused:
            asyncio.run(handler_class.post(handler))
        assert refused.value.status_code == 403

    for handler_class in (TrainHandler, RunsHandler, TrainHandler, RunsHandler):
        request_to(handler_class)
    assert asked == [
        ("execute", "studio.evaluation"),
        ("execute", "studio.jobs"),
        ("execute", "studio.evaluation"),
        ("execute", "studio.jobs"),
    ]
