"""What `studio serve` hands each uvicorn worker, through the environment (workers are
spawned afresh and import the app by name, so nothing else reaches them)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from studio.config import StudioConfig

__all__ = ["DEFAULT_MAX_BODY_MB", "DEFAULT_MAX_ROWS", "ServeSettings"]

DEFAULT_MAX_BODY_MB = 16.0
DEFAULT_MAX_ROWS = 10_000
DEFAULT_POLL_INTERVAL_S = 0.5

ENDPOINT_ENV = "STUDIO_SERVE_ENDPOINT"
REPLICA_ENV = "STUDIO_SERVE_REPLICA"
SUPERVISOR_ENV = "STUDIO_SERVE_SUPERVISOR_PID"
MAX_BODY_ENV = "STUDIO_SERVE_MAX_BODY_BYTES"
MAX_ROWS_ENV = "STUDIO_SERVE_MAX_ROWS"
POLL_ENV = "STUDIO_SERVE_POLL_INTERVAL"
# The name of the variable holding an extra invocation token (`--token-env`): the token
# itself never appears on a command line or in this process's own settings variables.
TOKEN_ENV_ENV = "STUDIO_SERVE_TOKEN_ENV"


@dataclass(frozen=True)
class ServeSettings:
    endpoint: str
    replica_id: str | None = None
    # None: StudioConfig.resolve() (the environment's store and artifact root).
    studio: StudioConfig | None = None
    max_body_bytes: int = int(DEFAULT_MAX_BODY_MB * 1024 * 1024)
    max_rows: int = DEFAULT_MAX_ROWS
    # A token accepted besides the endpoint's own (`studio serve --token-env VAR`).
    token: str | None = None
    # The process whose children the workers are (0: none, a single-process server).
    supervisor_pid: int = 0
    poll_interval: float = DEFAULT_POLL_INTERVAL_S

    @classmethod
    def from_environ(cls) -> ServeSettings:
        endpoint = os.environ.get(ENDPOINT_ENV)
        if not endpoint:
            raise RuntimeError(
                f"{ENDPOINT_ENV} is not set: start the serving app with `studio serve NAME`."
            )
        token_variable = os.environ.get(TOKEN_ENV_ENV)
        return cls(
            endpoint=endpoint,
            replica_id=os.environ.get(REPLICA_ENV) or None,
            max_body_bytes=int(os.environ.get(MAX_BODY_ENV) or cls.max_body_bytes),
            max_rows=int(os.environ.get(MAX_ROWS_ENV) or cls.max_rows),
            token=os.environ.get(token_variable) if token_variable else None,
            supervisor_pid=int(os.environ.get(SUPERVISOR_ENV) or 0),
            poll_interval=float(os.environ.get(POLL_ENV) or DEFAULT_POLL_INTERVAL_S),
        )

    def environment(self, token_variable: str | None = None) -> dict[str, str]:
        """The variables that give a spawned worker these settings (and the store's)."""
        studio = self.studio or StudioConfig.resolve()
        variables = {
            **studio.environment(),
            ENDPOINT_ENV: self.endpoint,
            MAX_BODY_ENV: str(self.max_body_bytes),
            MAX_ROWS_ENV: str(self.max_rows),
            SUPERVISOR_ENV: str(self.supervisor_pid),
            POLL_ENV: str(self.poll_interval),
        }
        if self.replica_id:
            variables[REPLICA_ENV] = self.replica_id
        if token_variable:
            variables[TOKEN_ENV_ENV] = token_variable
        return variables
