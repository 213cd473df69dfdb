"""The local store of `studio.jobs` and `studio jobs` in a test: STUDIO_HOME in tmp_path."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from studio.config import HOME_ENV
from studio.jobs import clients

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

__all__ = ["local", "local_home"]


@pytest.fixture
def local_home(
    tmp_path: Path, studio_clean_environment: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """STUDIO_HOME at tmp_path / "home", and no client of another test's store left over."""
    folder = tmp_path / "home"
    monkeypatch.setenv(HOME_ENV, str(folder))
    yield folder
    for client in list(clients._clients.values()):
        if isinstance(client, clients.LocalJobs):
            client.service.store.db.dispose()
    clients._clients.clear()


def local() -> clients.LocalJobs:
    """The client `studio.jobs` uses now: the local store's."""
    found = clients.jobs_client()
    assert isinstance(found, clients.LocalJobs)
    return found
