"""Engine creation, one managed session scope per store call, and the schema check."""

from __future__ import annotations

import importlib
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.orm import Session, sessionmaker

from studio.config import StudioConfig, sqlite_synchronous_level
from studio.errors import Conflict, InvalidInput, SchemaOutOfDate, StoreError, StudioError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

# The alembic revision this code was written for; tests check that it is alembic's head.
SCHEMA_REVISION = "0009"
SQLITE_BUSY_TIMEOUT_MS = 60_000


def _sqlite_pragmas(synchronous: str, dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself, so writers can take the lock up front.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    # NORMAL by default; FULL or EXTRA where a commit must survive a power loss (config.py).
    cursor.execute(f"PRAGMA synchronous = {synchronous}")
    cursor.execute("PRAGMA foreign_keys = ON")
    # LIKE matches case as on PostgreSQL; the filter language has ILIKE for the other kind.
    cursor.execute("PRAGMA case_sensitive_like = ON")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # A deferred transaction that later writes can fail with SQLITE_BUSY at once (busy_timeout
    # does not apply to the lock upgrade); writers therefore start with BEGIN IMMEDIATE.
    mode = conn.get_execution_options().get("studio_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """One database: its engine, its sessions and its schema state."""

    def __init__(
        self, url: str, *, echo: bool = False, sqlite_synchronous: str | None = None
    ) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if self.is_sqlite:
            synchronous = sqlite_synchronous_level(sqlite_synchronous)
            _ensure_sqlite_folder(url)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 60}
        else:
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", partial(_sqlite_pragmas, synchronous))
            event.listen(self.engine, "begin", _sqlite_begin)
            writer_engine: Engine = self.engine.execution_options(studio_begin="IMMEDIATE")
        else:
            writer_engine = self.engine
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(writer_engine, expire_on_commit=False)
        self._schema_checked = False
        self._schema_lock = threading.Lock()

    @classmethod
    def from_config(cls, config: StudioConfig) -> Database:
        """The database a resolved configuration names, at its SQLite synchronous level."""
        return cls(config.db_url, sqlite_synchronous=config.sqlite_synchronous)

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """One transaction: committed on success, rolled back on any error.

        Database errors leave here as `StudioError`s, so no caller ever sees SQLAlchemy's.
        """
        self.ensure_schema()
        factory = self._writer if write else self._reader
        session = factory()
        try:
            yield session
            session.commit()
        except StudioError:
            session.rollback()
            raise
        except IntegrityError as exc:
            session.rollback()
            raise Conflict(f"The change conflicts with stored data: {_first_line(exc)}") from exc
        except DataError as exc:
            # The database refused a value itself (PostgreSQL: a NUL in text, a number out of
            # range): bad input that a check above the store missed, not a failing store.
            session.rollback()
            raise InvalidInput(f"The store cannot hold a value given: {_first_line(exc)}") from exc
        except (OperationalError, DBAPIError, SQLAlchemyError) as exc:
            session.rollback()
            raise StoreError(f"The store failed: {_first_line(exc)}") from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def current_revision(self) -> str | None:
        """The alembic revision stamped in the database, or None for an empty database."""
        with self.engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()

    def ensure_schema(self) -> None:
        """Create a new database's schema; refuse one written by another version of Studio."""
        if self._schema_checked:
            return
        with self._schema_lock:
            if self._schema_checked:
                return
            revision = self._first_look()
            if revision is None:
                self.upgrade()
            elif revision != SCHEMA_REVISION:
                raise SchemaOutOfDate(
                    f"The database at {self.display_url} has schema revision {revision}, "
                    f"but this version of Studio needs {SCHEMA_REVISION}. "
                    "Run `studio db upgrade` (back it up first) to migrate it."
                )
            self._schema_checked = True

    def _first_look(self) -> str | None:
        """`current_revision()`, retried while a brand-new SQLite file is being set up.

        Until the first connection has switched a new file to WAL, SQLite uses its rollback
        journal, where a reader and a writer can refuse each other at once ("database is
        locked") instead of waiting: that only happens in the first moments of a new store.
        """
        for delay in (0.05, 0.1, 0.2, 0.5, 1.0, 2.0):
            try:
                return self.current_revision()
            except OperationalError as exc:
                if not (self.is_sqlite and "locked" in str(exc)):
                    raise
                time.sleep(delay)
        return self.current_revision()

    def upgrade(self, revision: str = "head") -> None:
        """Apply alembic migrations up to `revision`."""
        _migrate().upgrade_schema(self.engine, self.is_sqlite, revision)

    def downgrade(self, revision: str) -> None:
        """Revert alembic migrations down to `revision`."""
        _migrate().downgrade_schema(self.engine, self.is_sqlite, revision)

    @property
    def display_url(self) -> str:
        """The URL with any password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

    def dispose(self) -> None:
        self.engine.dispose()


def _ensure_sqlite_folder(url: str) -> None:
    match = re.match(r"sqlite(?:\+\w+)?:///(.+)", url)
    if match and match.group(1) != ":memory:":
        Path(match.group(1)).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _migrate() -> ModuleType:
    # Alembic costs about 130 ms to import, and only a new or upgraded store needs it: every
    # kernel's first logged point would otherwise wait for it.
    return importlib.import_module("studio.db.migrate")


def _first_line(exc: Exception) -> str:
    original = getattr(exc, "orig", None) or exc
    return str(original).strip().splitlines()[0] if str(original).strip() else type(exc).__name__
