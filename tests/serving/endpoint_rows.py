"""Endpoints for the recorder's and readers' tests, made by `EndpointService` over versions
written straight into the registry's tables (the observation tables only need an endpoint
to point at; these tests are not about model files)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.config import StudioConfig
from studio.serving.service import EndpointService
from tests.serving.registry_rows import add_version

if TYPE_CHECKING:
    from studio.db.engine import Database
    from studio.serving.entities import EndpointConfig


def endpoint_config(database: Database, name: str = "iris", capture: float = 1.0) -> EndpointConfig:
    """A new endpoint `name` with one primary variant A; its configuration as served (no
    task declared: the version's signature, a `long` output, makes it a classification)."""
    service = EndpointService.from_database(database, StudioConfig.resolve(db_url=database.url))
    add_version(database, f"{name}-model", 1)
    service.create(name, {"A": f"models:/{name}-model/1"}, capture=capture)
    return service.config(name)


def insert_endpoint(database: Database, name: str = "iris") -> int:
    return endpoint_config(database, name).endpoint_id
