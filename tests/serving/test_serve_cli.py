"""`studio serve`'s refusals, in-process (nothing is started). The process itself, with its
workers, live changes and SIGTERM, is tests/serving/test_replicas.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.config import StudioConfig
from studio.db.engine import Database
from studio.serving.serve_cli import main
from studio.serving.service import EndpointService
from tests.databases import fresh_database
from tests.serving.registry_rows import add_version


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EndpointService]:
    with fresh_database(str(tmp_path / "studio.db"), migrated=True) as url:
        config = StudioConfig(home=tmp_path / "home", db_url=url, artifact_root=str(tmp_path / "a"))
        for name, value in config.environment().items():
            monkeypatch.setenv(name, value)
        database = Database(url)
        add_version(database, "iris", 1)
        service = EndpointService.from_database(database, config)
        service.create("open", {"A": "models:/iris/1"})
        yield service
        database.dispose()


def test_an_endpoint_without_a_token_is_not_served_beyond_loopback(
    environment: EndpointService, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["open", "--host", "0.0.0.0"]) == 2
    assert "loopback" in capsys.readouterr().err
    assert environment.replicas("open") == []


def test_a_missing_token_variable_or_endpoint_is_named(
    environment: EndpointService,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SERVE_TEST_TOKEN", raising=False)
    assert main(["open", "--host", "0.0.0.0", "--token-env", "SERVE_TEST_TOKEN"]) == 2
    assert "SERVE_TEST_TOKEN" in capsys.readouterr().err
    assert main(["nowhere"]) == 2
    assert "nowhere" in capsys.readouterr().err
