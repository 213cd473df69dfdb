"""The one seam where a feature package plugs into Studio.

Each feature package (`studio.tracking` and `studio.debugger` now; jobs and the registry
next) declares a `Feature` in its own `feature.py`, and `FEATURE_MODULES` below lists those
modules. From there, and only from there:

- `studio.app` registers each package's routes and builds its service from the one `Database`;
- the alembic environment collects each package's ORM metadata (one linear history);
- the `studio` command adds each package's subcommands;
- the OpenAPI builder documents each package's routes;
- the store calls each package's hook when runs are deleted, inside the deleting transaction,
  so that no package's rows outlive their run.

Declarations name their parts as `"module:attribute"` strings, resolved on first use: reading
the declarations imports nothing heavy, so `studio db ...` never loads tornado and a kernel's
`import studio` never loads the server.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import MetaData
    from sqlalchemy.orm import Session

    from studio.config import StudioConfig
    from studio.db.engine import Database
    from studio.web import Route

# The modules that declare a `FEATURE`, in the order their routes are registered.
FEATURE_MODULES: tuple[str, ...] = (
    "studio.tracking.feature",
    "studio.debugger.feature",
    "studio.jobs.feature",
    "studio.registry.feature",
    "studio.serving.feature",
    "studio.evaluation.feature",
)

# `hook(session, run_ids)`: `run_ids` is a list of ids or a subquery selecting them.
RunsDeletedHook = Callable[["Session", Any], None]


@dataclass(frozen=True)
class Command:
    """A `studio` subcommand: `main(argv) -> exit status` parses its own arguments."""

    help: str
    main: str


@dataclass(frozen=True)
class Feature:
    """What a feature package declares, each part as a `"module:attribute"` reference.

    - `routes`: a list of `studio.web.Route`.
    - `service`: a factory `(database, config) -> service`; the app stores the service in the
      web application's settings as `studio_<name>`, where the package's handlers find it.
    - `metadata`: the SQLAlchemy `MetaData` holding the package's tables.
    - `auth_resource`: what Jupyter's authorizer is asked about for the package's routes, so
      that a deployment can, for instance, allow reading runs but not starting jobs.
    - `commands`: `studio <name>` subcommands.
    - `on_runs_deleted`: a `RunsDeletedHook` deleting the package's rows of deleted runs.
    """

    name: str
    auth_resource: str
    routes: str
    service: str
    metadata: str
    commands: Mapping[str, Command] = field(default_factory=dict)
    on_runs_deleted: str | None = None

    @property
    def settings_key(self) -> str:
        return f"studio_{self.name}"


def resolve(reference: str) -> Any:
    """The object a `"package.module:attribute.path"` reference names."""
    module_name, _, attribute = reference.partition(":")
    found: Any = importlib.import_module(module_name)
    for part in filter(None, attribute.split(".")):
        found = getattr(found, part)
    return found


@cache
def features() -> tuple[Feature, ...]:
    """Every declared feature; names, resources, commands and services must not clash."""
    found = tuple(resolve(f"{module}:FEATURE") for module in FEATURE_MODULES)
    for label, values in (
        ("name", [feature.name for feature in found]),
        ("command", [name for feature in found for name in feature.commands]),
    ):
        duplicates = {value for value in values if values.count(value) > 1}
        if duplicates:
            raise RuntimeError(f"Two feature packages declare the same {label}: {duplicates}")
    return found


def routes() -> list[Route]:
    """The REST routes of every feature, in declaration order."""
    return [route for feature in features() for route in resolve(feature.routes)]


def metadata() -> list[MetaData]:
    """The ORM metadata of every feature, each once (packages may share one declarative base)."""
    found = (resolve(feature.metadata) for feature in features())
    return list({id(meta): meta for meta in found}.values())


def build_services(database: Database, config: StudioConfig) -> dict[str, Any]:
    """Each feature's service over the one database, by settings key."""
    return {
        feature.settings_key: resolve(feature.service)(database, config) for feature in features()
    }


def runs_deleted(session: Session, run_ids: Any) -> None:
    """Let every feature delete its rows of these runs, in the caller's transaction."""
    for feature in features():
        if feature.on_runs_deleted is not None:
            hook: RunsDeletedHook = resolve(feature.on_runs_deleted)
            hook(session, run_ids)
