"""Every REST route of endpoints on the Jupyter side: configuration, start and stop, proxy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.serving.handlers import ROUTES as ENDPOINT_ROUTES

if TYPE_CHECKING:
    from studio.web import Route

ROUTES: list[Route] = [*ENDPOINT_ROUTES]
