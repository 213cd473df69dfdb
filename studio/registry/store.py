"""The model registry's SQL (filled in by the registry's implementation)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import update

from studio.registry.orm import SqlModelVersion

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from studio.db.engine import Database


class RegistryStore:
    def __init__(self, database: Database) -> None:
        self.db = database


def forget_runs(session: Session, run_ids: Any) -> None:
    """The feature's runs-deleted hook: versions keep their copied files and lineage without
    the deleted runs (explicit, as SQLite applies ON DELETE SET NULL only with its pragma on)."""
    session.execute(
        update(SqlModelVersion)
        .where(SqlModelVersion.run_id.in_(run_ids))
        .values(run_id=None)
        .execution_options(synchronize_session=False)
    )
