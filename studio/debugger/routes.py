"""Every REST route of the training debugger, as its feature declaration names them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.debugger.handlers import ROUTES as DEBUGGER_ROUTES

if TYPE_CHECKING:
    from studio.web import Route

ROUTES: list[Route] = [*DEBUGGER_ROUTES]
