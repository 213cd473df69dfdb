"""Endpoints' configuration SQL (filled in by their implementation)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from studio.db.engine import Database


class EndpointStore:
    def __init__(self, database: Database) -> None:
        self.db = database
