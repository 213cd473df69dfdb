"""Alembic, driven from code: no alembic.ini to find, one connection, one lock."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Any constant works; it only has to be the same in every Studio process.
POSTGRES_MIGRATION_LOCK = 4_711_001


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the migrations folder has no revision"
    return head


def upgrade_schema(engine: Engine, is_sqlite: bool, revision: str = "head") -> None:
    """Migrate inside one transaction that holds the database's write lock.

    Several processes that open a new store at once (four notebooks, a job) then create the
    schema exactly once: the others wait for the lock and find it done.
    """
    writer = engine.execution_options(studio_begin="IMMEDIATE") if is_sqlite else engine
    with writer.begin() as connection:
        if not is_sqlite:
            connection.execute(text(f"SELECT pg_advisory_xact_lock({POSTGRES_MIGRATION_LOCK})"))
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
