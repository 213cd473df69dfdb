"""Alembic, driven from code: no alembic.ini to find, one connection, one lock.

On SQLite, alembic's batch mode changes a table by rebuilding it (create a copy, drop the
original, rename the copy). With `foreign_keys=ON`, dropping `runs` would cascade and empty
every table that points at it, so migrations run with foreign keys off, and `PRAGMA
foreign_key_check` decides, before the commit, whether the result may be kept.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from studio.errors import StoreError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Any constant works; it only has to be the same in every Studio process.
POSTGRES_MIGRATION_LOCK = 4_711_001
# How many foreign-key violations a refusal names; the count covers the rest.
_VIOLATIONS_SHOWN = 5

# One alembic command on a configured connection: upgrade or downgrade to a revision.
Migration = Callable[[Config], None]


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the migrations folder has no revision"
    return head


def pending_revisions(current: str | None, target: str = "head") -> list[tuple[str, str]]:
    """The revisions an upgrade from `current` (None: an empty database) to `target` applies,
    in order, each with the first paragraph of its docstring."""
    scripts = ScriptDirectory.from_config(alembic_config())
    found = scripts.iterate_revisions(target, current or "base")
    return [(script.revision, " ".join(script.doc.split())) for script in reversed(list(found))]


def upgrade_schema(engine: Engine, is_sqlite: bool, revision: str = "head") -> None:
    """Migrate up to `revision` (see `migrate`)."""
    migrate(engine, is_sqlite, lambda config: command.upgrade(config, revision))


def downgrade_schema(engine: Engine, is_sqlite: bool, revision: str) -> None:
    """Migrate down to `revision` (see `migrate`)."""
    migrate(engine, is_sqlite, lambda config: command.downgrade(config, revision))


def migrate(engine: Engine, is_sqlite: bool, migration: Migration) -> None:
    """Run `migration` inside one transaction that holds the database's write lock.

    Several processes that open a new store at once (four notebooks, a job) then create the
    schema exactly once: the others wait for the lock and find it done. Nothing is committed
    unless every foreign key still points at a row; a refusal raises `StoreError`.
    """
    writer = engine.execution_options(studio_begin="IMMEDIATE") if is_sqlite else engine
    with writer.connect() as connection:
        if is_sqlite:
            # The pragma is ignored inside a transaction, so it goes to the driver before
            # SQLAlchemy begins one (with isolation_level None the driver begins none itself).
            connection.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
        try:
            _run_in_transaction(connection, is_sqlite, migration)
        finally:
            if is_sqlite:
                _restore_foreign_keys(connection)


def _run_in_transaction(connection: Connection, is_sqlite: bool, migration: Migration) -> None:
    try:
        with connection.begin():
            if not is_sqlite:
                connection.execute(text(f"SELECT pg_advisory_xact_lock({POSTGRES_MIGRATION_LOCK})"))
            config = alembic_config()
            config.attributes["connection"] = connection
            migration(config)
            if is_sqlite:
                _refuse_dangling_keys(connection)
    except DBAPIError as exc:
        raise StoreError(f"The migration failed and was rolled back: {exc.orig}") from exc


def _refuse_dangling_keys(connection: Connection) -> None:
    """Raise (so the transaction rolls back) if any row's foreign key points nowhere."""
    violations = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if not violations:
        return
    named = ", ".join(
        f"{table} row {rowid} -> {parent}"
        for table, rowid, parent, _ in violations[:_VIOLATIONS_SHOWN]
    )
    more = len(violations) - _VIOLATIONS_SHOWN
    raise StoreError(
        f"The migration was refused and nothing was committed: it would leave "
        f"{len(violations)} rows whose foreign keys point at no row ({named}"
        f"{f', and {more} more' if more > 0 else ''})."
    )


def _restore_foreign_keys(connection: Connection) -> None:
    # A pooled connection must not go back with foreign keys off; if the pragma cannot be
    # restored, the connection is discarded instead.
    try:
        connection.connection.driver_connection.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]
    except Exception:
        connection.invalidate()
        raise
