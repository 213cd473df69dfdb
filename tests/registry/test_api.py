"""`studio.register_model`, the registry's `Client` methods and `studio models` on the local
store (STUDIO_HOME in tmp_path), and the same through a Studio server's REST API. The local
part touches no store-specific SQL (the store's tests run on both databases)."""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import studio
from studio.config import HOME_ENV, TOKEN_ENV, TRACKING_URI_ENV
from studio.errors import Conflict, InvalidInput, NotFound, UntrustedModel
from studio.registry import clients
from studio.registry.cli import main
from studio.registry.entities import ApprovalStatus
from tests.databases import sqlite_only
from tests.registry.models import (
    ROWS,
    forest,
    logistic,
    rounding,
    run_with_model,
    write_pickle_folder,
)
from tests.tracking.logging_store import close_connection

if TYPE_CHECKING:
    from collections.abc import Iterator

    from jupyter_server.serverapp import ServerApp
    from traitlets.config import Config

    from studio.registry.service import RegistryService


@pytest.fixture
def local_registry(
    tmp_path: Path, studio_clean_environment: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RegistryService]:
    """A STUDIO_HOME of its own as the tracking URI; the registry service `studio` uses there."""
    home = str(tmp_path / "home")
    monkeypatch.setenv(HOME_ENV, home)
    monkeypatch.setenv(TRACKING_URI_ENV, home)
    client = clients.registry_client()
    assert isinstance(client, clients.LocalRegistry)
    yield client.service
    _forget_clients()
    close_connection(home)


def _forget_clients() -> None:
    for client in list(clients._clients.values()):
        if isinstance(client, clients.LocalRegistry):
            client.service.store.db.dispose()
    clients._clients.clear()


@sqlite_only
def test_register_approve_and_load_from_python(local_registry: RegistryService) -> None:
    run_id = run_with_model(local_registry.tracking, rounding(), metrics={"accuracy": 0.9})
    version = studio.register_model(run_id, "iris")
    assert (version.name, version.version, version.run_id) == ("iris", 1, run_id)
    assert version.status is ApprovalStatus.PENDING
    client = studio.Client()
    client.set_model_gates("iris", {"accuracy": ">= 0.95"})
    with pytest.raises(Conflict, match=r"accuracy >= 0\.95"):
        client.approve_model_version("iris", 1, approve_types=["numpy.around"])
    client.set_model_gates("iris", {"accuracy": ">= 0.85"})
    approved = client.approve_model_version("iris", 1, approve_types=["numpy.around"])
    assert approved.status_by  # the operating system's user
    client.set_model_alias("iris", "champion", 1)
    assert client.get_model_version("iris", "champion").version == 1
    loaded = client.load_model("models:/iris@champion")
    assert loaded.predict(ROWS[:4]).tolist() == rounding().predict(ROWS[:4]).tolist()
    # The run's own copy knows no approval: its extra type needs trusted=True there.
    with pytest.raises(UntrustedModel, match=r"numpy\.around"):
        client.load_model(run_id)
    assert client.load_model(f"runs:/{run_id}/model", trusted=True) is not None
    assert [model.name for model in client.list_models()] == ["iris"]
    assert [found.version for found in client.list_model_versions("iris")] == [1]
    client.delete_model_alias("iris", "champion")
    with pytest.raises(NotFound):
        client.load_model("models:/iris@champion")
    rejected = client.reject_model_version("iris", 1, comment="no")
    assert rejected.status is ApprovalStatus.REJECTED


@sqlite_only
def test_a_pickle_never_loads_unless_trusted(local_registry: RegistryService) -> None:
    run_id = run_with_model(local_registry.tracking, logistic())
    with tempfile.TemporaryDirectory() as scratch:
        folder = write_pickle_folder(Path(scratch) / "old", logistic())
        local_registry.tracking.log_artifact(run_id, folder, "old")
    client = studio.Client()
    with pytest.raises(UntrustedModel, match="trusted=True"):
        client.load_model(run_id, name="old")
    assert client.load_model(run_id, name="old", trusted=True).predict(ROWS[:1]).tolist() == [0]
    studio.register_model(f"runs:/{run_id}/old", "old")
    with pytest.raises(UntrustedModel):
        client.load_model("models:/old/1")


@sqlite_only
def test_the_command_line(
    local_registry: RegistryService, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = run_with_model(local_registry.tracking, rounding(), metrics={"accuracy": 0.9})
    assert main(["gates", "iris", "accuracy >= 0.8"]) == 0
    assert "gates: accuracy >= 0.8" in capsys.readouterr().out
    assert main(["register", run_id, "iris", "--tag", "team=a"]) == 0
    assert capsys.readouterr().out.startswith("models:/iris/1  PENDING")
    assert main(["approve", "iris", "1"]) == 2
    assert "numpy.around" in capsys.readouterr().err
    assert main(["approve", "iris", "1", "--type", "numpy.around", "--comment", "ok"]) == 0
    assert "APPROVED by" in capsys.readouterr().out
    assert main(["alias", "iris", "champion", "1"]) == 0
    assert "@champion" in capsys.readouterr().out
    assert main(["list"]) == 0
    assert capsys.readouterr().out.startswith("iris  1 version(s)  latest 1  @champion=1")
    assert main(["versions", "iris", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["tags"] == {"team": "a"}
    assert main(["show", "models:/iris@champion", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["approved_types"] == ["numpy.around"]
    assert shown["lineage"]["run"]["id"] == run_id
    assert main(["reject", "iris", "1"]) == 0
    assert main(["alias", "iris", "champion", "--delete"]) == 0
    assert main(["show", "models:/iris@champion"]) == 2
    assert "no alias 'champion'" in capsys.readouterr().err
    assert main(["delete", "iris", "1"]) == 0
    assert main(["delete", "iris"]) == 0
    assert main(["versions", "iris"]) == 2


@pytest.fixture
def jp_server_config(jp_server_config: Config) -> Config:
    jp_server_config.StudioApp.scheduler_enabled = False
    return jp_server_config


@pytest.fixture
def server(
    jp_serverapp: ServerApp,
    http_server: Any,
    jp_http_port: int,
    jp_base_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[RegistryService]:
    """The server's URL and token in the environment, as a kernel it started has them."""
    monkeypatch.setenv(TRACKING_URI_ENV, f"http://127.0.0.1:{jp_http_port}{jp_base_url}")
    monkeypatch.setenv(TOKEN_ENV, jp_serverapp.identity_provider.token)
    yield jp_serverapp.web_app.settings["studio_registry"]
    _forget_clients()


async def test_the_same_through_a_server(server: RegistryService) -> None:
    run_id = run_with_model(server.tracking, forest())
    call = asyncio.to_thread
    version = await call(studio.register_model, f"runs:/{run_id}/model", "iris")
    assert (version.version, version.untrusted_types) == (1, ("sklearn.tree._tree.Tree",))
    client = studio.Client()
    approved = await call(client.approve_model_version, "iris", 1)
    assert approved.status is ApprovalStatus.APPROVED
    await call(client.set_model_alias, "iris", "champion", 1)
    server.tracking.delete_run(run_id)
    loaded = await call(client.load_model, "models:/iris@champion")
    assert loaded.predict(ROWS[:4]).tolist() == forest().predict(ROWS[:4]).tolist()
    with pytest.raises(NotFound, match="no alias 'x'"):
        await call(client.load_model, "models:/iris@x")
    with pytest.raises(InvalidInput, match="already a registered version"):
        await call(client.register_model, "models:/iris/1", "iris")
