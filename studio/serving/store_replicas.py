"""Endpoints' replicas in the Studio store: each `studio serve` process records itself,
beats every `BEAT_MS`, and is marked stopped once (the first reason stays). A replica whose
last beat is older than three beats is not alive, whatever its row says."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from studio.errors import NotFound
from studio.serving.entities import Replica
from studio.serving.orm import SqlEndpoint, SqlEndpointReplica

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from studio.db.engine import Database

__all__ = [
    "BEAT_MS",
    "REPLICA_ALIVE_MS",
    "ReplicaProcess",
    "ReplicaRows",
    "endpoint_named",
    "replicas_of",
]

BEAT_MS = 5_000
"""How often a replica beats."""
REPLICA_ALIVE_MS = 3 * BEAT_MS
"""A replica that has not beaten for three beats is not alive."""


@dataclass(frozen=True)
class ReplicaProcess:
    """A replica not marked stopped: where it listens and its process (group)."""

    id: str
    host: str
    bind_host: str
    port: int
    pid: int
    pgid: int
    pid_started_at: float
    managed: bool
    heartbeat_at: int


class ReplicaRows:
    """The replica half of `EndpointStore`."""

    db: Database

    def register_replica(
        self,
        name: str,
        *,
        replica_id: str,
        host: str,
        bind_host: str,
        port: int,
        pid: int,
        pgid: int,
        pid_started_at: float,
        workers: int,
        managed: bool,
        now: int,
    ) -> None:
        with self.db.session(write=True) as session:
            endpoint_id = endpoint_named(session, name).id
            session.add(
                SqlEndpointReplica(
                    id=replica_id,
                    endpoint_id=endpoint_id,
                    host=host,
                    bind_host=bind_host,
                    port=port,
                    pid=pid,
                    pgid=pgid,
                    pid_started_at=pid_started_at,
                    workers=workers,
                    managed=managed,
                    started_at=now,
                    heartbeat_at=now,
                )
            )

    def beat(self, replica_id: str, now: int) -> None:
        with self.db.session(write=True) as session:
            session.execute(
                update(SqlEndpointReplica)
                .where(SqlEndpointReplica.id == replica_id, SqlEndpointReplica.stopped_at.is_(None))
                .values(heartbeat_at=now)
            )

    def replica_stopped(self, replica_id: str, error: str | None, now: int) -> None:
        """Mark a replica stopped (once: the first reason stays)."""
        with self.db.session(write=True) as session:
            session.execute(
                update(SqlEndpointReplica)
                .where(SqlEndpointReplica.id == replica_id, SqlEndpointReplica.stopped_at.is_(None))
                .values(stopped_at=now, error=error)
            )

    def mark_managed(self, replica_id: str) -> None:
        """The replica was started by Studio (which may then stop it)."""
        with self.db.session(write=True) as session:
            session.execute(
                update(SqlEndpointReplica)
                .where(SqlEndpointReplica.id == replica_id)
                .values(managed=True)
            )

    def replica_processes(self, name: str) -> list[ReplicaProcess]:
        """The replicas not marked stopped, with what it takes to signal them."""
        with self.db.session() as session:
            endpoint_id = endpoint_named(session, name).id
            rows = session.scalars(
                select(SqlEndpointReplica)
                .where(
                    SqlEndpointReplica.endpoint_id == endpoint_id,
                    SqlEndpointReplica.stopped_at.is_(None),
                )
                .order_by(SqlEndpointReplica.started_at)
            ).all()
            return [
                ReplicaProcess(
                    row.id,
                    row.host,
                    row.bind_host,
                    row.port,
                    row.pid,
                    row.pgid,
                    row.pid_started_at,
                    row.managed,
                    row.heartbeat_at,
                )
                for row in rows
            ]

    def replicas(self, name: str, now: int) -> list[Replica]:
        with self.db.session() as session:
            return replicas_of(session, endpoint_named(session, name).id, now)

    def set_launch(self, name: str, *, host: str, port: int, workers: int) -> None:
        """Where JupyterLab last started it (not configuration: no new version)."""
        with self.db.session(write=True) as session:
            session.execute(
                update(SqlEndpoint)
                .where(SqlEndpoint.name == name)
                .values(host=host, port=port, workers=workers)
            )


def endpoint_named(session: Session, name: str) -> SqlEndpoint:
    row = session.scalar(select(SqlEndpoint).where(SqlEndpoint.name == name))
    if row is None:
        raise NotFound(f"No endpoint is named {name!r}.")
    return row


def replicas_of(session: Session, endpoint_id: int, now: int) -> list[Replica]:
    rows = session.scalars(
        select(SqlEndpointReplica)
        .where(SqlEndpointReplica.endpoint_id == endpoint_id)
        .order_by(SqlEndpointReplica.started_at.desc())
    ).all()
    return [
        Replica(
            id=row.id,
            host=row.host,
            bind_host=row.bind_host,
            port=row.port,
            pid=row.pid,
            workers=row.workers,
            managed=row.managed,
            started_at=row.started_at,
            heartbeat_at=row.heartbeat_at,
            stopped_at=row.stopped_at,
            error=row.error,
            alive=row.stopped_at is None and now - row.heartbeat_at <= REPLICA_ALIVE_MS,
        )
        for row in rows
    ]
