"""The model registry's logic (filled in by the registry's implementation)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.registry.store import RegistryStore

if TYPE_CHECKING:
    from studio.config import StudioConfig
    from studio.db.engine import Database


class RegistryService:
    def __init__(self, database: Database, config: StudioConfig) -> None:
        self.store = RegistryStore(database)
        self.config = config

    @classmethod
    def from_database(cls, database: Database, config: StudioConfig) -> RegistryService:
        return cls(database, config)
