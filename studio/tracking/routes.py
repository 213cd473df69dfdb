"""Every REST route of experiment tracking, as its feature declaration names them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.tracking.handlers import ROUTES as RUN_ROUTES
from studio.tracking.series_handlers import SERIES_ROUTES

if TYPE_CHECKING:
    from studio.web import Route

ROUTES: list[Route] = [*RUN_ROUTES, *SERIES_ROUTES]
