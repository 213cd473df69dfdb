"""Studio's side of the benchmarks that go through its REST API: a real `jupyter server` with
the Studio extension on a given store, and a count of a metric's points in any store."""

from __future__ import annotations

import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harness import BenchError, HttpClient, ServerProcess, child_environment, free_port
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool


@contextmanager
def studio_server(home: Path, db_url: str) -> Iterator[tuple[ServerProcess, HttpClient]]:
    """`jupyter server` with Studio on the store at `db_url` (token auth, a free loopback
    port), and a keep-alive connection to it that carries the token. Both closed on exit."""
    port, token = free_port(), secrets.token_hex(16)
    env = child_environment({"STUDIO_HOME": str(home), "STUDIO_DB_URL": db_url})
    command = [
        sys.executable, "-m", "jupyter_server",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={token}",
        "--ServerApp.open_browser=False",
        f"--ServerApp.root_dir={home}",
        "--allow-root",
        # Enabled by the installed package's config already; named here too so that a
        # checkout run with PYTHONPATH works the same (jupyter_server merges the two).
        "--ServerApp.jpserver_extensions=studio=True",
    ]  # fmt: skip
    headers = {"Authorization": f"token {token}"}
    with (
        ServerProcess(
            "jupyter server",
            command,
            port=port,
            env=env,
            log_path=home / "jupyter-server.log",
            ready_path="/api/status",
            headers=headers,
        ) as server,
        HttpClient(port, headers) as client,
    ):
        status, body = client.request("/studio/api/experiments")
        if status != 200:
            raise BenchError(
                "The Studio extension does not answer /studio/api/experiments "
                f"({status}: {body[:200]!r}); is it installed and enabled?\n{server.log_tail()}"
            )
        yield server, client


def stored_metric_points(db_url: str, run_id: str, key: str) -> int:
    """How many points of the run's metric `key` the store holds, counted through a
    connection of its own (SQLite file or PostgreSQL database)."""
    engine = create_engine(db_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(
                    text(
                        "SELECT coalesce(sum(count), 0) FROM series WHERE owner_kind = 'run' "
                        "AND owner_id = :run AND kind = 'metric' AND key = :key"
                    ),
                    {"run": run_id, "key": key},
                ).scalar_one()
            )
    finally:
        engine.dispose()
