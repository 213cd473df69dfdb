"""`studio.serving` and `studio endpoints` through a Studio server (STUDIO_TRACKING_URI=
http://...), against a real Jupyter server: the same answers and errors as locally."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest

import studio.serving
from studio.config import TOKEN_ENV, TRACKING_URI_ENV
from studio.errors import Conflict, InvalidInput, NotFound
from studio.serving import clients
from studio.serving.cli import main
from studio.serving.entities import VariantRole
from tests.serving.registry_rows import add_version

if TYPE_CHECKING:
    from collections.abc import Iterator

    from jupyter_server.serverapp import ServerApp

    from studio.serving.service import EndpointService

call = asyncio.to_thread


@pytest.fixture
def server(
    jp_serverapp: ServerApp,
    http_server: Any,
    jp_http_port: int,
    jp_base_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[EndpointService]:
    monkeypatch.setenv(TRACKING_URI_ENV, f"http://127.0.0.1:{jp_http_port}{jp_base_url}")
    monkeypatch.setenv(TOKEN_ENV, jp_serverapp.identity_provider.token)
    service: EndpointService = jp_serverapp.web_app.settings["studio_serving"]
    add_version(service.database, "iris", 1)
    add_version(service.database, "iris", 2)
    add_version(service.database, "iris", 3, status="PENDING")
    yield service
    clients._clients.clear()


async def test_endpoints_through_the_server(server: EndpointService) -> None:
    created = await call(
        studio.serving.create_endpoint,
        "iris",
        variants={"A": ("models:/iris/1", 2.0), "B": "models:/iris/2"},
        shadows={"S": ("models:/iris/2", 0.25)},
        capture=0.5,
        token="a-long-enough-token-42",
    )
    assert created == server.get("iris")
    assert created.has_token
    assert [(v.name, v.role, v.weight, v.sampling) for v in created.variants] == [
        ("A", VariantRole.PRIMARY, 2.0, 1.0),
        ("B", VariantRole.PRIMARY, 1.0, 1.0),
        ("S", VariantRole.SHADOW, 0.0, 0.25),
    ]
    changed = await call(
        studio.serving.update_endpoint,
        "iris",
        weights={"A": 1},
        variants={"C": ("models:/iris/1", 0.0)},
        remove=["S"],
    )
    assert changed == server.get("iris")
    assert [v.name for v in changed.variants] == ["A", "B", "C"]
    assert await call(studio.serving.list_endpoints) == [changed]
    with pytest.raises(Conflict, match="PENDING"):
        await call(studio.serving.update_endpoint, "iris", variants={"D": "models:/iris/3"})
    with pytest.raises(InvalidInput, match="weight"):
        await call(studio.serving.update_endpoint, "iris", weights={"A": -1})
    with pytest.raises(NotFound, match="'nope'"):
        await call(studio.serving.get_endpoint, "nope")
    # Nothing to stop: Studio started no server for it.
    stopped = await call(studio.serving.stop_endpoint, "iris")
    assert not stopped.running
    assert await call(main, ["weights", "iris", "A=5"]) == 0
    assert server.get("iris").primaries[0].weight == 5.0
    await call(studio.serving.delete_endpoint, "iris")
    assert server.list() == []
