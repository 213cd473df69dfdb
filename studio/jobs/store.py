"""Notebook jobs in the Studio store: snapshots, definitions, job runs, schedulers.

One managed session per public method (STYLE.md rule 5). `JobStore` keeps snapshots,
definitions and schedulers here and job runs in `store_runs` (`JobRunRows`); both read and
write rows through `store_rows`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select, update

from studio.errors import Conflict, InvalidInput, NotFound
from studio.jobs.entities import JobDefinition, JobStatus, MissedPolicy, RunSpec
from studio.jobs.orm import SqlJobDefinition, SqlJobNotebook, SqlJobRun, SqlJobScheduler
from studio.jobs.store_rows import definition_of, insert_for, last_statuses, spec_columns
from studio.jobs.store_runs import JobRunRows

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from studio.db.engine import Database

__all__ = ["JobStore", "forget_tracking_runs"]

_DEFINITION_FIELDS = frozenset(
    {
        "name",
        "spec",
        "notebook_id",
        "schedule",
        "timezone",
        "max_concurrent_runs",
        "missed",
        "keep_outputs",
        "active",
        "next_run_at",
        "snapshot_at",
    }
)


class JobStore(JobRunRows):
    """Notebook jobs over one database."""

    def __init__(self, database: Database) -> None:
        self.db = database

    # Notebook snapshots ----------------------------------------------------------------

    def save_notebook(self, content: str, now: int) -> int:
        """The id of a snapshot with this content, stored once whatever the number of saves."""
        digest = hashlib.sha256(content.encode("utf-8")).hexdigest()
        with self.db.session(write=True) as session:
            statement = insert_for(session, SqlJobNotebook).values(
                sha256=digest, content=content, size=len(content.encode("utf-8")), created_at=now
            )
            session.execute(statement.on_conflict_do_nothing(index_elements=["sha256"]))
            found = session.scalar(select(SqlJobNotebook.id).where(SqlJobNotebook.sha256 == digest))
            assert found is not None
            return int(found)

    def get_notebook(self, notebook_id: int) -> str:
        with self.db.session() as session:
            content = session.scalar(
                select(SqlJobNotebook.content).where(SqlJobNotebook.id == notebook_id)
            )
        if content is None:
            raise NotFound(f"No notebook snapshot has id {notebook_id}.")
        return str(content)

    # Definitions ----------------------------------------------------------------------

    def create_definition(
        self,
        *,
        name: str,
        spec: RunSpec,
        notebook_id: int,
        schedule: str | None,
        timezone: str,
        max_concurrent_runs: int,
        missed: MissedPolicy,
        keep_outputs: int,
        active: bool,
        next_run_at: int | None,
        now: int,
    ) -> JobDefinition:
        with self.db.session(write=True) as session:
            if session.scalar(select(SqlJobDefinition.id).where(SqlJobDefinition.name == name)):
                raise Conflict(f"A job definition named {name!r} already exists.")
            row = SqlJobDefinition(
                name=name,
                **spec_columns(spec),
                notebook_id=notebook_id,
                schedule=schedule,
                timezone=timezone,
                max_concurrent_runs=max_concurrent_runs,
                missed=MissedPolicy(missed).value,
                keep_outputs=keep_outputs,
                active=active,
                next_run_at=next_run_at,
                snapshot_at=now,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            return definition_of(row, None)

    def get_definition(self, definition_id: int) -> JobDefinition:
        with self.db.session() as session:
            row = session.get(SqlJobDefinition, definition_id)
            if row is None:
                raise NotFound(f"No job definition has id {definition_id}.")
            return definition_of(row, last_statuses(session, [row.id]).get(row.id))

    def find_definition(self, name: str) -> JobDefinition | None:
        with self.db.session() as session:
            row = session.scalar(select(SqlJobDefinition).where(SqlJobDefinition.name == name))
            if row is None:
                return None
            return definition_of(row, last_statuses(session, [row.id]).get(row.id))

    def list_definitions(
        self,
        *,
        active: bool | None = None,
        name_contains: str | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> tuple[list[JobDefinition], int]:
        """A page of definitions by name, and how many match in all."""
        query = select(SqlJobDefinition)
        if active is not None:
            query = query.where(SqlJobDefinition.active == active)
        if name_contains:
            escaped = name_contains.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(SqlJobDefinition.name.ilike(f"%{escaped}%", escape="\\"))
        with self.db.session() as session:
            total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
            rows = session.scalars(
                query.order_by(SqlJobDefinition.name).offset(offset).limit(limit)
            ).all()
            last = last_statuses(session, [row.id for row in rows])
            return [definition_of(row, last.get(row.id)) for row in rows], total

    def update_definition(
        self, definition_id: int, changes: Mapping[str, Any], now: int
    ) -> JobDefinition:
        """Change fields of a definition (`spec` as a whole `RunSpec`)."""
        unknown = set(changes) - _DEFINITION_FIELDS
        if unknown:
            raise InvalidInput(f"Unknown job definition fields: {', '.join(sorted(unknown))}.")
        with self.db.session(write=True) as session:
            row = session.get(SqlJobDefinition, definition_id, with_for_update=True)
            if row is None:
                raise NotFound(f"No job definition has id {definition_id}.")
            name = changes.get("name")
            if name is not None and name != row.name:
                taken = session.scalar(
                    select(SqlJobDefinition.id).where(SqlJobDefinition.name == name)
                )
                if taken:
                    raise Conflict(f"A job definition named {name!r} already exists.")
            for key, value in changes.items():
                if key == "spec":
                    for column, column_value in spec_columns(value).items():
                        setattr(row, column, column_value)
                elif key == "missed":
                    row.missed = MissedPolicy(value).value
                else:
                    setattr(row, key, value)
            row.updated_at = now
            session.flush()
            return definition_of(row, last_statuses(session, [row.id]).get(row.id))

    def delete_definition(self, definition_id: int) -> None:
        """Delete a definition; its job runs stay, without it."""
        with self.db.session(write=True) as session:
            row = session.get(SqlJobDefinition, definition_id)
            if row is None:
                raise NotFound(f"No job definition has id {definition_id}.")
            # Explicit: SQLite applies ON DELETE SET NULL only with its foreign_keys pragma.
            session.execute(
                update(SqlJobRun)
                .where(SqlJobRun.definition_id == definition_id)
                .values(definition_id=None)
            )
            session.delete(row)

    def upcoming_definitions(self, limit: int) -> list[JobDefinition]:
        """The active scheduled definitions whose next occurrences come first."""
        with self.db.session() as session:
            rows = session.scalars(
                select(SqlJobDefinition)
                .where(SqlJobDefinition.active.is_(True), SqlJobDefinition.next_run_at.is_not(None))
                .order_by(SqlJobDefinition.next_run_at, SqlJobDefinition.id)
                .limit(limit)
            ).all()
            return [definition_of(row, None) for row in rows]

    def due_definitions(self, now: int) -> list[JobDefinition]:
        """Active scheduled definitions whose next occurrence has come."""
        with self.db.session() as session:
            rows = session.scalars(
                select(SqlJobDefinition)
                .where(
                    SqlJobDefinition.active.is_(True),
                    SqlJobDefinition.next_run_at.is_not(None),
                    SqlJobDefinition.next_run_at <= now,
                )
                .order_by(SqlJobDefinition.next_run_at)
            ).all()
            return [definition_of(row, None) for row in rows]

    def next_due(self, now: int) -> int | None:
        """When work comes next after `now`: the soonest occurrence of an active scheduled
        definition, or the soonest end of a queued retry's backoff (ms); None for neither."""
        with self.db.session() as session:
            occurrence = session.scalar(
                select(func.min(SqlJobDefinition.next_run_at)).where(
                    SqlJobDefinition.active.is_(True), SqlJobDefinition.next_run_at > now
                )
            )
            backoff = session.scalar(
                select(func.min(SqlJobRun.not_before)).where(
                    SqlJobRun.status == JobStatus.QUEUED.value, SqlJobRun.not_before > now
                )
            )
        times = [int(when) for when in (occurrence, backoff) if when is not None]
        return min(times) if times else None

    def advance_next_run(self, definition_id: int, seen: int | None, new: int | None) -> bool:
        """Move a definition's next occurrence from `seen` to `new`, unless another scheduler
        already moved it (then False)."""
        with self.db.session(write=True) as session:
            result = session.execute(
                update(SqlJobDefinition)
                .where(
                    SqlJobDefinition.id == definition_id,
                    SqlJobDefinition.next_run_at.is_(None)
                    if seen is None
                    else SqlJobDefinition.next_run_at == seen,
                )
                .values(next_run_at=new)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    # Schedulers -----------------------------------------------------------------------

    def beat_scheduler(
        self, scheduler_id: str, host: str, pid: int, executor: str, now: int
    ) -> None:
        """Register a scheduler, or renew its heartbeat."""
        with self.db.session(write=True) as session:
            row = session.get(SqlJobScheduler, scheduler_id)
            if row is None:
                session.add(
                    SqlJobScheduler(
                        id=scheduler_id,
                        host=host,
                        pid=pid,
                        executor=executor,
                        started_at=now,
                        heartbeat_at=now,
                    )
                )
            else:
                row.heartbeat_at = now

    def remove_scheduler(self, scheduler_id: str) -> None:
        with self.db.session(write=True) as session:
            session.execute(delete(SqlJobScheduler).where(SqlJobScheduler.id == scheduler_id))

    def live_schedulers(self, since: int) -> list[dict[str, Any]]:
        """Schedulers that beat after `since`: id, host, pid, executor, times."""
        with self.db.session() as session:
            rows = session.scalars(
                select(SqlJobScheduler)
                .where(SqlJobScheduler.heartbeat_at >= since)
                .order_by(SqlJobScheduler.started_at)
            ).all()
            return [
                {
                    "id": row.id,
                    "host": row.host,
                    "pid": row.pid,
                    "executor": row.executor,
                    "started_at": row.started_at,
                    "heartbeat_at": row.heartbeat_at,
                }
                for row in rows
            ]


def forget_tracking_runs(session: Session, run_ids: Any) -> None:
    """The feature's runs-deleted hook: job runs keep their history without the deleted
    tracking runs (explicit, as SQLite applies ON DELETE SET NULL only with its pragma on)."""
    session.execute(
        update(SqlJobRun)
        .where(SqlJobRun.run_id.in_(run_ids))
        .values(run_id=None)
        .execution_options(synchronize_session=False)
    )
