"""The process-wide client of a feature package for each tracking URI.

The Python API and the command lines of jobs, the registry and endpoints talk either to the
store itself (a service on the configured database) or to a Studio server's REST API (where
the tracking URI is an `http(s)://` URL, with `STUDIO_TOKEN`). `ClientCache` picks one, makes
it once per place it leads to, and hands the same one to every caller.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

from studio.config import TOKEN_ENV, TRACKING_URI_ENV, StudioConfig

if TYPE_CHECKING:
    from studio.db.engine import Database
    from studio.tracking.rest import RestTrackingClient

__all__ = ["ClientCache"]

C = TypeVar("C")


class ClientCache(Generic[C]):
    def __init__(
        self,
        local: Callable[[Database, StudioConfig], C],
        remote: Callable[[RestTrackingClient], C],
    ) -> None:
        """`local` makes the client over a store, `remote` over a server's REST API."""
        self._local = local
        self._remote = remote
        # Keyed by where a client leads: the environment may name another store later (tests
        # do, and clear it between them).
        self.clients: dict[str, C] = {}
        self._lock = threading.Lock()

    def __call__(self, tracking_uri: str | None = None) -> C:
        """The client for a tracking URI (None: `STUDIO_TRACKING_URI`, else the configured
        store): an `http(s)://` server, a database URL, or a `STUDIO_HOME` folder."""
        uri = tracking_uri or os.environ.get(TRACKING_URI_ENV) or ""
        remote = uri.startswith(("http://", "https://"))
        config = None if remote else _config(uri)
        key = uri if config is None else f"{config.db_url} {config.home} {config.artifact_root}"
        with self._lock:
            found = self.clients.get(key)
            if found is None:
                found = self._make(uri, config)
                self.clients[key] = found
            return found

    def _make(self, uri: str, config: StudioConfig | None) -> C:
        if config is None:
            from studio.tracking.rest import RestTrackingClient

            return self._remote(RestTrackingClient(uri, os.environ.get(TOKEN_ENV, "")))
        from studio.db.engine import Database

        return self._local(Database.from_config(config), config)


def _config(uri: str) -> StudioConfig:
    return (
        StudioConfig.resolve(db_url=uri) if "://" in uri else StudioConfig.resolve(home=uri or None)
    )
