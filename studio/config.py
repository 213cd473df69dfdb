"""Where Studio keeps its data: shared by the client, the server extension and jobs.

Every location can be overridden by an environment variable, so that the server extension
can export its own choice to every kernel and job it starts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from studio.errors import InvalidInput

HOME_ENV = "STUDIO_HOME"
DB_URL_ENV = "STUDIO_DB_URL"
ARTIFACT_ROOT_ENV = "STUDIO_ARTIFACT_ROOT"
TRACKING_URI_ENV = "STUDIO_TRACKING_URI"
TOKEN_ENV = "STUDIO_TOKEN"
RUN_ID_ENV = "STUDIO_RUN_ID"
# Set on a job's runner, inherited by its kernel and whatever that starts: a scheduler that
# lost track of a run (it was killed) finds the run's processes by it.
JOB_RUN_ID_ENV = "STUDIO_JOB_RUN_ID"
SQLITE_SYNCHRONOUS_ENV = "STUDIO_SQLITE_SYNCHRONOUS"
# SQLite's `PRAGMA synchronous` levels that are safe in WAL mode. NORMAL: a commit survives a
# crash of the process, a power loss may undo the last ones; FULL and EXTRA also sync the WAL
# at every commit, so a commit survives a power loss. OFF could corrupt the file: not offered.
SQLITE_SYNCHRONOUS_LEVELS = ("NORMAL", "FULL", "EXTRA")


def default_home() -> Path:
    """`<jupyter data dir>/studio`, unless `STUDIO_HOME` says otherwise."""
    explicit = os.environ.get(HOME_ENV)
    if explicit:
        return Path(explicit).expanduser()
    # jupyter_core is light to import, but only needed when no STUDIO_HOME is set.
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "studio"


def sqlite_synchronous_level(value: str | None = None) -> str:
    """The SQLite `synchronous` level: `value`, else `STUDIO_SQLITE_SYNCHRONOUS`, else NORMAL.

    Any other level is refused here, before a database is opened, rather than left to SQLite,
    which ignores a pragma value it does not know.
    """
    chosen = value or os.environ.get(SQLITE_SYNCHRONOUS_ENV) or "NORMAL"
    level = chosen.strip().upper()
    if level not in SQLITE_SYNCHRONOUS_LEVELS:
        raise InvalidInput(
            f"SQLite synchronous level {chosen!r} (c.StudioApp.sqlite_synchronous or "
            f"{SQLITE_SYNCHRONOUS_ENV}) is not one of {', '.join(SQLITE_SYNCHRONOUS_LEVELS)}."
        )
    return level


@dataclass(frozen=True)
class StudioConfig:
    """Resolved locations of the store and the artifact root, and SQLite's sync level."""

    home: Path
    db_url: str
    artifact_root: str
    sqlite_synchronous: str = "NORMAL"

    @classmethod
    def resolve(
        cls,
        home: str | Path | None = None,
        db_url: str | None = None,
        artifact_root: str | None = None,
        sqlite_synchronous: str | None = None,
    ) -> StudioConfig:
        """Explicit arguments first, then environment variables, then defaults under home."""
        resolved_home = Path(home).expanduser() if home else default_home()
        return cls(
            home=resolved_home,
            db_url=db_url
            or os.environ.get(DB_URL_ENV)
            or f"sqlite:///{resolved_home / 'studio.db'}",
            artifact_root=artifact_root
            or os.environ.get(ARTIFACT_ROOT_ENV)
            or str(resolved_home / "artifacts"),
            sqlite_synchronous=sqlite_synchronous_level(sqlite_synchronous),
        )

    def environment(self) -> dict[str, str]:
        """The variables that make a child process (kernel, job) use this same store."""
        return {
            HOME_ENV: str(self.home),
            DB_URL_ENV: self.db_url,
            ARTIFACT_ROOT_ENV: self.artifact_root,
            SQLITE_SYNCHRONOUS_ENV: self.sqlite_synchronous,
        }
