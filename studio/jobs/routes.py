"""Every REST route of notebook jobs, as its feature declaration names them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.jobs.handlers import ROUTES as JOBS_ROUTES

if TYPE_CHECKING:
    from studio.web import Route

ROUTES: list[Route] = [*JOBS_ROUTES]
