"""Every REST route of the model registry, as its feature declaration names them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.registry.batch_handlers import ROUTES as BATCH_ROUTES
from studio.registry.handlers import ROUTES as REGISTRY_ROUTES

if TYPE_CHECKING:
    from studio.web import Route

ROUTES: list[Route] = [*REGISTRY_ROUTES, *BATCH_ROUTES]
