"""The debugger's REST routes: none yet (its handlers come with the panel)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from studio.web import Route

ROUTES: list[Route] = []
