"""`studio.serving`'s Python API and `studio endpoints` on the local store: the calls of
DESIGN.md, their refusals, and the command line's output and exit statuses. On SQLite, and
on PostgreSQL where STUDIO_TEST_DB_URL names a server."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

import studio.serving
from studio.errors import Conflict, InvalidInput, NotFound
from studio.serving import clients
from studio.serving.cli import main
from studio.serving.entities import Task, VariantRole
from tests.serving.registry_rows import add_version

if TYPE_CHECKING:
    from collections.abc import Iterator

    from studio.db.engine import Database

TOKEN = "a-long-enough-token-42"


@pytest.fixture
def uri(database: Database, database_url: str) -> Iterator[str]:
    for version in (1, 2, 3):
        add_version(database, "iris", version)
    add_version(database, "iris", 4, status="REJECTED")
    yield database_url
    for client in clients._clients.values():
        if isinstance(client, clients.LocalEndpoints):
            client.service.database.dispose()
    clients._clients.clear()


def test_the_python_api(uri: str) -> None:
    created = studio.serving.create_endpoint(
        "iris",
        variants={"A": ("models:/iris/1", 1.0), "B": ("models:/iris/2", 1.0)},
        shadows={"S": "models:/iris/3"},
        capture=1.0,
        token=TOKEN,
        tracking_uri=uri,
    )
    assert isinstance(created, studio.serving.Endpoint)
    assert (created.capture, created.has_token, created.config_version) == (1.0, True, 1)
    assert [(v.name, v.role) for v in created.variants] == [
        ("A", VariantRole.PRIMARY),
        ("B", VariantRole.PRIMARY),
        ("S", VariantRole.SHADOW),
    ]
    changed = studio.serving.update_endpoint(
        "iris", weights={"A": 0.9, "B": 0.1}, remove=["S"], tracking_uri=uri
    )
    assert {v.name: v.weight for v in changed.variants} == {"A": 0.9, "B": 0.1}
    assert studio.serving.get_endpoint("iris", tracking_uri=uri) == changed
    assert [e.name for e in studio.serving.list_endpoints(tracking_uri=uri)] == ["iris"]
    with pytest.raises(Conflict, match="REJECTED"):
        studio.serving.update_endpoint("iris", variants={"C": "models:/iris/4"}, tracking_uri=uri)
    with pytest.raises(InvalidInput, match="task"):
        studio.serving.create_endpoint("x", {"A": "models:/iris/1"}, task="nope", tracking_uri=uri)
    studio.serving.delete_endpoint("iris", tracking_uri=uri)
    with pytest.raises(NotFound):
        studio.serving.get_endpoint("iris", tracking_uri=uri)
    assert (
        studio.serving.create_endpoint(
            "reg", {"A": "models:/iris/1"}, task=Task.REGRESSION, tracking_uri=uri
        ).task
        is Task.REGRESSION
    )


def test_the_command_line(
    uri: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IRIS_TOKEN", TOKEN)
    base = ["--tracking-uri", uri]
    status = main(
        [
            *base,
            "create",
            "iris",
            "--variant", "A", "models:/iris/1", "3",
            "--variant", "B", "models:/iris/2",
            "--shadow", "S", "models:/iris/3", "0.5",
            "--capture", "0.1",
            "--token-env", "IRIS_TOKEN",
        ]
    )  # fmt: skip
    assert status == 0
    out = capsys.readouterr().out
    assert (
        out
        == "iris v1 stopped: A=models:/iris/1 x3, B=models:/iris/2 x1, S=models:/iris/3 shadow\n"
    )
    assert main([*base, "weights", "iris", "A=1", "B=0"]) == 0
    assert "iris v2 stopped: A=models:/iris/1 x1, B=models:/iris/2 x0," in capsys.readouterr().out
    assert main([*base, "show", "iris"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["has_token"], shown["capture"], shown["running"]) == (True, 0.1, False)
    assert shown["variants"][2] == {
        "name": "S",
        "role": "shadow",
        "model_uri": "models:/iris/3",
        "model_name": "iris",
        "model_version": 3,
        "weight": 0.0,
        "sampling": 0.5,
    }
    assert main([*base, "list"]) == 0
    assert capsys.readouterr().out.startswith("iris v2 stopped")
    for argv, message in (
        (["weights", "iris", "A"], "'A' is not VARIANT=WEIGHT"),
        (["weights", "iris", "A=0", "B=0"], "a weight above 0"),
        (["create", "x", "--variant", "A"], "--variant takes NAME URI [NUMBER]"),
        (
            ["create", "x", "--variant", "A", "models:/iris/1", "--token-env", "NOPE"],
            "NOPE holds no token",
        ),
        (["delete", "nope"], "No endpoint is named 'nope'"),
        (["stop", "nope"], "No endpoint is named 'nope'"),
    ):
        assert main([*base, *argv]) == 2, argv
        assert message in capsys.readouterr().err, argv
    assert main([*base, "delete", "iris"]) == 0
    assert capsys.readouterr().out == "deleted iris\n"
