"""The logic of endpoints (filled in by their implementation)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.serving.store import EndpointStore

if TYPE_CHECKING:
    from studio.config import StudioConfig
    from studio.db.engine import Database


class EndpointService:
    def __init__(self, database: Database, config: StudioConfig) -> None:
        self.store = EndpointStore(database)
        self.config = config

    @classmethod
    def from_database(cls, database: Database, config: StudioConfig) -> EndpointService:
        return cls(database, config)
